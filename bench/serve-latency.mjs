// Save-to-visible latency of `opsbook serve`, measured in headless Chromium: a tab shows a
// runbook, the script appends a line to that runbook's file and waits until the tab shows it.
// Usage (after `npm ci --prefix tests/browser`):
//   opsbook serve SITE --port 3111 &
//   node bench/serve-latency.mjs http://127.0.0.1:3111/PAGE.html SITE/content/PAGE.md [rounds]
// Prints the time of a full page load for comparison, the body-edit times (the server's patch
// path; the tab swaps the new content in place), then an owner edit (patched, the facet pages
// planned again) and a title edit. A
// time runs from the write to the frame that shows the edit, read from the page's own clock
// (Playwright's polling is not counted); for a full load, to its first contentful paint.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const here = path.dirname(new URL(import.meta.url).pathname);
const require = createRequire(path.join(here, "../tests/browser/package.json"));
const { chromium } = require("playwright-core");
const [url, file, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg || 10);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
});
const page = await browser.newPage();
await page.goto(url);
await page.waitForSelector("html[data-opsbook-live=connected]", { timeout: 20000 });
const original = fs.readFileSync(file, "utf8");

async function timed(edit, marker) {
  const started = performance.timeOrigin + performance.now();
  if (!marker) {
    const loaded = page.waitForEvent("load", { timeout: 20000 });
    await edit();
    await loaded;
    const shown = await page.evaluate(() => {
      const paint = performance.getEntriesByName("first-contentful-paint")[0];
      const nav = performance.getEntriesByType("navigation")[0];
      return performance.timeOrigin + (paint ? paint.startTime : nav.domContentLoadedEventEnd);
    });
    await page.waitForSelector("html[data-opsbook-live=connected]", { timeout: 20000 });
    await new Promise((r) => setTimeout(r, 200));
    return shown - started;
  }
  // The frame after the marker enters the document (the tab updates in place).
  await page.evaluate((m) => {
    window.opsbookShown = new Promise((resolve) => {
      const seen = () => document.body.textContent.includes(m);
      const observer = new MutationObserver(() => {
        if (!seen()) return;
        observer.disconnect();
        requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()));
      });
      observer.observe(document.documentElement, { childList: true, subtree: true });
    });
  }, marker);
  await edit();
  await page.waitForSelector(`text=${marker}`, { timeout: 20000 });
  const shown = await page.evaluate(() => window.opsbookShown);
  if (shown === undefined) throw new Error("the tab loaded the page again instead of updating it");
  await new Promise((r) => setTimeout(r, 200));
  return shown - started;
}

// For comparison: the same page loaded again with nothing changed.
const plain = [];
for (let i = 0; i < rounds; i++) {
  plain.push(await timed(() => page.evaluate(() => location.reload()), null));
}
const median = (list) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)];
console.log(`full page load (ms): ${plain.map((t) => t.toFixed(0)).join(", ")}; median ${median(plain).toFixed(0)} ms`);

const body = [];
for (let i = 0; i < rounds; i++) {
  const marker = `Edited-${i}-${Date.now()}`;
  body.push(await timed(() => fs.appendFileSync(file, `\n\nNote ${marker}\n`), marker));
}
console.log(`body edits (ms): ${body.map((t) => t.toFixed(0)).join(", ")}; median ${median(body).toFixed(0)} ms, worst ${Math.max(...body).toFixed(0)} ms`);
// A new owner: the owners pages change too, so the server plans the generated pages again.
const ownerMarker = `Owner${Date.now()}`;
const owner = await timed(
  () => fs.writeFileSync(file, original.replace(/^---\n/, `---\nowner: ${ownerMarker}\n`).replace(/^(owner: (?!Owner).*)$/m, "")),
  ownerMarker,
);
console.log(`owner edit (front matter, facet pages planned again): ${owner.toFixed(0)} ms`);
// A new title: patched too, unless the old or new title is another runbook's, or a reference
// names either (then the whole site is loaded again and the tab reloads; pick FILE accordingly).
const titleMarker = `Title${Date.now()}`;
const title = await timed(
  () => fs.writeFileSync(file, original.replace(/^title: (.*)$/m, `title: ${titleMarker}`)),
  titleMarker,
);
fs.writeFileSync(file, original);
console.log(`title edit: ${title.toFixed(0)} ms`);
await browser.close();
