// The browser app: start (résumé, settings, consent) → interview (question shown and spoken,
// typed answer, score with evidence) → report. Plain ES modules, no build step; every text
// from the server is inserted as text, never as HTML.
import { MESSAGES } from "/app/i18n.js";

const main = document.getElementById("main");
const uiSelect = document.getElementById("ui-lang");
let lang = localStorage.getItem("mianshi.lang") || (navigator.language || "zh").slice(0, 2);
if (!MESSAGES[lang]) lang = "zh";
let t = MESSAGES[lang];
let current = { screen: "start" };
// An anonymous id per browser, so this browser's practices form one history.
let userId = localStorage.getItem("mianshi.user");
if (!userId) {
  userId = "web-" + (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
  localStorage.setItem("mianshi.user", userId);
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

async function api(method, path, body) {
  const options = { method, headers: {} };
  if (body instanceof FormData) options.body = body;
  else if (body !== undefined) {
    options.body = JSON.stringify(body);
    options.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, options);
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    const error = new Error(data && data.error ? data.error.message : response.statusText);
    error.code = data && data.error ? data.error.code : "http_" + response.status;
    throw error;
  }
  return data;
}

function setLanguage(next) {
  lang = next;
  t = MESSAGES[lang];
  localStorage.setItem("mianshi.lang", lang);
  document.documentElement.lang = lang;
  uiSelect.value = lang;
  document.getElementById("title").textContent = t.title;
  document.title = t.title;
  render();
}

function showError(container, error) {
  const message = el("p", { class: "error", role: "alert" }, t.error, error.message, error.code ? ` (${error.code})` : "");
  container.append(message);
}

function speak(text, language) {
  if (!("speechSynthesis" in window)) return;
  window.speechSynthesis.cancel();
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = language === "zh" ? "zh-CN" : "en-US";
  window.speechSynthesis.speak(utterance);
}

function renderStart() {
  const form = el("form", { id: "start-form" },
    el("p", {}, t.tagline),
    el("label", { for: "language" }, t.language),
    el("select", { id: "language", name: "language" },
      el("option", { value: "zh", selected: lang === "zh" }, "中文"),
      el("option", { value: "en", selected: lang === "en" }, "English")),
    el("label", { for: "kind" }, t.type),
    el("select", { id: "kind", name: "kind" },
      el("option", { value: "mixed" }, t.typeMixed),
      el("option", { value: "technical" }, t.typeTechnical),
      el("option", { value: "behavioural" }, t.typeBehavioural)),
    el("label", { for: "questions" }, t.questions),
    el("input", { id: "questions", name: "questions", type: "number", min: 1, max: 50, value: 8 }),
    el("label", { for: "resume-file" }, t.resumeFile),
    el("input", { id: "resume-file", name: "resume", type: "file", accept: ".pdf,.docx,.txt,.md,.markdown" }),
    el("label", { for: "resume-text" }, t.resumeText),
    el("textarea", { id: "resume-text", name: "resume_text" }),
    el("label", { for: "jd" }, t.jd),
    el("textarea", { id: "jd", name: "job_description" }),
    el("p", { class: "notice" }, t.consent),
    el("button", { type: "submit", id: "start" }, t.start));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    button.textContent = t.starting;
    form.querySelectorAll(".error").forEach((n) => n.remove());
    const data = new FormData();
    data.append("user_id", userId);
    const metadata = {
      language: form.language.value,
      interview_type: form.kind.value,
      questions: Number(form.questions.value) || 8,
    };
    data.append("metadata", JSON.stringify(metadata));
    const file = form.resume.files[0];
    if (file) data.append("resume", file, file.name);
    else if (form.resume_text.value.trim()) data.append("resume_text", form.resume_text.value);
    if (form.job_description.value.trim()) data.append("job_description", form.job_description.value);
    try {
      const session = await api("POST", "/api/interview/start", data);
      const first = await api("GET", `/api/interview/${session.session_id}/question`);
      current = { screen: "interview", session, language: metadata.language, question: first, last: null };
      render();
      if (first.question) speak(first.question.text, metadata.language);
    } catch (error) {
      button.disabled = false;
      button.textContent = t.start;
      showError(form, error);
    }
  });
  const history = el("section", { class: "card", id: "history" }, el("h2", {}, t.history));
  loadHistory(history);
  return el("div", {}, el("section", { class: "card" }, form), history);
}

