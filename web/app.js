// The browser app: start (résumé, settings, consent) → interview (question shown and spoken,
// typed answer, score with evidence) → report. Plain ES modules, no build step; every text
// from the server is inserted as text, never as HTML.
import { MESSAGES } from "/app/i18n.js";
import { LiveInterview } from "/app/live.js";
import { RUBRIC, SIGNALS } from "/app/signals.js";

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

// Each session's candidate token (the server keeps only a hash): it opens that session and
// nothing else, so this browser keeps one per interview it started or was linked to.
const SESSION_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;
let tokens = {};
try { tokens = JSON.parse(localStorage.getItem("mianshi.tokens") || "{}") || {}; } catch { tokens = {}; }
// The sessions started in this browser (their user is this browser's user id); a linked
// session may belong to someone else's history.
const ownSessions = () => Object.keys(tokens).filter((id) => (localStorage.getItem("mianshi.own") || "").includes(id));
function rememberToken(sessionId, token) {
  if (!token) return;
  tokens[sessionId] = token;
  localStorage.setItem("mianshi.tokens", JSON.stringify(tokens));
}
function forgetToken(sessionId) {
  delete tokens[sessionId];
  localStorage.setItem("mianshi.tokens", JSON.stringify(tokens));
}
// The token for a request: the session's own, or — for this browser's history — that of its
// newest own session (a candidate token lists its own user's sessions).
function tokenFor(path) {
  // First: this browser's user id holds a UUID too.
  if (path.startsWith("/api/users/")) return tokens[ownSessions().at(-1)];
  const id = path.match(SESSION_ID);
  return id ? tokens[id[0]] : undefined;
}
// Links the browser opens itself (downloads) carry the token in the query.
const withToken = (path) => (tokenFor(path) ? `${path}?token=${encodeURIComponent(tokenFor(path))}` : path);

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
  const token = tokenFor(path);
  if (token) options.headers.Authorization = `Bearer ${token}`;
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
    el("label", { for: "mode" }, t.mode),
    el("select", { id: "mode", name: "mode" },
      el("option", { value: "practice" }, t.modePractice),
      el("option", { value: "screening" }, t.modeScreening)),
    el("label", { class: "check" }, el("input", { id: "use-mic", name: "use_mic", type: "checkbox" }), " ", t.useMic),
    el("label", { class: "check" }, el("input", { id: "use-camera", name: "use_camera", type: "checkbox" }), " ", t.useCamera),
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
      mode: form.mode.value,
    };
    const devices = { audio: form.use_mic.checked, video: form.use_camera.checked };
    data.append("metadata", JSON.stringify(metadata));
    const file = form.resume.files[0];
    if (file) data.append("resume", file, file.name);
    else if (form.resume_text.value.trim()) data.append("resume_text", form.resume_text.value);
    if (form.job_description.value.trim()) data.append("job_description", form.job_description.value);
    try {
      const session = await api("POST", "/api/interview/start", data);
      rememberToken(session.session_id, session.candidate_token);
      localStorage.setItem("mianshi.own", `${localStorage.getItem("mianshi.own") || ""} ${session.session_id}`.trim());
      // The questions are planned from the résumé, so the candidate checks what was read first.
      if (session.documents && session.documents.profile) {
        current = { screen: "profile", session, language: metadata.language, devices };
        render();
        return;
      }
      await afterProfile(session, metadata.language, devices);
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

// Voice answers need the microphone; without it the answers are typed (camera off).
async function afterProfile(session, language, devices) {
  if (devices.audio) {
    current = { screen: "consent", session, language, devices };
    render();
    return;
  }
  await startTyped(session, language);
}

const splitList = (text) => text.split(/[,，、;；\n]/).map((s) => s.trim()).filter(Boolean);

// What the parser read from the résumé, editable: the questions follow whatever is confirmed
// here (the server refuses corrections once the first question is planned).
function renderProfile() {
  const { session, language, devices } = current;
  const profile = session.documents.profile;
  const match = session.documents.match;
  const entry = (cls, fields) => el("div", { class: `entry ${cls}` }, fields);
  const experience = el("div", { id: "edit-experience" }, profile.experience.map((e, i) => entry("experience", [
    el("input", { type: "text", class: "company", value: e.company || "", "aria-label": `${t.company} ${i + 1}`, placeholder: t.company }),
    el("input", { type: "text", class: "title", value: e.title || "", "aria-label": `${t.jobTitle} ${i + 1}`, placeholder: t.jobTitle }),
  ])));
  const projects = el("div", { id: "edit-projects" }, profile.projects.map((p, i) => entry("project", [
    el("input", { type: "text", class: "name", value: p.name, "aria-label": `${t.projectName} ${i + 1}`, placeholder: t.projectName }),
    el("input", { type: "text", class: "tech", value: p.tech.join(", "), "aria-label": `${t.projectTech} ${i + 1}`, placeholder: t.projectTech }),
  ])));
  const addProject = el("button", { type: "button", class: "secondary", id: "add-project", onclick: () => {
    const row = entry("project", [
      el("input", { type: "text", class: "name", "aria-label": `${t.projectName} ${projects.children.length + 1}`, placeholder: t.projectName }),
      el("input", { type: "text", class: "tech", "aria-label": `${t.projectTech} ${projects.children.length + 1}`, placeholder: t.projectTech }),
    ]);
    projects.append(row);
    row.querySelector("input").focus();
  } }, t.addProject);
  const missing = match ? match.missing.filter((m) => m.required).map((m) => m.skill) : [];
  const form = el("form", { id: "profile-form" },
    el("h2", {}, t.checkProfile),
    el("p", { class: "meta" }, t.checkProfileHint),
    profile.warnings.length ? el("ul", { class: "meta" }, profile.warnings.map((w) => el("li", {}, w))) : null,
    el("label", { for: "edit-name" }, t.name),
    el("input", { type: "text", id: "edit-name", name: "name", value: profile.name || "" }),
    el("label", { for: "edit-skills" }, t.skills),
    el("textarea", { id: "edit-skills", name: "skills", rows: 3, "aria-describedby": "skills-hint" }, profile.skills.map((s) => s.name).join(", ")),
    el("div", { class: "meta", id: "skills-hint" }, t.skillsHint),
    missing.length ? el("p", { class: "meta", id: "missing-skills" }, `${t.missing}: ${missing.join(" · ")}`) : null,
    profile.experience.length ? [el("h3", {}, t.experience), experience] : null,
    el("h3", {}, t.projects), projects, addProject,
    el("div", {}, el("button", { type: "submit", id: "confirm-profile" }, t.confirmProfile)));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("#confirm-profile");
    button.disabled = true;
    form.querySelectorAll(".error").forEach((n) => n.remove());
    const edit = {
      name: form.querySelector("#edit-name").value,
      skills: splitList(form.querySelector("#edit-skills").value),
      experience: [...experience.querySelectorAll(".entry")].map((row) => ({
        company: row.querySelector(".company").value, title: row.querySelector(".title").value })),
      projects: [...projects.querySelectorAll(".entry")].map((row) => ({
        name: row.querySelector(".name").value, tech: splitList(row.querySelector(".tech").value) })),
    };
    try {
      session.documents = await api("PUT", `/api/interview/session/${session.session_id}/documents`, edit);
      await afterProfile(session, language, devices);
    } catch (error) {
      button.disabled = false;
      showError(form, error);
    }
  });
  queueMicrotask(() => form.querySelector("#edit-name").focus());
  return el("section", { class: "card", id: "profile-check" }, form);
}

