// A candidate's whole text interview in headless Chromium: start with a pasted résumé, answer
// every question (one with Ctrl+Enter from the keyboard), read the report, delete the practice.
// Usage: node web/tests/flow.mjs BASE_URL [SCREENSHOT_DIR] [en|zh]
import { chromium } from "playwright-core";
import assert from "node:assert/strict";

const [base, shots, language = "en"] = process.argv.slice(2);
const zh = language === "zh";
const text = zh
  ? { resume: "张伟\n邮箱：zhangwei@example.com\n\n专业技能\nRedis、MySQL、Docker、Kubernetes\n",
      strong: "首先我会说明原理，其次讲我的做法。当时我负责迁移，因为需要降低延迟，最终 P95 从 300ms 降到 90ms。",
      weak: "这个我们项目里也用过，整体效果还可以。", total: /内容总分 \d+(\.\d)?\/100/, deleted: "已删除。" }
  : { resume: "Jane Doe\njane@example.com\n\nSkills\nRedis, MySQL, Docker, Kubernetes\n",
      strong: "First, I would explain the idea. I led the migration because we needed lower latency; p95 went from 300 ms to 90 ms.",
      weak: "We used it in our project and it was fine overall.", total: /Content score \d+(\.\d)?\/100/, deleted: "Deleted." };
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
const shot = async (name) => { if (shots) await page.screenshot({ path: `${shots}/${language}-${name}.png`, fullPage: true }); };

// Nothing may be wider than a phone's screen.
async function fitsPhone(name) {
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `${name} is ${overflow}px wider than a phone`);
  await shot(`${name}-phone`);
  await page.setViewportSize({ width: 1100, height: 1300 });
}

await page.goto(base + "/");
await page.selectOption("#ui-lang", language);
await page.waitForSelector("#start-form");
await fitsPhone("0-start");
await page.selectOption("#language", language);
await page.fill("#questions", "3");
await page.fill("#resume-text", text.resume);
await shot("1-start");
await page.click("#start");
// The parsed résumé is shown for checking; the candidate fixes the name, adds a skill the
// parser missed (written as an alias) and a project, and the questions follow the fix.
await page.waitForSelector("#profile-check");
assert.match(await page.inputValue("#edit-skills"), /Redis/);
await page.fill("#edit-name", zh ? "张伟明" : "Jane Q. Doe");
await page.fill("#edit-skills", (await page.inputValue("#edit-skills")) + (zh ? "、golang" : ", golang"));
await page.click("#add-project");
await page.fill("#edit-projects .entry:last-child .name", zh ? "订单系统" : "Order service");
await page.fill("#edit-projects .entry:last-child .tech", "Go, Redis");
await shot("1b-profile");
await fitsPhone("1b-profile");
await page.click("#confirm-profile");
await page.waitForSelector("#question-text");
const first = await page.textContent("#question-text");
const profileShown = await page.textContent("#profile");
assert.match(profileShown, /Redis/, "the parsed résumé is shown");
assert.match(profileShown, /Go\b/, "the added skill is kept under its canonical name");
assert.match(profileShown, zh ? /张伟明/ : /Jane Q\. Doe/, "the corrected name is kept");
assert.ok(first.length > 10, "a question is shown");
assert.equal(/[\u4e00-\u9fff]/.test(first), zh, `the question is in the interview language: ${first}`);
await shot("2-question");

// First answer from the keyboard: type, then Ctrl+Enter.
await page.focus("#answer");
await page.keyboard.type(text.strong);
await page.keyboard.press("Control+Enter");
let finished = false;
for (let turn = 0; turn < 6 && !finished; turn++) {
  await page.waitForSelector("#score-value, #report");
  if (await page.$("#report")) { finished = true; break; }
  const score = await page.textContent("#score-value");
  assert.match(score, /^\d+\/100$/);
  if (turn === 0) await shot("3-scored");
  await page.fill("#answer", text.weak);
  await page.click("#submit");
  await page.waitForFunction(() => document.querySelector("#report") || document.querySelector("#submit:not([disabled])"));
  finished = Boolean(await page.$("#report"));
}
assert.ok(finished, "the report appears when the interview ends");
const total = await page.textContent("#content-score");
assert.match(total, text.total);
await shot("4-report");
await fitsPhone("4-report");
// The PDF export is the same report printed by the server.
const pdfHref = await page.getAttribute("#export-pdf", "href");
const pdf = await page.request.get(base + pdfHref);
assert.equal(pdf.status(), 200);
assert.equal(pdf.headers()["content-type"], "application/pdf");
assert.equal((await pdf.body()).subarray(0, 4).toString(), "%PDF");
// Back to the start: the practice is in this browser's history, and its report opens again.
await page.getByRole("button", { name: zh ? "再练一次" : "Practise again" }).click();
await page.waitForSelector("#history table");
const rows = await page.$$("#history tbody tr");
assert.ok(rows.length >= 1, "the finished practice is listed");
await page.click("#history tbody tr:first-child button");
await page.waitForSelector("#report");
assert.match(await page.textContent("#content-score"), text.total);
// The interview link opens the session in a browser that has never seen it (the operator's
// hand-off): the token is taken out of the address bar, and a forged one opens nothing.
const [sessionId, token] = await page.evaluate(() => Object.entries(JSON.parse(localStorage.getItem("mianshi.tokens"))).at(-1));
const other = await browser.newContext({ viewport: { width: 1100, height: 1300 } });
const linked = await other.newPage();
linked.on("pageerror", (err) => problems.push(String(err)));
await linked.goto(`${base}/#session=${sessionId}&token=${token}`);
await linked.waitForSelector("#report");
// (A browser new to the app shows it in its own language.)
assert.match(await linked.textContent("#content-score"), /\d+(\.\d)?\/100/);
assert.ok(!linked.url().includes("token"), `the token stays in the address bar: ${linked.url()}`);
const forged = await other.newPage();
await forged.goto(`${base}/#session=${sessionId}&token=msc_${"0".repeat(64)}`);
await forged.waitForSelector(".error");
assert.equal(await forged.$("#report"), null, "a forged token opens no report");
await other.close();
await page.click("#delete");
await page.waitForSelector(`text=${text.deleted}`);
assert.deepEqual(problems, [], "no console errors");
await browser.close();
console.log("web flow ok:", first.slice(0, 60), "…", total);
