// Browser tests for the built site, in real headless Chromium (Debian's package).
// Usage: node run.mjs <example-site-output> [<large-site-output>]
// Run by tests/testsuite/browser.rs; prints one line per test and "N passed, N failed".
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const [example, large] = process.argv.slice(2);
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".xml": "application/xml", ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png" };

// A static server that logs what it served (path, raw bytes, gzip bytes).
function serve(dir) {
  const log = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    let file = path.join(dir, decodeURIComponent(url.pathname));
    if (!file.startsWith(dir)) { res.writeHead(403); res.end(); return; }
    if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
    if (!fs.existsSync(file)) { res.writeHead(404); res.end("not found"); log.push({ path: url.pathname, status: 404, raw: 0, gzip: 0 }); return; }
    const body = fs.readFileSync(file);
    log.push({ path: url.pathname, status: 200, raw: body.length, gzip: zlib.gzipSync(body, { level: 9 }).length });
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
    res.end(body);
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, log, origin: `http://127.0.0.1:${server.address().port}` })));
}

const results = [];
// Some Playwright calls (close, evaluate, newPage) have no timeout of their own: a test that
// stalls fails after TEST_LIMIT_MS, naming its last step, instead of hanging the suite.
const TEST_LIMIT_MS = 120000;
let lastStep = "";
function step(label) { lastStep = label; }
// ONLY=words runs only the tests whose name holds them (while working on one).
async function test(name, fn) {
  if (process.env.ONLY && !name.includes(process.env.ONLY)) return;
  const started = Date.now();
  step("start");
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${TEST_LIMIT_MS / 1000} s; last step: ${lastStep}`)), TEST_LIMIT_MS);
  });
  try {
    await Promise.race([fn(), limit]);
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e && e.stack || e}`);
  } finally {
    clearTimeout(timer);
  }
}
// Whatever stalls outside a test (closing the browser), the suite ends within this.
setTimeout(() => {
  console.log(`FAIL the suite did not finish within 15 minutes; last step: ${lastStep}`);
  process.exit(1);
}, 15 * 60 * 1000).unref();
function assert(cond, msg) { if (!cond) throw new Error(msg); }

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

// A page that records console errors, page errors and every request it makes.
async function open(context, url) {
  const page = await context.newPage();
  page.errors = [];
  page.requests = [];
  page.on("console", (m) => { if (m.type() === "error") page.errors.push(m.text()); });
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("request", (r) => page.requests.push(r.url()));
  step(`open ${url}`);
  await page.goto(url, { waitUntil: "load" });
  return page;
}

async function search(page, query) {
  step(`search "${query}"`);
  await page.click("#search-input");
  await page.fill("#search-input", query);
  await page.waitForFunction((q) => {
    const s = document.getElementById("search-status");
    return s && s.getAttribute("data-query") === q;
  }, query, { timeout: 10000 });
  return page.$$eval("#search-results .result-title", (as) => as.map((a) => ({ title: a.textContent, href: a.getAttribute("href") })));
}