async function startTyped(session, language) {
  const first = await api("GET", `/api/interview/${session.session_id}/question`);
  current = { screen: "interview", session, language, question: first, last: null };
  render();
  if (first.question) speak(first.question.text, language);
}

// The consent text's version (docs/privacy.md keeps each one); recorded with the session.
const CONSENT_VERSION = "2026-11";

// What is recorded, analysed and stored (DESIGN §2), before any device is opened.
function renderConsent() {
  const { session, language, devices } = current;
  const agree = el("button", { type: "button", id: "agree", onclick: async () => {
    agree.disabled = true;
    try {
      // On record before any device opens; the export shows it.
      await api("POST", `/api/interview/session/${session.session_id}/consent`,
        { version: CONSENT_VERSION, microphone: Boolean(devices.audio), camera: Boolean(devices.video) });
      const stream = await navigator.mediaDevices.getUserMedia({
        audio: devices.audio ? { channelCount: 1, echoCancellation: true, noiseSuppression: true } : false,
        video: devices.video ? { width: 640, height: 480 } : false,
      });
      current = { screen: "devices", session, language, devices, stream };
      render();
    } catch (error) {
      agree.disabled = false;
      card.append(el("p", { class: "error", role: "alert" }, t.deviceError, error.message));
    }
  } }, t.agree);
  const card = el("section", { class: "card", id: "consent" },
    el("h2", {}, t.consentTitle),
    el("ul", {}, el("li", {}, t.consentRecorded), el("li", {}, t.consentAnalysed), el("li", {}, t.consentStored)),
    agree, " ",
    el("button", { type: "button", class: "secondary", id: "type-instead", onclick: () => startTyped(session, language) }, t.typeInstead));
  queueMicrotask(() => agree.focus());
  return card;
}

