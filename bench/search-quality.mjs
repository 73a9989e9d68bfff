// Search quality on a runbook collection: does the reader's first result open the runbook?
//
//   node bench/search-quality.mjs ROOT [--opsbook BIN] [--json] [--min KIND=HIT1 ...] [--pagefind BIN]
//   (MISSES=1 lists the misses; RUNTIME=path uses that search runtime instead of the built one)
//
// Builds ROOT with opsbook, generates queries from its runbooks (deterministic), runs each in
// headless Chromium through the site's own search runtime (`opsbookSearch.search`, the code the
// search box calls, on the built index: no re-implementation to drift), and prints hit@1, hit@5,
// MRR@10 and the no-result rate per kind of query. With --min, exits 1 when a kind's hit@1 is
// below the given rate (`--min exact=0.98`), or `no-result=0.02` is exceeded. With --pagefind
// (the path of a Pagefind binary, e.g. from `npm i pagefind`), the same queries also run through
// Pagefind's index of the same built site (served over HTTP, which its module needs), for a
// second table; the gate applies to opsbook only.
//
// Query kinds, for each runbook named after an alert (an `alerts:` entry, or a file named like
// `KubePodCrashLooping`):
//   exact    the alert name as it is
//   split    its words, lower case ("kube pod crash looping")
//   typo     the same with one edit in its longest word (a letter dropped, two swapped or one
//            replaced), never in words under 5 letters
//   symptom  four telling words of its "Meaning" section (else its first paragraph)
//   title    its title
// A result is a hit when it is a page of that alert (collections move runbooks and leave a
// stub under the old name: any page named after the alert counts).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, "../tests/browser/package.json"));
const { chromium } = require("playwright-core");

const args = process.argv.slice(2);
const root = path.resolve(args.find((a, i) => !a.startsWith("--") && !(args[i - 1] || "").startsWith("--")) || ".");
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const opsbook = opt("--opsbook") || path.join(here, "../target/release/opsbook");
const mins = [];
args.forEach((a, i) => { if (a === "--min") mins.push(args[i + 1].split("=")); });

const STOP = new Set(("a an and are as at be by for from has have if in into is it its of on or that the their then there " +
  "these this to was were when which will with you your can do not but all any so than them they we our us").split(" "));

// Deterministic choices: FNV-1a of the alert name.
function hash(s) {
  let h = 0x811c9dc5;
  for (const c of s) { h ^= c.codePointAt(0); h = Math.imul(h, 0x01000193) >>> 0; }
  return h;
}
// `KubeAPIErrorBudgetBurn` -> kube api error budget burn; `etcd_disk-full2` -> etcd disk full 2.
export function splitName(name) {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .replace(/([A-Za-z])([0-9])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}
function typo(words, name) {
  let at = -1;
  words.forEach((w, i) => { if (w.length >= 5 && (at < 0 || w.length > words[at].length)) at = i; });
  if (at < 0) return null;
  const w = words[at], h = hash(name), i = 1 + (h >>> 3) % (w.length - 2);
  const edits = [
    w.slice(0, i) + w.slice(i + 1),                               // a letter dropped
    w.slice(0, i) + w[i + 1] + w[i] + w.slice(i + 2),             // two swapped
    w.slice(0, i) + (w[i] === "z" ? "a" : String.fromCharCode(w.charCodeAt(i) + 1)) + w.slice(i + 1), // one replaced
  ];
  let edited = edits[h % 3];
  if (edited === w) edited = edits[0];
  return words.map((x, j) => (j === at ? edited : x)).join(" ");
}
// What a paragraph says about the alert rather than the symptom.
const LEAD_IN = new Set(["alert", "alerts", "fires", "fired", "firing", "triggers", "triggered", "trigger", "indicates", "means"]);
// The first four telling words of the "Meaning" section's first paragraph (else the first
// paragraph after the title): not the alert's name, not "this alert fires when".
function summary(text, name) {
  const body = text.replace(/^---\n[\s\S]*?\n---\n/, "");
  const lines = body.split("\n");
  let start = lines.findIndex((l) => /^#{2,4}\s+(meaning|summary|description|overview)\b/i.test(l));
  start = start >= 0 ? start + 1 : 0;
  let para = [];
  for (const line of lines.slice(start)) {
    const t = line.trim();
    if (!t) { if (para.length) break; continue; }
    if (/^(#|```|<!--|\||>|!\[)/.test(t)) { if (para.length) break; continue; }
    para.push(t);
  }
  const words = para.join(" ").replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "")
    .split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 3 && !STOP.has(w.toLowerCase()) && !LEAD_IN.has(w.toLowerCase()) && w !== name);
  return words.length >= 3 ? words.slice(0, 4).join(" ") : null;
}

function queries(report) {
  const byName = new Map();
  for (const rb of report.runbooks) {
    const stem = path.basename(rb.path).replace(/\.md$/, "");
    const names = rb.alerts && rb.alerts.length ? rb.alerts : /^[A-Z][A-Za-z0-9]+$/.test(stem) && /[a-z]/.test(stem) ? [stem] : [];
    for (const name of names) {
      if (!byName.has(name)) byName.set(name, []);
      byName.get(name).push(rb);
    }
  }
  const out = [];
  for (const [name, rbs] of [...byName].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const ids = rbs.map((r) => r.id);
    const add = (kind, q) => { if (q && q.trim()) out.push({ kind, q, name, ids }); };
    const words = splitName(name);
    add("exact", name);
    if (words.length >= 2) add("split", words.join(" "));
    add("typo", typo(words, name));
    // The runbook with the most text speaks for the alert (a moved one is a one-line stub).
    const main = rbs.map((r) => [r, fs.readFileSync(path.join(root, r.path), "utf8")]).sort((a, b) => b[1].length - a[1].length)[0];
    add("symptom", summary(main[1], name));
    add("title", main[0].title);
  }
  return out;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), "opsbook-quality-"));