async function loadHistory(container) {
  try {
    const history = await api("GET", `/api/users/${encodeURIComponent(userId)}/history?limit=20`);
    if (!history.sessions.length) {
      container.append(el("p", { class: "meta" }, t.noHistory));
      return;
    }
    container.append(el("table", {}, el("tbody", {}, history.sessions.map((s) => el("tr", {},
      el("td", {}, new Date(s.created_at).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB")),
      el("td", {}, s.position || ""),
      el("td", {}, s.content_score === null || s.content_score === undefined ? (s.status === "completed" ? "—" : t.inProgress) : `${s.content_score}/100`),
      el("td", {}, el("button", { type: "button", class: "secondary", onclick: async () => {
        const results = await api("GET", `/api/interview/results/${s.session_id}`);
        current = { screen: "report", session: { session_id: s.session_id }, results };
        render();
      } }, t.open)))))));
  } catch (error) {
    showError(container, error);
  }
}

function scoreCard(reply) {
  const score = reply.score;
  const bars = el("div", { class: "bars" },
    score.rubric.map((item) => [
      el("span", {}, item.dimension),
      el("span", { class: "bar", role: "img", "aria-label": `${item.dimension} ${item.score}` }, el("span", { style: `width:${item.score}%` })),
      el("span", {}, item.score),
    ]));
  const evidence = el("ul", { class: "evidence" },
    score.evidence.map((e) => el("li", { class: e.effect >= 0 ? "plus" : "minus" }, e.note, el("blockquote", {}, e.quote))));
  return el("section", { class: "card", id: "score-card" },
    el("div", { class: "meta" }, t.score),
    el("div", { class: "score", id: "score-value" }, `${score.overall}/100`),
    bars,
    score.evidence.length ? [el("h3", {}, t.evidence), evidence] : null,
    score.advice.length ? [el("h3", {}, t.advice), el("ul", {}, score.advice.map((a) => el("li", {}, a)))] : null,
    score.outline.length ? [el("h3", {}, t.outline), el("ul", {}, score.outline.map((o) => el("li", {}, o)))] : null,
    el("p", { class: "meta" }, reply.decision.guidance || reply.decision.reason || ""));
}

// What the parser read, so the candidate can see what the questions are based on.
function profileCard(documents) {
  const profile = documents && documents.profile;
  if (!profile) return null;
  const skills = profile.skills.slice(0, 16).map((s) => s.name).join(" · ");
  const missing = documents.match ? documents.match.missing.filter((m) => m.required).map((m) => m.skill).join(" · ") : "";
  return el("section", { class: "card", id: "profile" },
    el("div", { class: "meta" }, t.profile),
    el("strong", {}, profile.name || ""),
    profile.contact.email ? el("span", { class: "meta" }, "  " + profile.contact.email) : null,
    skills ? el("p", {}, el("span", { class: "meta" }, t.skills + ": "), skills) : null,
    missing ? el("p", {}, el("span", { class: "meta" }, t.missing + ": "), missing) : null);
}

function renderInterview() {
  const { question, last } = current;
  const q = question.question;
  const container = el("div", {});
  if (!last && question.number === 1) container.append(profileCard(current.session.documents) || "");
  if (last) container.append(scoreCard(last));
  if (!q) return container;
  const label = q.follow_up_depth > 0 ? t.followUp : t.question;
  const answer = el("textarea", { id: "answer", name: "answer", "aria-describedby": "answer-hint" });
  const submit = el("button", { type: "submit", id: "submit" }, t.submit);
  const form = el("form", { id: "answer-form" },
    el("div", { class: "meta" }, `${label} ${question.number} ${t.of} ${question.max_questions}`),
    el("p", { class: "question", id: "question-text" }, q.text),
    el("button", { type: "button", class: "secondary", onclick: () => speak(q.text, current.language) }, t.speak),
    el("label", { for: "answer" }, t.answer),
    answer,
    el("div", { class: "meta", id: "answer-hint" }, t.answerHint),
    submit);
  answer.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) form.requestSubmit();
  });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!answer.value.trim()) return;
    submit.disabled = true;
    submit.textContent = t.scoring;
    form.querySelectorAll(".error").forEach((n) => n.remove());
    try {
      const reply = await api("POST", `/api/interview/${current.session.session_id}/answer`, { text: answer.value });
      if (reply.finished) {
        await showReport();
        return;
      }
      current.last = reply;
      current.question = { question: reply.next_question, number: question.number + 1, max_questions: question.max_questions };
      render();
      speak(reply.next_question.text, current.language);
      document.getElementById("answer")?.focus();
    } catch (error) {
      submit.disabled = false;
      submit.textContent = t.submit;
      showError(form, error);
    }
  });
  container.append(el("section", { class: "card" }, form));
  queueMicrotask(() => answer.focus());
  return container;
}

async function showReport() {
  const id = current.session.session_id;
  const results = await api("GET", `/api/interview/results/${id}`);
  current = { screen: "report", session: current.session, results };
  render();
}

function renderReport() {
  const { results } = current;
  const summary = results.summary || { topics: [], strengths: [], to_improve: [] };
  const score = results.content_score;
  const turns = results.turns.map((turn) => el("li", {},
    el("strong", {}, turn.question.text),
    turn.answer ? el("blockquote", {}, turn.answer.text) : null,
    turn.score ? el("div", { class: "meta" }, `${t.score} ${turn.score.overall}/100`) : null));
  return el("section", { class: "card", id: "report" },
    el("h2", {}, t.report),
    el("p", { class: "score", id: "content-score" }, score === null || score === undefined ? t.noScore : `${t.contentScore} ${score}/100`),
    el("h3", {}, t.topics),
    el("table", {},
      el("tbody", {}, summary.topics.map((topic) => el("tr", {},
        el("td", {}, topic.skill),
        el("td", {}, topic.mean_score.toFixed(0)),
        el("td", {}, `${t.keyPoints} ${topic.key_points_covered}/${topic.key_points_total}`))))),
    summary.strengths.length ? [el("h3", {}, t.strengths), el("ul", {}, summary.strengths.map((s) => el("li", {}, s)))] : null,
    summary.to_improve.length ? [el("h3", {}, t.toImprove), el("ul", {}, summary.to_improve.map((s) => el("li", {}, s)))] : null,
    el("h3", {}, t.turns),
    el("ol", {}, turns),
    el("a", { href: `/api/interview/results/${results.session_id}`, download: `mianshi-${results.session_id}.json` }, t.exportJson),
    " ",
    el("button", { type: "button", class: "secondary", id: "delete", onclick: async (event) => {
      await api("DELETE", `/api/interview/session/${results.session_id}`);
      event.target.replaceWith(el("span", { role: "status" }, t.deleted));
    } }, t.deleteSession),
    " ",
    el("button", { type: "button", onclick: () => { current = { screen: "start" }; render(); } }, t.again));
}

function render() {
  main.replaceChildren(
    current.screen === "start" ? renderStart()
      : current.screen === "interview" ? renderInterview()
        : renderReport());
}

uiSelect.addEventListener("change", () => setLanguage(uiSelect.value));
setLanguage(lang);