// Microphone level, camera preview and a lighting hint, so problems show before the first
// question rather than in the report.
function renderDevices() {
  const { stream, devices } = current;
  const meter = el("meter", { id: "mic-level", min: 0, max: 1, value: 0, "aria-label": t.micLevel });
  const hint = el("p", { class: "meta", id: "lighting", role: "status" });
  const preview = el("video", { id: "preview", autoplay: true, muted: true, playsinline: true, "aria-hidden": "true" });
  preview.muted = true;
  preview.srcObject = stream;
  const audioTracks = stream.getAudioTracks();
  let stop = () => {};
  if (audioTracks.length) {
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    context.createMediaStreamSource(stream).connect(analyser);
    const buffer = new Float32Array(analyser.fftSize);
    const timer = setInterval(() => {
      analyser.getFloatTimeDomainData(buffer);
      meter.value = Math.min(1, Math.sqrt(buffer.reduce((a, s) => a + s * s, 0) / buffer.length) * 8);
    }, 100);
    stop = () => { clearInterval(timer); context.close().catch(() => {}); };
  }
  if (stream.getVideoTracks().length) {
    const canvas = document.createElement("canvas");
    setTimeout(function check() {
      if (!preview.videoWidth) return setTimeout(check, 200);
      canvas.width = 64;
      canvas.height = 48;
      const context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(preview, 0, 0, 64, 48);
      const pixels = context.getImageData(0, 0, 64, 48).data;
      let sum = 0;
      for (let i = 0; i < pixels.length; i += 4) sum += 0.299 * pixels[i] + 0.587 * pixels[i + 1] + 0.114 * pixels[i + 2];
      hint.textContent = sum / (pixels.length / 4) / 255 < 0.25 ? t.lightingDark : t.lightingOk;
    }, 300);
  }
  const begin = el("button", { type: "button", id: "begin", onclick: () => { stop(); startLive(); } }, t.begin);
  queueMicrotask(() => begin.focus());
  return el("section", { class: "card", id: "devices" },
    el("h2", {}, t.deviceCheck),
    devices.audio ? [el("label", { for: "mic-level" }, t.micLevel), meter] : null,
    devices.video ? [preview, hint] : null,
    begin);
}

function audioOnly(stream) {
  return stream.getAudioTracks().length ? new MediaStream(stream.getAudioTracks()) : null;
}

function videoOnly(stream) {
  return stream.getVideoTracks().length ? new MediaStream(stream.getVideoTracks()) : null;
}

async function startLive() {
  const { session, language, stream } = current;
  const live = new LiveInterview({
    sessionId: session.session_id, token: tokens[session.session_id], language, audio: audioOnly(stream), video: videoOnly(stream),
    onEvent: (event) => onLiveEvent(event),
  });
  current = { screen: "live", session, language, live, question: null, last: null, committed: "", tentative: "", nudges: [], started: Date.now() };
  render();
  try {
    await live.start();
  } catch (error) {
    showError(main, error);
  }
}

