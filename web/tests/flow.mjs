// A candidate's whole text interview in headless Chromium: start with a pasted résumé, answer
// every question (one with Ctrl+Enter from the keyboard), read the report, delete the practice.
// Usage: node web/tests/flow.mjs BASE_URL [SCREENSHOT_DIR]
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, shots] = process.argv.slice(2);
assert.ok(base, "usage: flow.mjs BASE_URL [SCREENSHOT_DIR]");
const browser = await chromium.launch({
  executablePath: process.env.MIANSHI_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1100, height: 1300 } });
const problems = [];
page.on("console", (msg) => { if (msg.type() === "error") problems.push(msg.text()); });
page.on("pageerror", (err) => problems.push(String(err)));
const shot = async (name) => { if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true }); };

await page.goto(base + "/");
await page.selectOption("#ui-lang", "en");
await page.waitForSelector("#start-form");
await page.selectOption("#language", "en");
await page.fill("#questions", "3");
await page.fill("#resume-text", "Jane Doe\njane@example.com\n\nSkills\nRedis, MySQL, Docker, Kubernetes\n");
await shot("1-start");
await page.click("#start");
await page.waitForSelector("#question-text");
const first = await page.textContent("#question-text");
assert.ok(first.length > 10, "a question is shown");
await shot("2-question");

// First answer from the keyboard: type, then Ctrl+Enter.
await page.focus("#answer");
await page.keyboard.type("First, I would explain the idea. I led the migration because we needed lower latency; p95 went from 300 ms to 90 ms.");
await page.keyboard.press("Control+Enter");
let finished = false;
for (let turn = 0; turn < 6 && !finished; turn++) {
  await page.waitForSelector("#score-value, #report");
  if (await page.$("#report")) { finished = true; break; }
  const score = await page.textContent("#score-value");
  assert.match(score, /^\d+\/100$/);
  if (turn === 0) await shot("3-scored");
  await page.fill("#answer", "We used it in our project and it was fine overall.");
  await page.click("#submit");
  await page.waitForFunction(() => document.querySelector("#report") || document.querySelector("#submit:not([disabled])"));
  finished = Boolean(await page.$("#report"));
}
assert.ok(finished, "the report appears when the interview ends");
const total = await page.textContent("#content-score");
assert.match(total, /Content score \d+(\.\d)?\/100/);
await shot("4-report");
await page.click("#delete");
await page.waitForSelector("text=Deleted.");
assert.deepEqual(problems, [], "no console errors");
await browser.close();
console.log("web flow ok:", first.slice(0, 60), "…", total);
