// The vector corpus in a real browser, with the Content-Security-Policy taken out: the sanitizer
// alone must keep every vector from running script or leaving the page.
// Usage: node xss.mjs <site-output> <labels.json>
// Run by tests/testsuite/browser.rs, which builds the site from tests/browser/xss-vectors.txt.
//
// Every HTML page of the site is loaded (served over http, the CSP meta tag stripped) and fails on:
// a dialog (alert, confirm, prompt, print), a navigation away from the site or to a non-http URL,
// a request to xss.invalid, an error thrown by the page's scripts (a clobbered DOM breaks them),
// and, in the final DOM, any event-handler attribute, any URL attribute whose scheme is not http,
// https, mailto or tel, a <base>, and any element that can run or load code (script other than the
// theme's, iframe, object, embed, svg, math, form, style, meta refresh to anywhere but a page of
// the site, …). Then the search box is used for every vector's page, so titles, headings and
// descriptions go through the search index and the results list too.
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";

const [siteDir, labelsFile] = process.argv.slice(2);
const root = path.resolve(siteDir);
const labels = JSON.parse(fs.readFileSync(labelsFile, "utf8"));
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".xml": "application/xml", ".png": "image/png" };
const CSP = /<meta http-equiv="Content-Security-Policy"[^>]*>/;

let cspSeen = 0;
const server = http.createServer((req, res) => {
  const url = new URL(req.url, "http://x");
  let file = path.join(root, decodeURIComponent(url.pathname));
  if (!file.startsWith(root)) { res.writeHead(403); res.end(); return; }
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, "index.html");
  if (!fs.existsSync(file)) { res.writeHead(404); res.end("not found"); return; }
  let body = fs.readFileSync(file);
  if (file.endsWith(".html")) {
    const text = body.toString("utf8");
    if (CSP.test(text)) cspSeen++;
    body = Buffer.from(text.replace(CSP, ""), "utf8");
  }
  res.writeHead(200, { "content-type": TYPES[path.extname(file)] || "application/octet-stream" });
  res.end(body);
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const pages = [];
(function walk(dir) {
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (fs.statSync(full).isDirectory()) walk(full);
    else if (name.endsWith(".html")) pages.push(path.relative(root, full).split(path.sep).join("/"));
  }
})(root);