let lastToast = 0;
function onLiveEvent(event) {
  const state = current;
  if (state.screen !== "live") return;
  switch (event.type) {
    case "question":
      state.question = { question: event.question, number: event.number || (state.question ? state.question.number + 1 : 1), max_questions: event.max_questions || (state.question && state.question.max_questions) };
      state.committed = "";
      state.tentative = "";
      state.status = t.reading;
      render();
      state.live.speak(event.question.text).then(() => {
        if (current === state) { state.status = t.listening; updateStatus(); }
      });
      break;
    case "transcript.partial":
      state.tentative = event.tentative || "";
      state.partialCommitted = event.committed || "";
      updateSubtitles();
      break;
    case "transcript.final":
      state.committed = [state.committed, event.text].filter(Boolean).join(state.language === "zh" ? "" : " ");
      state.tentative = "";
      state.partialCommitted = "";
      updateSubtitles();
      break;
    case "score":
      state.last = event;
      state.status = t.thinking;
      render();
      break;
    case "nudge": {
      state.nudges.push(event);
      // Gently: at most one toast every few seconds; the rest wait for the report.
      if (Date.now() - lastToast < 4000) break;
      lastToast = Date.now();
      const toast = document.getElementById("nudge");
      if (toast) {
        toast.textContent = event.message;
        toast.className = `toast ${event.severity}`;
        clearTimeout(toast.timer);
        toast.timer = setTimeout(() => { toast.textContent = ""; toast.className = "toast"; }, 6000);
      }
      break;
    }
    case "session.ended":
      state.live.close();
      showReport();
      break;
    case "error":
      if (event.code !== "no_speech") {
        const status = document.getElementById("live-status");
        if (status) status.textContent = `${t.error}${event.message} (${event.code})`;
      }
      break;
    default:
      break;
  }
}

function updateSubtitles() {
  const node = document.getElementById("subtitles");
  if (!node) return;
  const sep = current.language === "zh" ? "" : " ";
  node.replaceChildren(
    el("span", {}, [current.committed, current.partialCommitted].filter(Boolean).join(sep)),
    el("span", { class: "tentative" }, (current.tentative ? sep : "") + (current.tentative || "")));
}

function updateStatus() {
  const node = document.getElementById("live-status");
  if (node) node.textContent = current.status || "";
}

function renderLive() {
  const { question, last, live } = current;
  const container = el("div", {});
  if (last) container.append(scoreCard(last));
  const timer = el("span", { class: "meta", id: "timer" }, "0:00");
  const tick = setInterval(() => {
    if (!document.body.contains(timer)) return clearInterval(tick);
    const seconds = Math.floor((Date.now() - current.started) / 1000);
    timer.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }, 1000);
  const pause = el("button", { type: "button", class: "secondary", id: "pause", onclick: () => {
    live.setPaused(!live.paused);
    pause.textContent = live.paused ? t.resume : t.pause;
  } }, live.paused ? t.resume : t.pause);
  const q = question && question.question;
  container.append(el("section", { class: "card", id: "live" },
    el("div", { class: "meta" }, q ? `${q.follow_up_depth > 0 ? t.followUp : t.question} ${question.number}${question.max_questions ? ` ${t.of} ${question.max_questions}` : ""}` : "", " · ", timer),
    el("p", { class: "question", id: "question-text" }, q ? q.text : "…"),
    el("p", { class: "meta", id: "live-status", role: "status" }, current.status || ""),
    el("div", { class: "meta" }, t.subtitles),
    el("p", { class: "subtitles", id: "subtitles", "aria-live": "polite" }),
    el("div", { id: "nudge", class: "toast", role: "status", "aria-live": "polite" }),
    el("button", { type: "button", id: "done", onclick: () => { live.answerEnd(); current.status = t.thinking; updateStatus(); } }, t.done),
    " ", pause, " ",
    el("button", { type: "button", class: "secondary", id: "live-type", onclick: () => {
      live.close();
      startTyped(current.session, current.language);
    } }, t.typeInstead)));
  queueMicrotask(updateSubtitles);
  return container;
}

// Content score over past practices, oldest first: a small line chart.
function trend(sessions) {
  const points = sessions
    .filter((s) => typeof s.content_score === "number")
    .map((s) => ({ at: new Date(s.created_at), score: s.content_score }))
    .sort((a, b) => a.at - b.at);
  if (points.length < 2) return "";
  const ns = "http://www.w3.org/2000/svg";
  const width = 600, height = 140, pad = 24;
  const x = (i) => pad + (i * (width - 2 * pad)) / (points.length - 1);
  const y = (v) => height - pad - (v / 100) * (height - 2 * pad);
  const chart = document.createElementNS(ns, "svg");
  chart.setAttribute("viewBox", `0 0 ${width} ${height}`);
  chart.setAttribute("id", "trend");
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", `${t.trend}: ${points.map((p) => Math.round(p.score)).join(", ")}`);
  const line = document.createElementNS(ns, "polyline");
  line.setAttribute("points", points.map((p, i) => `${x(i)},${y(p.score)}`).join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "#2855d8");
  line.setAttribute("stroke-width", "2");
  for (const v of [0, 50, 100]) {
    const rule = document.createElementNS(ns, "line");
    Object.entries({ x1: pad, x2: width - pad, y1: y(v), y2: y(v), stroke: "#d9dee8" }).forEach(([k, val]) => rule.setAttribute(k, val));
    const label = document.createElementNS(ns, "text");
    Object.entries({ x: 2, y: y(v) + 4, "font-size": 10, fill: "#5b6475" }).forEach(([k, val]) => label.setAttribute(k, val));
    label.textContent = String(v);
    chart.append(rule, label);
  }
  chart.append(line);
  points.forEach((p, i) => {
    const dot = document.createElementNS(ns, "circle");
    Object.entries({ cx: x(i), cy: y(p.score), r: 3.5, fill: "#2855d8" }).forEach(([k, val]) => dot.setAttribute(k, val));
    chart.append(dot);
  });
  return el("figure", { class: "trend" }, el("figcaption", { class: "meta" }, t.trend), chart);
}