async function axe(page, label) {
  step(`axe ${label}`);
  await page.addScriptTag({ content: AXE });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join("; ")}`);
  });
  assert(found.length === 0, `${label}: axe reports ${found.join(" | ")}`);
}

const { server, log, origin } = await serve(path.resolve(example));
const context = await browser.newContext();
// axe-core is injected as an inline script, which the site's CSP (rightly) forbids.
const axeContext = await browser.newContext({ bypassCSP: true });

await test("search finds a runbook by its alert name", async () => {
  const page = await open(context, `${origin}/index.html`);
  const hits = await search(page, "RedisMemoryHigh");
  assert(hits.length > 0 && hits[0].title === "RedisDown", `got ${JSON.stringify(hits)}`);
  await page.click("#search-results .result-title");
  // The runbook opens with the words searched for marked in its body.
  await page.waitForURL(/redis-down\.html\?h=RedisMemoryHigh$/);
  await page.waitForSelector("main .body mark.hit");
  const marked = await page.$$eval("main .body mark.hit", (ms) => ms.map((m) => m.textContent.toLowerCase()));
  assert(marked.includes("memory") && marked.every((m) => /^(redis|memory|high)/.test(m)), `marked ${JSON.stringify(marked)}`);
  assert(page.errors.length === 0, page.errors.join(" | "));
  await page.close();
});

await test("search finds a runbook by a phrase from its body", async () => {
  const page = await open(context, `${origin}/sophmate/index.html`);
  const hits = await search(page, "restore the newest backup into a scratch");
  assert(hits.length > 0 && hits[0].title === "Backup and Staging Workflow", `got ${JSON.stringify(hits)}`);
  const typed = await search(page, "Freeb");
  assert(typed.some((h) => h.title === "External Dependencies"), `prefix search: ${JSON.stringify(typed)}`);
  await page.close();
});

await test("search finds through a misspelling, and says when no runbook has every word", async () => {
  const page = await open(context, `${origin}/index.html`);
  for (const q of ["RedisMemoryHgh", "redis memroy high", "Redis Dwon"]) {
    const hits = await search(page, q);
    assert(hits.length > 0 && hits[0].title === "RedisDown", `${q}: got ${JSON.stringify(hits)}`);
  }
  const partial = await search(page, "redis unicornfarm");
  assert(partial.length > 0 && partial[0].title === "RedisDown", `partial: ${JSON.stringify(partial)}`);
  assert(/no runbook has all the words/i.test(await page.textContent("#search-status")), "partial matches not said as such");
  const none = await search(page, "zzqxjv");
  assert(none.length === 0 && /no runbook matches/i.test(await page.textContent("#search-status")), "nonsense found something");
  await page.close();
});

await test("search filters by owner, the values loaded only when the filters open", async () => {
  const page = await open(context, `${origin}/index.html`);
  await search(page, "incident");
  assert(await page.evaluate(() => !window.opsbookSearch.facetList), "filter values loaded before the filters opened");
  const toggle = page.locator(".filters-toggle");
  assert((await toggle.getAttribute("aria-expanded")) === "false", "filters open from the start");
  await toggle.click();
  await page.waitForSelector('select[data-facet="owner"]');
  assert((await toggle.getAttribute("aria-expanded")) === "true", "aria-expanded not set");
  const option = await page.$eval('select[data-facet="owner"]', (s) => Array.from(s.options).find((o) => o.textContent.startsWith("Engineering")).value);
  await page.selectOption('select[data-facet="owner"]', option);
  await page.waitForFunction(() => document.querySelectorAll("#search-results li").length === 1);
  const titles = await page.$$eval("#search-results .result-title", (as) => as.map((a) => a.textContent));
  assert(titles.length === 1 && titles[0] === "Incident Response", `got ${titles}`);
  assert((await toggle.textContent()) === "Filters (1)", `the button says ${await toggle.textContent()}`);
  await page.close();
});

await test("results show the matching text marked, open at the matching heading, and show more on demand", async () => {
  const page = await open(context, `${origin}/index.html`);
  // In a heading: the snippet is that heading, and the result opens there.
  await search(page, "redis connection");
  const first = await page.$eval("#search-results li", (li) => ({
    href: li.querySelector("a").getAttribute("href"),
    snippet: li.querySelector(".result-snippet").innerHTML,
  }));
  assert(first.snippet === '\u00a7 3. <mark class="hit">Redis</mark> <mark class="hit">Connection</mark> Failures', `snippet ${first.snippet}`);
  assert(first.href.endsWith("incident-response.html?h=redis%20connection#3-redis-connection-failures"), `href ${first.href}`);
  // In the summary: the words marked there; markup in the text stays text.
  await search(page, "redis memory");
  const lead = await page.$eval('#search-results li:has(a[href*="redis-down"]) .result-snippet', (s) => ({ html: s.innerHTML, marks: Array.from(s.querySelectorAll("mark")).map((m) => m.textContent) }));
  assert(lead.marks.includes("Redis") && lead.marks.includes("memory") && !/<(?!\/?mark)/.test(lead.html), `summary snippet ${JSON.stringify(lead)}`);
  // Misspelt: the word found is marked.
  await search(page, "redis memroy");
  const typo = await page.$eval('#search-results li:has(a[href*="redis-down"]) .result-snippet', (s) => Array.from(s.querySelectorAll("mark")).map((m) => m.textContent));
  assert(typo.includes("memory"), `misspelt word not marked: ${typo}`);
  // Many results: ten, then ten more on request.
  await search(page, "incident");
  const count = () => page.$$eval("#search-results li", (l) => l.length);
  const total = await page.evaluate(() => window.opsbookSearch.metaData.docs);
  const shown = await count();
  const more = page.locator(".search-more");
  if (shown < total && !(await more.isHidden())) {
    assert(shown === 10, `${shown} shown at first`);
    await more.click();
    await page.waitForFunction((n) => document.querySelectorAll("#search-results li").length > n, shown);
    assert(await page.evaluate(() => document.activeElement.classList.contains("search-more") || document.querySelector(".search-more").hidden), "focus lost after Show more");
  } else {
    assert(shown <= 10 && (await more.isHidden()), `${shown} shown with the button ${await more.isHidden() ? "hidden" : "shown"}`);
  }
  // On a phone the results use the screen's width, inside it.
  for (const width of [360, 768]) {
    await page.setViewportSize({ width, height: 740 });
    await search(page, `redis ${width}`);
    await search(page, "redis connection");
    const box = await page.$eval("#search-panel", (p) => { const r = p.getBoundingClientRect(); return { left: r.left, right: r.right, width: r.width, scroll: document.scrollingElement.scrollWidth, inner: innerWidth }; });
    assert(box.left >= 0 && box.right <= box.inner && box.scroll <= box.inner && box.width >= Math.min(576, box.inner - 40), `panel at ${width}px: ${JSON.stringify(box)}`);
  }
  await page.close();
});

await test("slash focuses the search box; Escape closes the results", async () => {
  const page = await open(context, `${origin}/workopti/incident-response.html`);
  await page.keyboard.press("/");
  assert(await page.evaluate(() => document.activeElement.id === "search-input"), "search box not focused");
  await page.keyboard.type("postmortem");
  await page.waitForSelector("#search-results li");
  await page.keyboard.press("Escape");
  assert(await page.$eval("#search-panel", (p) => p.hidden), "panel still open");
  // Nothing reopens it afterwards: not the search typed before Escape (it runs 40 ms after the
  // last key), nor the input event of the browser emptying the field. A negative can only be
  // watched for a while: well past the 40 ms.
  await page.waitForTimeout(300);
  assert(await page.$eval("#search-panel", (p) => p.hidden), "panel reopened after Escape");
  await page.close();
});

await test("a ticked checklist item survives a reload and the reset clears it", async () => {
  const page = await open(context, `${origin}/sophmate/incident-response.html`);
  const box = "input.task[data-task='1']";
  assert(!(await page.isChecked(box)), "starts unticked");
  await page.check(box);
  await page.reload();
  assert(await page.isChecked(box), "tick lost on reload");
  await page.click("[data-reset-tasks]");
  assert(!(await page.isChecked(box)), "reset did not clear");
  await page.reload();
  assert(!(await page.isChecked(box)), "reset did not persist");
  await page.close();
});

await test("the copy button copies the code (commands only for console sessions)", async () => {
  const ctx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"] });
  const page = await open(ctx, `${origin}/sophmate/diagnostics-and-support.html`);
  await page.click(".code .copy");
  await page.waitForFunction(() => document.querySelector(".code .copy").textContent === "Copied");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  assert(copied === "wp sophmate diagnostics --redact --output=/tmp/sophmate-diagnostics.zip", `copied ${JSON.stringify(copied)}`);
  // The button covers no code, at phone width too; the block takes keyboard focus.
  for (const width of [375, 1280]) {
    await page.setViewportSize({ width, height: 800 });
    const [button, code] = await page.evaluate(() => [".code .copy", ".code pre code"].map((s) => {
      const r = document.querySelector(s).getBoundingClientRect();
      return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
    }));
    const firstLine = code.top + 16;
    assert(button.bottom <= code.top + 2 || button.top >= firstLine, `at ${width}px the button (${JSON.stringify(button)}) covers the code (${JSON.stringify(code)})`);
  }
  assert((await page.getAttribute(".code pre", "tabindex")) === "0", "the code block cannot take focus");
  await ctx.close();
  // When neither clipboard route works, the button says so instead of "Copied".
  const denied = await browser.newContext();
  const blocked = await open(denied, `${origin}/sophmate/diagnostics-and-support.html`);
  await blocked.evaluate(() => {
    Object.defineProperty(navigator, "clipboard", { value: { writeText: () => Promise.reject(new Error("denied")) } });
    document.execCommand = () => false;
  });
  await blocked.click(".code .copy");
  await blocked.waitForFunction(() => /failed/.test(document.querySelector(".code .copy").textContent));
  await denied.close();
});

await test("a destructive step is framed and copies only on a second tap", async () => {
  const ctx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"], viewport: { width: 375, height: 812 }, hasTouch: true });
  const page = await open(ctx, `${origin}/customer-portal/alerts/redis-down.html`);
  const block = page.locator(".code.destructive");
  assert((await block.count()) === 1, `${await block.count()} destructive blocks`);
  assert(/changes the system/i.test(await block.locator(".destructive-label").textContent()), "no label");
  await page.evaluate(() => navigator.clipboard.writeText("before"));
  await block.locator(".copy").tap();
  assert((await block.locator(".copy").textContent()) === "Tap again to copy", "the first tap did not arm the button");
  assert((await page.evaluate(() => navigator.clipboard.readText())) === "before", "the first tap copied");
  await block.locator(".copy").tap();
  await page.waitForFunction(() => document.querySelector(".code.destructive .copy").textContent === "Copied");
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  // Copied as filled in: the host's default value, not `<redis_host>`.
  assert(copied.includes("redis-cli -h redis.portal.internal UNLINK"), `copied ${JSON.stringify(copied)}`);
  // The label and button sit above the code, never over it.
  const [button, code] = await page.evaluate(() => [".code.destructive .copy", ".code.destructive pre code"].map((s) => document.querySelector(s).getBoundingClientRect().toJSON()));
  assert(button.bottom <= code.top + 2, `button ${JSON.stringify(button)} over code ${JSON.stringify(code)}`);
  await ctx.close();
});

// Variables, on a site made to attack them (tests/fixtures/variables).
if (process.env.VARIABLES_SITE) {
  const vs = await serve(path.resolve(process.env.VARIABLES_SITE));
  const failover = `${vs.origin}/db/failover.html`;
  const state = (page) => page.evaluate(() => ({
    spans: Array.from(document.querySelectorAll(".body .var")).map((s) => [s.getAttribute("data-var"), s.textContent]),
    links: Array.from(document.querySelectorAll(".body a[href^=http]")).map((a) => a.href),
    fields: Array.from(document.querySelectorAll("form.variables input")).map((i) => [i.getAttribute("data-var"), i.value, i.getAttribute("aria-invalid")]),
    stored: JSON.stringify(Object.assign({}, sessionStorage)) + JSON.stringify(Object.assign({}, localStorage)),
    images: document.querySelectorAll(".body img").length,
    pwned: window.__pwned === 1,
  }));
  const spanText = (st, name) => st.spans.filter(([n]) => n === name).map(([, t]) => t);

  await test("variables fill code and links as text; a value cannot inject markup or move a link", async () => {
    const ctx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"], viewport: { width: 375, height: 812 } });
    const page = await open(ctx, failover);
    assert(await page.isVisible("form.variables"), "the form is hidden");
    let st = await state(page);
    // One field per referenced variable, in order of first use, the site's included.
    assert(JSON.stringify(st.fields.map((f) => f[0])) === JSON.stringify(["cluster", "namespace", "api_token", "region"]), `fields ${JSON.stringify(st.fields)}`);
    assert(spanText(st, "namespace").every((t) => t === "monitoring"), `default not filled: ${JSON.stringify(st.spans)}`);
    assert(spanText(st, "cluster").every((t) => t === "<cluster>"), "an empty field changed its references");
    // The form sits above the steps.
    const [formTop, stepsTop] = await page.evaluate(() => [document.querySelector("form.variables"), document.querySelector(".body h2")].map((e) => e.getBoundingClientRect().top));
    assert(formTop < stepsTop, "the form is below the steps");
    // Markup through the form stays text, in code, inline code and the link's query.
    const attack = '"><img src=x onerror="window.__pwned=1"><b>x</b>';
    await page.fill("#var-cluster", attack);
    st = await state(page);
    assert(spanText(st, "cluster").length === 2 && spanText(st, "cluster").every((t) => t === attack), `cluster spans ${JSON.stringify(st.spans)}`);
    assert(st.images === 0 && !st.pwned && (await page.locator(".body b").count()) === 0, "the value became markup");
    const logs = new URL(st.links[0]);
    assert(logs.host === "logs.example.com" && logs.searchParams.get("cluster") === attack && logs.searchParams.get("ns") === "monitoring", `logs link ${st.links[0]}`);
    // A value cannot change a link's scheme, host or structure.
    for (const v of ["evil.example/@x?y=1#z", "javascript:alert(1)", "//evil.example", "a&region=eu-west-1"]) {
      await page.fill("#var-cluster", v);
      st = await state(page);
      const u = new URL(st.links[0]);
      assert(u.protocol === "https:" && u.host === "logs.example.com" && u.pathname === "/app" && u.searchParams.get("cluster") === v && u.searchParams.getAll("region").length === 1, `${v}: ${st.links[0]}`);
      assert(st.links[1] === "https://%3Ccluster%3E.example.com/status", `${v} reached a host: ${st.links[1]}`);
    }
    await page.fill("#var-cluster", "prod-eu-1");
    // A value that fails its pattern is an error and is not used.
    await page.fill("#var-namespace", "Not A Namespace");
    st = await state(page);
    assert(st.fields[1][2] === "true" && /must match/.test(await page.textContent("#var-namespace-error")), "no error shown");
    assert(spanText(st, "namespace").every((t) => t === "<namespace>") && st.links[0].includes("ns=%3Cnamespace%3E"), `invalid value used: ${JSON.stringify(st)}`);
    await page.fill("#var-namespace", "db");
    // A secret fills code only, shown as dots, copied in full; never a link, never stored.
    await page.fill("#var-api_token", "s3cr3t-TOKEN");
    st = await state(page);
    assert(spanText(st, "api_token").every((t) => t === "\u2022\u2022\u2022"), `secret shown: ${JSON.stringify(st.spans)}`);
    assert(st.links[2] === "https://api.example.com/check?token=%3Capi_token%3E", `secret in a link: ${st.links[2]}`);
    assert(!st.stored.includes("s3cr3t") && !page.url().includes("s3cr3t"), `secret stored: ${st.stored}`);
    // Highlighting is kept around the reference (the token sits inside a string).
    assert(await page.evaluate(() => !!document.querySelector(".hl-s .var[data-var=api_token]")), "highlighting lost");
    await page.click(".code .copy");
    await page.waitForFunction(() => document.querySelector(".code .copy").textContent === "Copied");
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    assert(copied === 'kubectl --context prod-eu-1 -n db get pods\ncurl -H "Authorization: Bearer s3cr3t-TOKEN" https://api.example.com/v1/db/status\n', `copied ${JSON.stringify(copied)}`);
    assert(page.errors.length === 0, page.errors.join(" | "));
    await ctx.close();
  });

  await test("values last the session across runbooks and come from the URL and alert pages; secrets never", async () => {
    const ctx = await browser.newContext();
    const page = await open(ctx, failover);
    await page.fill("#var-cluster", "prod-eu-1");
    await page.fill("#var-api_token", "s3cr3t");
    await page.goto(`${vs.origin}/db/restore.html`);
    let st = await state(page);
    assert(JSON.stringify(st.fields) === JSON.stringify([["cluster", "prod-eu-1", "false"], ["api_token", "", "false"]]), `carried ${JSON.stringify(st.fields)}`);
    assert(!st.stored.includes("s3cr3t"), "secret stored");
    // The query wins over the session; a secret in the query is ignored.
    await page.goto(`${failover}?cluster=from-url&namespace=db&api_token=leaked&region=eu-west-1`);
    st = await state(page);
    assert(JSON.stringify(st.fields.map((f) => f[1])) === JSON.stringify(["from-url", "db", "", "eu-west-1"]), `from the URL ${JSON.stringify(st.fields)}`);
    assert(!st.stored.includes("leaked"), "secret from the URL stored");
    // Markup through the URL stays text too, and cannot move a link.
    const attack = '"><img src=x onerror="window.__pwned=1">&region=x';
    await page.goto(`${failover}?cluster=${encodeURIComponent(attack)}`);
    st = await state(page);
    assert(spanText(st, "cluster").every((t) => t === attack) && st.images === 0 && !st.pwned, `from the URL: ${JSON.stringify(st.spans)}`);
    const logs = new URL(st.links[0]);
    assert(logs.host === "logs.example.com" && logs.searchParams.get("cluster") === attack && logs.searchParams.getAll("region").length === 1, `link ${st.links[0]}`);
    // An alert page forwards its query to its runbook, or to each of its runbooks.
    await page.goto(`${vs.origin}/alerts/DatabaseDown.html?cluster=via-alert&namespace=kube-system`);
    await page.waitForURL(/failover\.html\?cluster=via-alert&namespace=kube-system$/, { timeout: 10000 });
    await page.waitForSelector("form.variables:not([hidden])");
    st = await state(page);
    assert(st.fields[0][1] === "via-alert" && st.fields[1][1] === "kube-system", `after the alert page ${JSON.stringify(st.fields)}`);
    await page.goto(`${vs.origin}/alerts/DatabaseSlow.html?cluster=two`);
    const hrefs = await page.$$eval(".alert-runbooks > li > a", (as) => as.map((a) => a.href));
    assert(hrefs.length === 2 && hrefs.every((h) => h.endsWith(".html?cluster=two")), `alert links ${hrefs}`);
    await ctx.close();
  });

  await test("the incident note has the runbook, its values and the ticks with their times", async () => {
    const ctx = await browser.newContext({ permissions: ["clipboard-read", "clipboard-write"], timezoneId: "Europe/Berlin" });
    const page = await open(ctx, `${failover}?cluster=prod-eu-1`);
    await page.fill("#var-api_token", "s3cr3t");
    await page.check("input.task[data-task='0']");
    await page.reload();
    await page.fill("#var-api_token", "s3cr3t");
    await page.click("[data-incident-note]");
    await page.waitForFunction(() => document.querySelector("[data-incident-note]").textContent === "Copied");
    const note = await page.evaluate(() => navigator.clipboard.readText());
    const lines = note.split("\n");
    assert(lines[0] === "**Database failover**" && lines[1] === `${failover}?cluster=prod-eu-1&namespace=monitoring`, `head ${JSON.stringify(lines.slice(0, 2))}`);
    for (const want of ["- cluster: `prod-eu-1`", "- namespace: `monitoring`", "- api_token: \u2022\u2022\u2022", "- region: (not set)", "- [ ] Promoted the replica"]) {
      assert(lines.includes(want), `no ${JSON.stringify(want)} in ${JSON.stringify(note)}`);
    }
    assert(lines.some((l) => /^- \[x\] Drained the primary \(\d{4}-\d\d-\d\d \d\d:\d\d \(UTC\+01:00\)\)$/.test(l)), `tick time missing: ${JSON.stringify(note)}`);
    assert(!note.includes("s3cr3t"), "the note carries the secret");
    await ctx.close();
  });

  await test("without JavaScript the page shows the references as written", async () => {
    const ctx = await browser.newContext({ javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(failover);
    assert(!(await page.isVisible("form.variables")) && !(await page.isVisible("[data-incident-note]")), "dead controls shown");
    const code = await page.textContent(".code code");
    assert(code.startsWith("kubectl --context <cluster> -n <namespace> get pods"), code);
    await ctx.close();
  });

  await test("axe-core finds no violation on a runbook with variables, at 375 and 1280 px, light and dark", async () => {
    for (const width of [375, 1280]) {
      for (const scheme of ["light", "dark"]) {
        const ctx = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme, bypassCSP: true });
        const page = await open(ctx, `${failover}?namespace=NOT+VALID`);
        await axe(page, `variables at ${width}px (${scheme})`);
        await ctx.close();
      }
    }
  });
  vs.server.close();
}

await test("pages make no request outside the site and log no errors", async () => {
  for (const p of ["index.html", "customer-portal/incident-response.html", "review-calendar.html", "completeness.html", "tags/index.html", "alerts/RedisDown.html"]) {
    const page = await open(context, `${origin}/${p}`);
    if (p === "index.html") await search(page, "database");
    await page.waitForLoadState("networkidle");
    const outside = page.requests.filter((u) => !u.startsWith(origin) && !u.startsWith("data:"));
    assert(outside.length === 0, `${p} requested ${outside.join(", ")}`);
    assert(page.errors.length === 0, `${p} logged ${page.errors.join(" | ")}`);
    const broken = log.filter((l) => l.status !== 200);
    assert(broken.length === 0, `${p}: 404 for ${broken.map((b) => b.path).join(", ")}`);
    await page.close();
  }
});

await test("axe-core finds no violation of any impact at 375 and 1280 px, light and dark", async () => {
  for (const width of [375, 1280]) {
    for (const scheme of ["light", "dark"]) {
      const ctx = await browser.newContext({ viewport: { width, height: 800 }, colorScheme: scheme, bypassCSP: true });
      for (const p of ["index.html", "customer-portal/incident-response.html", "completeness.html", "review-calendar.html", "sophmate/diagnostics-and-support.html", "wanted.html", "tags/index.html"]) {
        const page = await open(ctx, `${origin}/${p}`);
        await axe(page, `${p} at ${width}px (${scheme})`);
        await page.close();
      }
      await ctx.close();
    }
  }
});

await test("axe-core finds no violation with search open or on an alert's runbook", async () => {
  const home = await open(axeContext, `${origin}/index.html`);
  await axe(home, "home");
  await search(home, "incident");
  await axe(home, "search results");
  await home.close();
  const runbook = await open(axeContext, `${origin}/customer-portal/incident-response.html`);
  await axe(runbook, "runbook");
  await runbook.close();
  for (const [scheme, label] of [["light", "light"], ["dark", "dark"]]) {
    const ctx = await browser.newContext({ colorScheme: scheme, bypassCSP: true });
    const p = await open(ctx, `${origin}/customer-portal/alerts/redis-down.html`);
    await axe(p, `runbook (${label})`);
    await ctx.close();
  }
});

// Phones: every page fits the screen, the runbook's title is on the first screen, the search box
// keeps its width whatever the site title, and the section tree waits behind the menu button.
function htmlPages(dir) {
  const out = [];
  (function walk(d) {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".html") && !fs.readFileSync(p, "utf8").includes('http-equiv="refresh"')) out.push(p);
    }
  })(dir);
  return out.sort();
}
const phoneSites = [["example site", path.resolve(example)]];
if (process.env.CORPUS_SITE) phoneSites.push(["shared corpus", path.resolve(process.env.CORPUS_SITE)]);
// Every page on phones; a sample (every fifth page) on a tablet and a laptop. One test per size:
// each stays well inside the per-test limit on a slow machine.
for (const [label, dir] of phoneSites) {
  const pages = htmlPages(dir);
  for (const [width, height, every] of [[360, 740, 1], [375, 812, 1], [768, 1024, 5], [1280, 800, 5]]) {
    await test(`no page of the ${label} scrolls sideways at ${width}x${height}; title and search in reach`, async () => {
      assert(pages.length > 20, `${pages.length} pages`);
      const ctx = await browser.newContext({ viewport: { width, height } });
      const page = await ctx.newPage();
      const wide = [], low = [];
      for (const file of pages.filter((_, i) => i % every === 0)) {
        step(`${width}px ${file}`);
        await page.goto("file://" + file, { waitUntil: "load" });
        const m = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth,
          h1: document.querySelector("main h1") ? document.querySelector("main h1").getBoundingClientRect().top : 0,
          runbook: document.body.classList.contains("kind-runbook") || document.body.classList.contains("kind-alert"),
          search: document.getElementById("search-input").getBoundingClientRect().width,
        }));
        if (m.scroll > width) wide.push(`${path.relative(dir, file)} (${m.scroll}px)`);
        if (m.runbook && m.h1 > 300) low.push(`${path.relative(dir, file)} (H1 at ${Math.round(m.h1)}px)`);
        assert(m.search >= 160, `${path.relative(dir, file)}: search box ${m.search}px wide at ${width}px`);
      }
      await ctx.close();
      assert(wide.length === 0, `${wide.length} pages wider than ${width}px: ${wide.slice(0, 5).join(", ")}`);
      assert(low.length === 0, `${low.length} runbooks start below 300px at ${width}x${height}: ${low.slice(0, 5).join(", ")}`);
    });
  }
}

await test("the menu button opens the section tree, by touch and by keyboard; search stays in reach", async () => {
  const ctx = await browser.newContext({ viewport: { width: 375, height: 812 }, hasTouch: true, isMobile: true });
  const page = await open(ctx, `${origin}/customer-portal/incident-response.html`);
  const treeShown = () => page.evaluate(() => getComputedStyle(document.getElementById("sidebar")).display !== "none");
  assert(!(await treeShown()), "the section tree is open on a phone before the menu is used");
  assert((await page.getAttribute(".menu-button", "aria-expanded")) === "false", "aria-expanded before");
  const box = await page.locator(".menu-button").boundingBox();
  assert(box.width >= 24 && box.height >= 24, `menu button ${box.width}x${box.height}`);
  await page.tap(".menu-button");
  assert(await treeShown(), "a tap does not open the tree");
  assert((await page.getAttribute(".menu-button", "aria-expanded")) === "true", "aria-expanded after a tap");
  await page.tap(".menu-button");
  assert(!(await treeShown()), "a second tap does not close the tree");
  await page.focus(".menu-button");
  await page.keyboard.press("Enter");
  assert(await treeShown(), "Enter does not open the tree");
  assert(await page.evaluate(() => document.getElementById("sidebar").contains(document.activeElement)), "focus does not move into the tree");
  await page.focus(".menu-button");
  await page.keyboard.press(" ");
  assert(!(await treeShown()), "Space does not close the tree");
  // Far down a long page the search box is still on screen.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  const search = await page.locator("#search-input").boundingBox();
  assert(search && search.y >= 0 && search.y < 80, `search box at ${search && search.y}px after scrolling`);
  await ctx.close();
  // At desktop width the tree is simply there and the button is not.
  const wide = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const desk = await open(wide, `${origin}/customer-portal/incident-response.html`);
  assert(await desk.evaluate(() => getComputedStyle(document.getElementById("sidebar")).display !== "none"), "tree hidden at 1280px");
  assert(!(await desk.locator(".menu-button").isVisible()), "menu button shown at 1280px");
  await wide.close();
});

await test("print uses the light palette in a dark OS theme and cuts nothing off", async () => {
  const ctx = await browser.newContext({ viewport: { width: 600, height: 900 }, colorScheme: "dark" });
  for (const p of ["sophmate/diagnostics-and-support.html", "completeness.html", "review-calendar.html", "customer-portal/incident-response.html"]) {
    const page = await open(ctx, `${origin}/${p}`);
    const screen = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(screen !== "rgb(255, 255, 255)", `${p}: the dark scheme is not in use on screen (${screen})`);
    await page.emulateMedia({ media: "print", colorScheme: "dark" });
    const m = await page.evaluate(() => {
      const lum = (c) => {
        const [r, g, b] = c.match(/\d+/g).slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
      };
      const contrast = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const bg = getComputedStyle(document.body).backgroundColor;
      const worst = Array.from(document.querySelectorAll("main pre, main pre span, main td, main p")).slice(0, 400)
        .map((e) => { let back = "rgb(255, 255, 255)"; for (let n = e; n; n = n.parentElement) { const c = getComputedStyle(n).backgroundColor; if (c !== "rgba(0, 0, 0, 0)") { back = c; break; } } return contrast(getComputedStyle(e).color, back); })
        .reduce((a, b) => Math.min(a, b), 21);
      const cut = Array.from(document.querySelectorAll("main pre, main table, main .table-scroll")).filter((e) => e.scrollWidth > e.clientWidth + 1).length;
      return { bg, worst, cut, wide: document.documentElement.scrollWidth > innerWidth };
    });
    assert(m.bg === "rgb(255, 255, 255)", `${p}: prints on ${m.bg}`);
    assert(m.worst >= 4.5, `${p}: printed text at contrast ${m.worst.toFixed(2)}:1`);
    assert(m.cut === 0 && !m.wide, `${p}: ${m.cut} blocks clipped in print${m.wide ? ", page wider than the paper" : ""}`);
    await page.close();
  }
  await ctx.close();
});

await test("search works from file://", async () => {
  const page = await open(context, "file://" + path.resolve(example, "index.html"));
  const hits = await search(page, "BffHighErrorRate");
  assert(hits.length > 0 && hits[0].title === "BffHighErrorRate", `got ${JSON.stringify(hits)}`);
  assert(page.errors.length === 0, `errors: ${page.errors.join(" | ")}`);
  await page.close();
});

// Live reload: save a runbook, the open tab shows the edit, in place (same document, same
// scroll position, the new content's checklists working). SERVE_n = "url|file|page".
for (const key of ["SERVE_EXAMPLE", "SERVE_LARGE"]) {
  if (!process.env[key]) continue;
  const [url, file, pagePath] = process.env[key].split("|");
  await test(`a saved edit shows in the open tab, in place (${key === "SERVE_LARGE" ? "1,000 runbooks" : "example site"})`, async () => {
    const page = await open(context, url + pagePath);
    await page.waitForSelector("html[data-opsbook-live=connected]", { timeout: 10000 });
    await search(page, "backup"); // the search index is loaded before the edits
    await page.keyboard.press("Escape");
    await page.evaluate(() => { window.sameDocument = true; window.scrollTo(0, 150); });
    const stamp = String(Date.now());
    const scrolled = await page.evaluate(() => window.scrollY);
    const times = [];
    for (let round = 0; round < 3; round++) {
      const marker = `Edited-${round}-${stamp}`;
      const started = Date.now();
      step(`live reload round ${round}`);
      fs.appendFileSync(file, `\n\nNote ${marker}\n`);
      await page.waitForSelector(`text=${marker}`, { timeout: 10000 });
      times.push(Date.now() - started);
    }
    console.log(`     save-to-visible ms: ${times.join(", ")}`);
    assert(await page.evaluate(() => window.sameDocument === true), "the tab loaded the page again");
    const after = await page.evaluate(() => window.scrollY);
    assert(after === scrolled, `scroll position ${scrolled} became ${after}`);
    // Search sees the edit: the index loaded before it was dropped.
    const hits = await search(page, stamp);
    assert(hits.some((h) => h.href.split("?")[0].endsWith(path.basename(pagePath))), `search for the edit found ${JSON.stringify(hits)}`);
    // A checklist item added by an edit works like one that was there at load.
    step("live reload: checklist");
    // Under a heading of its own: an item in a related-operations list is also a finding.
    const task = `Task-${Date.now()}`;
    await page.fill("#search-input", "kept across edits");
    fs.appendFileSync(file, `\n\n## Added checks\n\n- [ ] ${task}\n`);
    const box = page.locator(`li:has-text("${task}") input.task`);
    await box.waitFor({ timeout: 10000 });
    const typed = await page.inputValue("#search-input");
    assert(typed === "kept across edits", `the search box now holds "${typed}"`);
    const label = await box.getAttribute("aria-label");
    assert(label && label.includes(task), `new checkbox not set up (aria-label ${label})`);
    await box.check();
    const stored = await page.evaluate(() => JSON.stringify(localStorage));
    // Kept with the time it was ticked (for the incident note).
    assert(stored.includes("opsbook:tasks:") && /\\"\d+\\":\d{12,}/.test(stored), `tick not stored: ${stored}`);
    // A bad edit shows the overlay, with the file and line.
    step("live reload: overlay");
    const good = fs.readFileSync(file, "utf8");
    fs.writeFileSync(file, good.replace(/^---\n/, "---\nowner: [\n"));
    await page.waitForSelector("#opsbook-overlay", { timeout: 10000 });
    const text = await page.textContent("#opsbook-overlay");
    assert(/front-matter-syntax/.test(text) && text.includes(path.basename(file)), `overlay says ${text}`);
    fs.writeFileSync(file, good);
    await page.waitForSelector("#opsbook-overlay", { state: "detached", timeout: 10000 });
    if (key === "SERVE_EXAMPLE") {
      // A theme's stylesheet changes: the tab loads the page again, so the new styles apply
      // (the page itself is the same, so it would otherwise be swapped in place).
      step("live reload: theme stylesheet");
      const root = file.slice(0, file.lastIndexOf("/content/"));
      const css = path.join(root, "themes/default/static/assets/opsbook.css");
      const original = await (await fetch(url + "assets/opsbook.css")).text();
      const outline = () => page.evaluate(() => getComputedStyle(document.body).outlineColor);
      fs.mkdirSync(path.dirname(css), { recursive: true });
      fs.writeFileSync(css, original + "\nbody { outline: 3px solid rgb(1, 2, 3); }\n");
      await page.waitForFunction(() => getComputedStyle(document.body).outlineColor === "rgb(1, 2, 3)", null, { timeout: 10000 });
      fs.rmSync(path.join(root, "themes"), { recursive: true });
      await page.waitForFunction(() => getComputedStyle(document.body).outlineColor !== "rgb(1, 2, 3)", null, { timeout: 10000 });
      step(`live reload: stylesheet applied and removed (outline now ${await outline()})`);
    }
    assert(page.errors.length === 0, `errors: ${page.errors.join(" | ")}`);
    await page.close();
  });
}