const site = path.join(work, "site");
execFileSync(opsbook, ["build", root, "--out", site], { stdio: ["ignore", "ignore", "inherit"] });
// RUNTIME=path: try a changed search runtime without rebuilding opsbook.
if (process.env.RUNTIME) fs.copyFileSync(process.env.RUNTIME, path.join(site, "assets/opsbook-search.js"));
let reportText;
try {
  reportText = execFileSync(opsbook, ["check", root, "--format", "json"], { maxBuffer: 1 << 28 }).toString();
} catch (e) {
  reportText = e.stdout.toString(); // findings exit 1; the report is still complete
}
const report = JSON.parse(reportText);
const all = queries(report);

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage();
await page.goto("file://" + path.join(site, "index.html"));
await page.focus("#search-input"); // loads the search runtime
await page.waitForFunction(() => window.opsbookSearch && window.opsbookSearch.search && document.documentElement.getAttribute("data-search-ready"));
const results = await page.evaluate(async (qs) => {
  const one = (q) => new Promise((resolve) => window.opsbookSearch.search(q, 10, (docs, total) => resolve({ urls: docs.map((d) => d[1]), total })));
  const out = [];
  for (const q of qs) out.push(await one(q));
  return out;
}, all.map((x) => x.q));

// The same queries through Pagefind, on the same pages.
let pagefindResults = null;
if (opt("--pagefind")) {
  execFileSync(opt("--pagefind"), ["--site", site], { stdio: ["ignore", "ignore", "inherit"] });
  const http = await import("node:http");
  const server = http.createServer((req, res) => {
    // A page of our own without the site's Content-Security-Policy, which forbids the
    // WebAssembly Pagefind runs.
    if (req.url === "/pagefind-bench.html") { res.writeHead(200, { "content-type": "text/html" }); res.end("<!doctype html><title>bench</title>"); return; }
    const file = path.join(site, decodeURIComponent(new URL(req.url, "http://x").pathname));
    if (!file.startsWith(site) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) { res.writeHead(404); res.end(); return; }
    const type = { ".js": "text/javascript", ".html": "text/html", ".json": "application/json", ".css": "text/css" }[path.extname(file)] || "application/octet-stream";
    res.writeHead(200, { "content-type": type });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const pf = await browser.newPage();
  await pf.goto(`http://127.0.0.1:${server.address().port}/pagefind-bench.html`);
  pagefindResults = await pf.evaluate(async (qs) => {
    const pagefind = await import("/pagefind/pagefind.js");
    await pagefind.init();
    const out = [];
    for (const q of qs) {
      const r = await pagefind.search(q);
      const top = await Promise.all(r.results.slice(0, 10).map((x) => x.data()));
      out.push({ urls: top.map((d) => d.url.replace(/^\//, "./")), total: r.results.length });
    }
    return out;
  }, all.map((x) => x.q));
  server.close();
}
await browser.close();
fs.rmSync(work, { recursive: true, force: true });

// A result's address (`alerts/x/Name.html` or `alerts/x/Name/`) against the expected ids.
const idOf = (url) => decodeURIComponent(url.replace(/^\.\//, "").replace(/(\/index)?\.html$|\/$/, ""));
const kinds = ["exact", "split", "typo", "symptom", "title"];
function measure(results) {
  const stats = {};
  for (const k of [...kinds, "all"]) stats[k] = { n: 0, hit1: 0, hit5: 0, mrr: 0, empty: 0 };
  const misses = [];
  const words = (q) => q.toLowerCase().split(/[^\p{L}\p{N}]+/u).join(" ");
  const sharers = new Map();
  for (const x of all) {
    const key = x.kind + " " + words(x.q);
    sharers.set(key, (sharers.get(key) || new Set()).add(x.name));
  }
  all.forEach((x, i) => {
    const r = results[i];
    const rank = r.urls.findIndex((u) => x.ids.includes(idOf(u)));
    for (const k of [x.kind, "all"]) {
      const s = stats[k];
      s.n++;
      if (rank === 0) s.hit1++;
      if (rank >= 0 && rank < 5) s.hit5++;
      if (rank >= 0) s.mrr += 1 / (rank + 1);
      if (r.total === 0) s.empty++;
    }
    const shared = sharers.get(x.kind + " " + words(x.q)).size > 1 ? " (same words as another alert's)" : "";
    if (rank !== 0) misses.push(`${x.kind}\t${JSON.stringify(x.q)}${shared}\t${rank < 0 ? (r.total ? "not in top 10" : "no results") : "rank " + (rank + 1)}\t${idOf(r.urls[0] || "")}`);
  });
  return { stats, misses };
}
const { stats, misses } = measure(results);
// The best hit@1 any ranking can reach: queries of one kind with the same words but different
// alerts (runbooks that share their summary word for word) can have only one first result.
const ceiling = {};
for (const k of [...kinds, "all"]) {
  const groups = new Map();
  for (const x of all.filter((x) => k === "all" || x.kind === k)) {
    const key = x.q.toLowerCase().split(/[^\p{L}\p{N}]+/u).join(" ");
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(x);
  }
  let best = 0;
  for (const xs of groups.values()) {
    const ids = new Set(xs.flatMap((x) => x.ids));
    best += Math.max(...[...ids].map((id) => xs.filter((x) => x.ids.includes(id)).length));
  }
  ceiling[k] = best;
}
const pct = (a, n) => (n ? (100 * a / n).toFixed(1) + "%" : "-");
if (args.includes("--json")) {
  for (const k of [...kinds, "all"]) stats[k].ceiling = ceiling[k];
  console.log(JSON.stringify(stats));
} else {
  console.log(`${path.basename(root)}: ${all.length} queries over ${new Set(all.map((x) => x.name)).size} alerts`);
  console.log("kind      queries  hit@1   hit@5   MRR@10  no results  best possible hit@1");
  for (const k of [...kinds, "all"]) {
    const s = stats[k];
    console.log(`${k.padEnd(9)} ${String(s.n).padStart(7)}  ${pct(s.hit1, s.n).padStart(6)}  ${pct(s.hit5, s.n).padStart(6)}  ${(s.n ? s.mrr / s.n : 0).toFixed(3).padStart(6)}  ${pct(s.empty, s.n).padStart(10)}  ${pct(ceiling[k], s.n).padStart(8)}`);
  }
  if (process.env.MISSES) console.log(misses.join("\n"));
  if (pagefindResults) {
    const pf = measure(pagefindResults).stats;
    console.log("Pagefind, same site and queries:");
    for (const k of [...kinds, "all"]) {
      const s = pf[k];
      console.log(`${k.padEnd(9)} ${String(s.n).padStart(7)}  ${pct(s.hit1, s.n).padStart(6)}  ${pct(s.hit5, s.n).padStart(6)}  ${(s.n ? s.mrr / s.n : 0).toFixed(3).padStart(6)}  ${pct(s.empty, s.n).padStart(10)}`);
    }
  }
}
let failed = false;
for (const [kind, min] of mins) {
  const s = stats[kind === "no-result" ? "all" : kind];
  const value = kind === "no-result" ? s.empty / s.n : s.hit1 / s.n;
  const ok = kind === "no-result" ? value <= Number(min) : value >= Number(min);
  if (!ok) { console.log(`FAIL ${kind}: ${(100 * value).toFixed(1)}% (${kind === "no-result" ? "at most" : "at least"} ${(100 * min).toFixed(1)}%)`); failed = true; }
}
process.exit(failed ? 1 : 0);