async function loadHistory(container) {
  if (!ownSessions().length) {
    container.append(el("p", { class: "meta" }, t.noHistory));
    return;
  }
  try {
    // Any live token of this browser's own sessions lists its user's sessions; one whose
    // session was deleted elsewhere is dropped and the next one tried.
    let history = null;
    while (!history && ownSessions().length) {
      try {
        history = await api("GET", `/api/users/${encodeURIComponent(userId)}/history?limit=20`);
      } catch (error) {
        if (error.code !== "invalid_token") throw error;
        forgetToken(ownSessions().at(-1));
      }
    }
    if (!history) {
      container.append(el("p", { class: "meta" }, t.noHistory));
      return;
    }
    if (!history.sessions.length) {
      container.append(el("p", { class: "meta" }, t.noHistory));
      return;
    }
    container.append(trend(history.sessions));
    container.append(el("table", {}, el("tbody", {}, history.sessions.map((s) => el("tr", {},
      el("td", {}, new Date(s.created_at).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB")),
      el("td", {}, s.position || ""),
      el("td", {}, s.content_score === null || s.content_score === undefined ? (s.status === "completed" ? "—" : t.inProgress) : `${s.content_score}/100`),
      el("td", {}, tokens[s.session_id] && el("button", { type: "button", class: "secondary", onclick: async () => {
        const results = await api("GET", `/api/interview/results/${s.session_id}`);
        current = { screen: "report", session: { session_id: s.session_id }, results };
        render();
      } }, t.open)))))));
  } catch (error) {
    showError(container, error);
  }
}

// An answer's score: rubric bars, quoted evidence, advice and what a strong answer covers.
function scoreDetails(score) {
  const rubricName = (id) => { const label = RUBRIC.find(([key]) => key === id); return label ? label[lang === "zh" ? 2 : 1] : id; };
  const bars = el("div", { class: "bars" },
    score.rubric.map((item) => [
      el("span", {}, rubricName(item.dimension)),
      el("span", { class: "bar", role: "img", "aria-label": `${rubricName(item.dimension)} ${item.score}` }, el("span", { style: `width:${item.score}%` })),
      el("span", {}, item.score),
    ]));
  const evidence = el("ul", { class: "evidence" },
    score.evidence.map((e) => el("li", { class: e.effect >= 0 ? "plus" : "minus" }, e.note, el("blockquote", {}, e.quote))));
  return [
    bars,
    score.evidence.length ? [el("h4", {}, t.evidence), evidence] : null,
    score.advice.length ? [el("h4", {}, t.advice), el("ul", {}, score.advice.map((a) => el("li", {}, a)))] : null,
    score.outline.length ? [el("h4", {}, t.outline), el("ul", { class: "outline" }, score.outline.map((o) => el("li", {}, o)))] : null,
  ];
}

function scoreCard(reply) {
  const score = reply.score;
  return el("section", { class: "card", id: "score-card" },
    el("div", { class: "meta" }, t.score),
    el("div", { class: "score", id: "score-value" }, `${score.overall}/100`),
    scoreDetails(score),
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
  current = { screen: "report", session: current.session, results, nudges: current.nudges || [] };
  render();
}

const DIMENSION_NAMES = () => ({
  language: t.dimLanguage, composure: t.dimComposure, body: t.dimBody, focus: t.dimFocus, overall: t.dimOverall,
});

// A five-axis radar of the behaviour scores; an unmeasured axis is drawn at the centre and
// labelled so.
function radar(scores) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = (tag, attrs) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    return node;
  };
  const names = DIMENSION_NAMES();
  const size = 260, c = size / 2, r = 90;
  const point = (i, v) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / scores.length;
    return [c + Math.cos(a) * r * v, c + Math.sin(a) * r * v];
  };
  const chart = svg("svg", { viewBox: `0 0 ${size} ${size}`, width: size, height: size, role: "img", id: "delivery-chart",
    "aria-label": scores.map((s) => `${names[s.dimension]} ${s.value === null ? t.notMeasured : Math.round(s.value)}`).join(", ") });
  for (const ring of [0.25, 0.5, 0.75, 1]) {
    chart.append(svg("polygon", { points: scores.map((_, i) => point(i, ring).join(",")).join(" "), fill: "none", stroke: "#d9dee8" }));
  }
  chart.append(svg("polygon", { points: scores.map((s, i) => point(i, (s.value || 0) / 100).join(",")).join(" "),
    fill: "rgba(40,85,216,.25)", stroke: "#2855d8", "stroke-width": 2 }));
  scores.forEach((s, i) => {
    const [x, y] = point(i, 1.22);
    const label = svg("text", { x, y, "text-anchor": "middle", "font-size": 12, fill: "#1d2433" });
    label.textContent = `${names[s.dimension]} ${s.value === null ? "—" : Math.round(s.value)}`;
    chart.append(label);
  });
  return chart;
}