step("closing the example site's context");
await context.close();
server.close();

// Search cost at scale: what the first query downloads, runtime included.
if (large) {
  const big = await serve(path.resolve(large));
  const measure = async (query) => {
    const ctx = await browser.newContext();
    const page = await open(ctx, `${big.origin}/index.html`);
    await page.waitForLoadState("networkidle");
    const before = big.log.length;
    const started = Date.now();
    const hits = await search(page, query);
    const ms = Date.now() - started;
    const said = await page.textContent("#search-status");
    assert(hits.length === 0 || /^(At least )?\d+ runbooks? match/.test(said), `status: ${said}`);
    const files = big.log.slice(before).filter((l) => l.path.includes("/opsbook-search/") || l.path.endsWith("opsbook-search.js"));
    const gzip = files.reduce((a, f) => a + f.gzip, 0), raw = files.reduce((a, f) => a + f.raw, 0);
    const meta = files.find((f) => f.path.endsWith("/meta.js"));
    // Warm: the same query again, its files loaded; script time only (reported, not asserted:
    // speed targets live in benchmarks).
    const warm = await page.evaluate((q) => new Promise((resolve) => {
      const times = [];
      const once = () => {
        const t = performance.now();
        window.opsbookSearch.search(q, 10, () => {
          times.push(performance.now() - t);
          if (times.length < 7) once(); else resolve(times.sort((a, b) => a - b)[3]);
        });
      };
      once();
    }), query);
    // The results without the text-only postings of common words (`b-` files) are the ones
    // with them: load every shard's `b-` file and rank again.
    const shards = files.map((f) => path.basename(f.path)).filter((f) => f.startsWith("t-"));
    const [lean, whole, bodies] = await page.evaluate(async ([q, shards]) => {
      const ranked = () => new Promise((resolve) => window.opsbookSearch.search(q, 10, (docs) => resolve(docs.map((d) => d[1]))));
      const lean = await ranked();
      await Promise.all(shards.map((f) => new Promise((resolve) => {
        const s = document.createElement("script");
        s.src = "opsbook-search/b-" + f.slice(2);
        s.onload = s.onerror = resolve;
        document.head.appendChild(s);
      })));
      return [lean, await ranked(), Object.keys(window.opsbookSearch.bodies).length];
    }, [query, shards]);
    assert(JSON.stringify(lean) === JSON.stringify(whole), `without text-only postings ${lean.join(" ")}\nwith them ${whole.join(" ")}`);
    const split = files.filter((f) => path.basename(f.path).startsWith("b-")).length;
    await ctx.close();
    return { query, hits: hits.length, files: files.length, gzip, raw, ms, warmMs: Math.round(warm * 10) / 10, meta: meta ? meta.gzip : 0, metaRaw: meta ? meta.raw : 0, split, bodies, said };
  };
  const docs = fs.readdirSync(path.resolve(large, "opsbook-search")).filter((f) => f.startsWith("d-")).length;
  // Issue 18: a common word's first query within 20 KB gzip at 10,000 runbooks, runtime included.
  for (const [query, budget] of [["database", 20 * 1024], ["restart", 20 * 1024], ["replica", 20 * 1024], ["deploy", 20 * 1024], ["robin", 20 * 1024], ["zookeeper", 20 * 1024]]) {
    await test(`first query for "${query}" at scale stays within ${budget / 1024} KB gzip`, async () => {
      const m = await measure(query);
      console.log(`     ${JSON.stringify(m)} (doc shards: ${docs})`);
      assert(m.gzip <= budget, `downloaded ${m.gzip} bytes gzip`);
    });
  }
  big.server.close();
}

step("closing the browser");
await browser.close();
const failed = results.filter((r) => !r.ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
