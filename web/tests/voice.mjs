// A candidate's whole spoken interview with camera in headless Chromium: Chromium's fake
// devices play a real recorded answer (WAV) as the microphone and a real talking-head video
// (Y4M) as the camera. Start with a pasted résumé, consent, device check, then three questions
// answered by voice — live subtitles and a nudge appear — and the report with the delivery
// scores. Screenshots of every step.
// Usage: node web/tests/voice.mjs BASE_URL SCREENSHOT_DIR en|zh SPEECH.wav CAMERA.y4m
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, shots, language = "en", wav, y4m] = process.argv.slice(2);
assert.ok(base && shots && wav && y4m, "usage: voice.mjs BASE_URL SCREENSHOT_DIR en|zh SPEECH.wav CAMERA.y4m");
const zh = language === "zh";
const resume = zh
  ? "张伟\n邮箱：zhangwei@example.com\n\n专业技能\nRedis、MySQL、Docker、Kubernetes\n"
  : "Jane Doe\njane@example.com\n\nSkills\nRedis, MySQL, Docker, Kubernetes\n";
const browser = await chromium.launch({
  executablePath: process.env.MIANSHI_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    `--use-file-for-fake-audio-capture=${wav}`, `--use-file-for-fake-video-capture=${y4m}`],
});
const context = await browser.newContext({ viewport: { width: 1100, height: 1300 } });
await context.grantPermissions(["microphone", "camera"], { origin: base });
const page = await context.newPage();
const problems = [];
page.on("console", (msg) => { if (msg.type() === "error") problems.push(msg.text()); });
page.on("pageerror", (err) => problems.push(String(err)));
const shot = async (name) => page.screenshot({ path: `${shots}/voice-${language}-${name}.png`, fullPage: true });

await page.goto(base + "/");
await page.selectOption("#ui-lang", language);
await page.waitForSelector("#start-form");
await page.selectOption("#language", language);
await page.fill("#questions", "3");
await page.fill("#resume-text", resume);
// Microphone and camera are opt-in.
assert.ok(!await page.isChecked("#use-mic") && !await page.isChecked("#use-camera"));
await page.check("#use-mic");
await page.check("#use-camera");
await shot("1-start");
await page.click("#start");

// The parsed résumé is shown for checking; Enter in the name field confirms it.
await page.waitForSelector("#profile-check");
assert.match(await page.inputValue("#edit-skills"), /Redis/);
assert.equal(await page.evaluate(() => document.activeElement.id), "edit-name");
await page.keyboard.press("Enter");

// Consent says what is recorded, analysed and stored; nothing is opened before it.
await page.waitForSelector("#consent");
const consent = await page.textContent("#consent");
assert.match(consent, zh ? /原始音频和视频默认不保存/ : /raw audio and video are not stored/);
await shot("2-consent");
await page.keyboard.press("Enter"); // the agree button has the focus

// Device check: the fake microphone moves the meter, the fake camera shows a picture.
await page.waitForSelector("#devices");
await page.waitForFunction(() => document.querySelector("#preview").videoWidth > 0);
await page.waitForFunction(() => document.querySelector("#mic-level").value > 0.01, null, { timeout: 20000 });
await page.waitForFunction(() => document.querySelector("#lighting").textContent.length > 0);
await shot("3-devices");
// From here on the keyboard only: the start button has the focus.
assert.equal(await page.evaluate(() => document.activeElement.id), "begin");
await page.keyboard.press("Enter");

// Tabs to the element with this id and presses Enter on it.
async function pressByKeyboard(id) {
  for (let i = 0; i < 20; i++) {
    if (await page.evaluate(() => document.activeElement && document.activeElement.id) === id) {
      await page.keyboard.press("Enter");
      return;
    }
    await page.keyboard.press("Tab");
  }
  throw new Error(`#${id} cannot be reached with Tab`);
}

// The interview: each question is shown, then answered by voice; partial and final
// subtitles appear; at least one nudge is shown over the interview.
let nudgeSeen = false;
let subtitlesSeen = false;
let questions = 0;
const deadline = Date.now() + 300000;
while (Date.now() < deadline) {
  if (await page.$("#report")) break;
  await page.waitForFunction(() => document.querySelector("#report") || (document.querySelector("#question-text") && document.querySelector("#question-text").textContent.length > 5), null, { timeout: 120000 });
  if (await page.$("#report")) break;
  const question = await page.textContent("#question-text");
  questions += 1;
  assert.equal(/[\u4e00-\u9fff]/.test(question), zh, `the question is in the interview language: ${question}`);
  // Wait for what the candidate says to appear as subtitles (several words), then say done.
  await page.waitForFunction(() => (document.querySelector("#report")) || (document.querySelector("#subtitles") && document.querySelector("#subtitles").textContent.trim().length > 15), null, { timeout: 120000 });
  if (await page.$("#report")) break;
  subtitlesSeen = true;
  if (questions === 1) await shot("4-answering");
  // Let the answer run long enough for the delivery windows (and a nudge) to come in.
  await page.waitForTimeout(9000);
  nudgeSeen ||= (await page.textContent("#nudge")).trim().length > 0;
  if (nudgeSeen && questions === 1) await shot("5-nudge");
  await pressByKeyboard("done");
  // The score card of this answer (or the report after the last) replaces the screen.
  await page.waitForFunction((previous) => document.querySelector("#report")
    || (document.querySelector("#score-card") && document.querySelector("#question-text").textContent !== previous), question, { timeout: 120000 });
  nudgeSeen ||= Boolean(await page.$("#nudge.toast.info, #nudge.toast.warn"));
}
await page.waitForSelector("#report", { timeout: 120000 });
assert.ok(subtitlesSeen, "live subtitles were shown");
assert.ok(questions >= 2, `${questions} questions answered by voice`);
// The report: the content score, the delivery radar scored by the rules (no model here), the
// tips seen, and every answer's transcript.
await page.waitForSelector("#delivery-chart");
const delivery = await page.textContent("#delivery");
assert.match(delivery, zh ? /规则引擎/ : /rule engine/);
const tips = await page.$$("#nudges-seen li");
assert.ok(nudgeSeen || tips.length > 0, "a nudge was shown during the interview");
assert.ok(tips.length > 0, "the report lists the tips seen");
// Every spoken answer long enough has its delivery over time.
assert.ok((await page.$$("svg.timeline")).length >= 1, "a delivery timeline per answer");
// With the camera on, gaze and expression are drawn over time too.
assert.ok((await page.$$("svg.timeline[data-chart=camera]")).length >= 1, "gaze and expression over time");
// Speech metrics with units and the band that scores full marks.
const metrics = await page.textContent("#interview-metrics");
assert.match(metrics, zh ? /语速[\s\S]*词\/分钟[\s\S]*理想 130–160/ : /Pace[\s\S]*wpm[\s\S]*good 130–160/);
assert.match(metrics, zh ? /注视镜头/ : /Looking at the camera/);
await shot("6-report");
// The export holds everything kept, including the consent given before the devices opened.
const exported = await page.request.get(base + await page.getAttribute("#export-json", "href"));
assert.equal(exported.status(), 200);
const data = await exported.json();
assert.deepEqual([data.consent.microphone, data.consent.camera], [true, true]);
assert.ok(data.results.turns.some((turn) => turn.answer && turn.answer.delivery), "spoken answers carry their delivery");
assert.deepEqual(data.media, []);
assert.deepEqual(problems, [], "no console errors");
await browser.close();
console.log(`voice flow ok: ${questions} questions, ${tips.length} tips`);