// A line chart over one answer (0–100 on the y axis) with the tips shown marked where they
// came. `series` is [[label, colour, [[seconds, value], …]], …].
function timeChart(series, nudges, end, label, id) {
  const ns = "http://www.w3.org/2000/svg";
  const width = 560, height = 130, left = 30, right = 10, top = 8, bottom = 22;
  const x = (s) => left + (s / end) * (width - left - right);
  const y = (v) => height - bottom - (Math.max(0, Math.min(100, v)) / 100) * (height - top - bottom);
  const set = (node, attrs) => { for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v); return node; };
  const text = (content, attrs) => { const node = set(document.createElementNS(ns, "text"), { "font-size": 9, fill: "#5b6475", ...attrs }); node.textContent = content; return node; };
  const chart = set(document.createElementNS(ns, "svg"), { viewBox: `0 0 ${width} ${height}`, class: "timeline", role: "img", "aria-label": label, "data-chart": id });
  for (const v of [0, 50, 100]) {
    chart.append(set(document.createElementNS(ns, "line"), { x1: left, x2: width - right, y1: y(v), y2: y(v), stroke: "#e3e7ef" }));
    chart.append(text(String(v), { x: left - 4, y: y(v) + 3, "text-anchor": "end" }));
  }
  chart.append(text("0 s", { x: left, y: height - 6 }));
  chart.append(text(`${Math.round(end)} s`, { x: width - right, y: height - 6, "text-anchor": "end" }));
  for (const [, colour, values] of series) {
    if (values.length < 2) continue;
    chart.append(set(document.createElementNS(ns, "polyline"), {
      points: values.map(([s, v]) => `${x(s)},${y(v)}`).join(" "), fill: "none", stroke: colour, "stroke-width": 2 }));
  }
  for (const nudge of nudges) {
    const marker = set(document.createElementNS(ns, "path"), {
      d: `M${x(nudge.seconds) - 5},${height - bottom + 10} L${x(nudge.seconds) + 5},${height - bottom + 10} L${x(nudge.seconds)},${height - bottom + 1} Z`, fill: "#b3261e" });
    const title = document.createElementNS(ns, "title");
    title.textContent = `${nudge.seconds.toFixed(0)} s: ${nudge.message}`;
    marker.append(title);
    chart.append(marker);
  }
  const legend = el("div", { class: "legend meta" }, series.filter(([, , values]) => values.length >= 2).map(([name, colour]) =>
    el("span", {}, el("span", { class: "swatch", style: `background:${colour}` }), name)));
  return el("figure", { class: "chart" }, el("figcaption", { class: "meta" }, label), chart, legend);
}