const browser = await chromium.launch({
  executablePath,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext();
// Whatever stalls, the run ends.
setTimeout(() => { console.log("FAIL the vector run did not finish within 10 minutes"); process.exit(1); }, 10 * 60 * 1000).unref();

const failures = [];
function fail(page, what) {
  const label = labels[page] ? ` [${labels[page]}]` : "";
  failures.push(`${page}${label}: ${what}`);
}

// What the theme itself puts on a page, and may: everything else of these kinds is a failure.
const FORBIDDEN = [
  "iframe", "frame", "frameset", "object", "embed", "applet", "base", "form:not(.variables)", "svg", "math", "style",
  "template", "noscript", "portal", "marquee", "video", "audio", "source", "track", "isindex", "keygen",
  "xml", "dialog", "textarea", "area", "map",
  "select:not([data-facet])",
  "script:not([src])",
  "input:not(#search-input):not(input.task[type=checkbox]):not(form.variables input[data-var])",
  "button:not(.copy):not([data-reset-tasks]):not([data-incident-note]):not(#search-panel > .search-more):not(#search-panel > .search-filters > .filters-toggle)",
  'link:not([rel="stylesheet"]):not([rel="canonical"]):not([rel="icon"][href="data:,"])',
  'meta[http-equiv]:not([http-equiv="refresh"])',
].join(", ");

async function inspect(page) {
  return page.evaluate((forbidden) => {
    const problems = [];
    const here = new URL(location.href);
    if (document.baseURI !== location.href) problems.push(`base URI is ${document.baseURI}`);
    const URL_ATTRS = ["href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "srcset", "dynsrc", "lowsrc", "cite", "ping", "codebase", "archive", "longdesc", "usemap", "manifest", "icon"];
    for (const el of document.querySelectorAll("*")) {
      for (const a of el.attributes) {
        const n = a.name.toLowerCase();
        if (n.startsWith("on")) problems.push(`<${el.localName}> has ${n}="${a.value.slice(0, 40)}"`);
        if (!URL_ATTRS.includes(n)) continue;
        const values = n === "srcset" ? a.value.split(",").map((s) => s.trim().split(/\s+/)[0]) : [a.value];
        for (const v of values) {
          let u;
          try { u = new URL(v, document.baseURI); } catch { continue; }
          const ours = el.localName === "link" && el.getAttribute("rel") === "icon" && v === "data:,";
          if (!ours && !["http:", "https:", "mailto:", "tel:"].includes(u.protocol)) {
            problems.push(`<${el.localName} ${n}="${v.slice(0, 60)}"> has scheme ${u.protocol}`);
          }
        }
      }
    }
    for (const el of document.querySelectorAll(forbidden)) {
      problems.push(`forbidden element <${el.localName}${el.id ? "#" + el.id : ""}>`);
    }
    for (const s of document.querySelectorAll("script[src]")) {
      const u = new URL(s.getAttribute("src"), document.baseURI);
      if (u.origin !== here.origin || !/\/(assets|opsbook-search)\//.test(u.pathname)) problems.push(`script from ${u.href}`);
    }
    for (const m of document.querySelectorAll('meta[http-equiv="refresh" i]')) {
      const target = (m.getAttribute("content") || "").replace(/^\s*\d+\s*;\s*url=/i, "");
      let u;
      try { u = new URL(target, document.baseURI); } catch { problems.push(`meta refresh to ${target}`); continue; }
      if (u.origin !== here.origin || !/^\.{0,2}\//.test(target)) problems.push(`meta refresh to ${target}`);
    }
    if (typeof document.getElementById !== "function" || typeof document.querySelector !== "function") {
      problems.push("document methods were clobbered");
    }
    return problems;
  }, FORBIDDEN);
}

// Events that mean script ran or the page left: recorded for the page being checked.
let current = null;
function watch(page) {
  page.on("dialog", (d) => { fail(current, `a ${d.type()} dialog opened: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on("pageerror", (e) => fail(current, `the page threw: ${e}`));
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.hostname.endsWith("xss.invalid")) fail(current, `request to ${r.url()}`);
  });
  page.on("framenavigated", (f) => {
    const u = f.url();
    if (u === "about:blank") return;
    let parsed;
    try { parsed = new URL(u); } catch { fail(current, `navigated to ${u}`); return; }
    if (parsed.origin !== origin) fail(current, `navigated to ${u}`);
  });
  page.on("popup", (p) => { fail(current, `opened a window at ${p.url()}`); p.close().catch(() => {}); });
}

const page = await context.newPage();
watch(page);
for (const p of pages) {
  current = p;
  try {
    await page.goto(`${origin}/${p.split("/").map(encodeURIComponent).join("/")}`, { waitUntil: "load", timeout: 15000 });
    // Timers and focus handlers get their chance; meta refreshes to the site are allowed.
    await page.waitForTimeout(30);
    let problems;
    try {
      problems = await inspect(page);
    } catch {
      // A redirect page moved on while it was inspected: inspect where it went.
      await page.waitForLoadState("load");
      problems = await inspect(page);
    }
    for (const problem of problems) fail(p, problem);
  } catch (e) {
    fail(p, `could not be checked: ${e.message.split("\n")[0]}`);
  }
}

// Search: every vector's page found by its token, rendered into the results list.
const search = await context.newPage();
watch(search);
current = "index.html (search)";
// Pages that are not an opsbook site (ammonia's output, for comparison) have no search box.
const hasSearch = pages.includes("index.html");
if (hasSearch) await search.goto(`${origin}/index.html`, { waitUntil: "load" });
let searched = 0;
for (const [p, label] of hasSearch ? Object.entries(labels) : []) {
  const token = p.match(/v(\d{3})\.html$/);
  if (!token) continue;
  current = `${p} (search results)`;
  const query = `v${token[1]}`;
  await search.click("#search-input");
  await search.fill("#search-input", query);
  try {
    await search.waitForFunction((q) => {
      const s = document.getElementById("search-status");
      return s && s.getAttribute("data-query") === q;
    }, query, { timeout: 10000 });
  } catch {
    fail(current, `the search for ${query} never finished (${label})`);
    continue;
  }
  searched++;
  for (const problem of await inspect(search)) fail(current, problem);
}

await browser.close();
server.close();
console.log(`checked ${pages.length} pages (${cspSeen} had the CSP meta tag, removed) and ${searched} searches`);
if (cspSeen === 0 && hasSearch) failures.push("no page had the CSP meta tag: the test would not show what the sanitizer alone does");
if (failures.length) {
  console.log(`FAIL ${failures.length} problem(s):`);
  const limit = Number(process.env.XSS_SHOW || 60);
  for (const f of failures.slice(0, limit)) console.log(`  ${f}`);
  process.exit(1);
}
console.log("ok   no vector ran script, loaded code or left the site");