// One answer's delivery over time: language, focus and overall per window; then gaze and
// expression (share of time looking at the camera, share of tense or negative expression).
function timelineCharts(delivery) {
  const points = delivery.timeline || [];
  const nudges = delivery.nudges || [];
  const end = Math.max(5, ...points.map((p) => p.seconds), ...nudges.map((n) => n.seconds));
  const index = Object.fromEntries(delivery.scores.map((s, i) => [s.dimension, i]));
  const names = DIMENSION_NAMES();
  const dimensions = [["language", "#2855d8"], ["focus", "#1f8a4c"], ["overall", "#b36b00"]].map(([d, colour]) =>
    [names[d], colour, points.filter((p) => p.values[index[d]] !== null && p.values[index[d]] !== undefined).map((p) => [p.seconds, p.values[index[d]]])]);
  const signal = (id) => points.filter((p) => p.signals && p.signals[id] !== undefined).map((p) => [p.seconds, p.signals[id]]);
  const camera = [["at_camera_pct", "#1f8a4c"], ["negative_expression_pct", "#b3261e"]].map(([id, colour]) =>
    [signalName(id) + " %", colour, signal(id)]);
  const charts = [timeChart(dimensions, nudges, end, t.timeline, "scores")];
  if (camera.some(([, , values]) => values.length >= 2)) charts.push(timeChart(camera, nudges, end, t.timelineCamera, "camera"));
  return charts;
}

function signalName(id) {
  const label = SIGNALS.find((s) => s.signal === id);
  return label ? (lang === "zh" ? label.zh : label.en) : id;
}

// A measured signal with its unit and the band that scores full marks, and whether it was in it.
function metricRow(evidence) {
  const label = SIGNALS.find((s) => s.signal === evidence.signal);
  const unit = label ? (lang === "zh" ? label.unit_zh : label.unit_en) : "";
  const [low, high] = evidence.good;
  const band = low === high ? `${low}` : low < 0 || high < 0 ? `${low} ${t.to} ${high}` : `${low}–${high}`;
  const status = evidence.mean < low ? t.belowBand : evidence.mean > high ? t.aboveBand : t.inBand;
  return el("tr", { class: evidence.mean < low || evidence.mean > high ? "off-band" : "in-band" },
    el("td", {}, signalName(evidence.signal)),
    el("td", {}, `${evidence.mean.toFixed(1)} ${unit}`.trim()),
    el("td", { class: "meta" }, `${t.goodBand} ${band} ${unit}`.trim()),
    el("td", {}, status));
}

// Each signal once: several dimensions read the same measurement (e.g. pitch range).
function metrics(delivery) {
  const seen = new Map();
  for (const score of delivery.scores) for (const e of score.evidence) if (!seen.has(e.signal)) seen.set(e.signal, e);
  return [...seen.values()];
}

function deliveryCard(results, nudges) {
  const delivery = results.delivery;
  if (!delivery) return el("section", { class: "card", id: "delivery" }, el("h3", {}, t.deliveryTitle), el("p", { class: "meta" }, t.noDelivery));
  const names = DIMENSION_NAMES();
  const byName = Object.fromEntries(delivery.scores.map((s) => [s.dimension, s]));
  const cameraOff = byName.body && byName.body.value === null && byName.focus && byName.focus.value === null;
  return el("section", { class: "card", id: "delivery" },
    el("h3", {}, t.deliveryTitle),
    el("p", { class: "meta" }, `${t.scoredBy}: ${delivery.source === "model" ? t.byModel : delivery.source === "rules" ? t.byRules : delivery.source}`),
    radar(delivery.scores),
    el("table", {}, el("tbody", {}, delivery.scores.map((s) => el("tr", {},
      el("td", {}, names[s.dimension] || s.dimension),
      el("td", {}, s.value === null ? t.notMeasured : `${Math.round(s.value)}/100`),
      el("td", { class: "meta" }, s.evidence.map((e) => signalName(e.signal)).join(" · ")))))),
    el("h4", {}, t.metricsTitle),
    el("table", { class: "metrics", id: "interview-metrics" }, el("tbody", {}, metrics(delivery).map(metricRow))),
    cameraOff ? el("p", { class: "meta" }, t.noCamera) : null,
    nudges && nudges.length ? [el("h3", {}, t.nudgesSeen), el("ul", { id: "nudges-seen" }, nudges.map((n) => el("li", {}, n.message)))] : null);
}

function renderReport() {
  const { results } = current;
  const summary = results.summary || { topics: [], strengths: [], to_improve: [] };
  const score = results.content_score;
  const turns = results.turns.map((turn) => {
    const delivery = turn.answer && turn.answer.delivery;
    return el("li", { class: "turn-card" },
      el("strong", {}, turn.question.text),
      turn.answer ? el("blockquote", {}, turn.answer.text) : el("p", { class: "meta" }, t.unanswered),
      turn.score ? [el("div", { class: "meta" }, `${t.score} ${turn.score.overall}/100`), scoreDetails(turn.score)] : null,
      delivery ? [
        el("h4", {}, t.deliveryTitle),
        el("div", { class: "meta" }, delivery.scores
          .map((d) => `${DIMENSION_NAMES()[d.dimension]} ${d.value === null ? t.notMeasured : Math.round(d.value)}`).join(" · ")),
        el("table", { class: "metrics" }, el("tbody", {}, metrics(delivery).map(metricRow))),
        (delivery.timeline || []).length >= 2 ? timelineCharts(delivery) : null,
        (delivery.nudges || []).length
          ? el("ul", { class: "meta answer-tips" }, delivery.nudges.map((n) => el("li", {}, `${n.seconds.toFixed(0)} s · ${n.message}`))) : null,
      ] : null);
  });
  return el("section", { class: "card", id: "report" },
    el("h2", {}, t.report),
    el("p", { class: "score", id: "content-score" }, score === null || score === undefined ? t.noScore : `${t.contentScore} ${score}/100`),
    deliveryCard(results, current.nudges),
    el("h3", {}, t.topics),
    el("table", {},
      el("tbody", {}, summary.topics.map((topic) => el("tr", {},
        el("td", {}, topic.skill),
        el("td", {}, topic.mean_score.toFixed(0)),
        el("td", {}, `${t.keyPoints} ${topic.key_points_covered}/${topic.key_points_total}`))))),
    summary.strengths.length ? [el("h3", {}, t.strengths), el("ul", {}, summary.strengths.map((s) => el("li", {}, s)))] : null,
    summary.to_improve.length ? [el("h3", {}, t.toImprove), el("ul", {}, summary.to_improve.map((s) => el("li", {}, s)))] : null,
    el("h3", {}, t.turns),
    el("ol", { class: "turns" }, turns),
    el("a", { href: withToken(`/api/interview/${results.session_id}/export`), id: "export-json", download: `mianshi-${results.session_id}.json` }, t.exportJson),
    " · ",
    el("a", { href: withToken(`/api/interview/${results.session_id}/report.pdf`), id: "export-pdf", download: `mianshi-${results.session_id}.pdf` }, t.exportPdf),
    " ",
    el("button", { type: "button", class: "secondary", id: "delete", onclick: async (event) => {
      await api("DELETE", `/api/interview/session/${results.session_id}`);
      forgetToken(results.session_id);
      event.target.replaceWith(el("span", { role: "status" }, t.deleted));
    } }, t.deleteSession),
    " ",
    el("button", { type: "button", onclick: () => { current = { screen: "start" }; render(); } }, t.again));
}

const SCREENS = {
  start: () => renderStart(),
  profile: () => renderProfile(),
  consent: () => renderConsent(),
  devices: () => renderDevices(),
  live: () => renderLive(),
  interview: () => renderInterview(),
  report: () => renderReport(),
};

function render() {
  main.replaceChildren(SCREENS[current.screen]());
}

uiSelect.addEventListener("change", () => setLanguage(uiSelect.value));
setLanguage(lang);
openInterviewLink();

// An interview link (`/#session=…&token=…`, made when an operator starts the interview):
// keep the token, take it out of the address bar, and continue the session where it stands.
async function openInterviewLink() {
  const link = new URLSearchParams(location.hash.slice(1));
  const id = link.get("session");
  if (!id || !SESSION_ID.test(id) || !link.get("token")) return;
  rememberToken(id, link.get("token"));
  history.replaceState(null, "", location.pathname);
  try {
    const session = await api("GET", `/api/interview/session/${id}`);
    const language = (session.metadata && session.metadata.language) || lang;
    if (session.status === "completed" || session.status === "cancelled") {
      current = { screen: "report", session, results: await api("GET", `/api/interview/results/${id}`), nudges: [] };
      render();
      return;
    }
    const devices = { audio: true, video: true };
    if (session.status === "created" && session.turn_count === 0) {
      try {
        session.documents = await api("GET", `/api/interview/session/${id}/documents`);
      } catch { /* no résumé was given */ }
      if (session.documents && session.documents.profile) {
        current = { screen: "profile", session, language, devices };
        render();
        return;
      }
    }
    await afterProfile(session, language, devices);
  } catch (error) {
    if (error.code === "invalid_token") forgetToken(id);
    showError(main.querySelector("section") || main, error);
  }
}
