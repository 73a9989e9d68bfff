// opsbook search runtime. Loads the index written at build time with <script> tags (so it works
// from file:// as well as from a server) and ranks results in the browser. Tokenization must
// match src/search.rs (`field_tokens`, and `Terms` for the body).
(function () {
  "use strict";
  var box = document.querySelector(".search");
  var input = document.getElementById("search-input");
  var panel = document.getElementById("search-panel");
  var list = document.getElementById("search-results");
  var status = document.getElementById("search-status");
  var filtersBox = panel.querySelector(".search-filters");
  var root = box.getAttribute("data-root");
  var STOP = {};
  ("a an and are as at be by for from has have if in into is it its of on or that the their then there " +
    "these this to was were when which will with you your can do not but all any so than them they we our us")
    .split(" ").forEach(function (w) { STOP[w] = 1; });
  var FINAL = "0123456789abcdefghijklmnopqrstuv", MORE = "ABCDEFGHIJKLMNOPQRSTUVWXYZ@#$%&*";

  var S = window.opsbookSearch = { shards: {}, bodies: {}, docs: {}, facets: {}, metaData: null, splits: {} };
  var waiting = {}, requested = {};
  function resolve(key) {
    var cbs = waiting[key] || [];
    delete waiting[key];
    cbs.forEach(function (cb) { cb(); });
  }
  // Where a loaded file's data goes, by the first letter of its key ("t:re", "b:re", "d:7", "f:owner-0").
  function store(key) {
    return { t: S.shards, b: S.bodies, d: S.docs, f: S.facets }[key.charAt(0)];
  }
  function need(key, path, cb) {
    var at = key.charAt(1) === ":" ? store(key) : null;
    var have = key === "meta" ? S.metaData : key === "v" ? S.vocab : key === "facets" ? S.facetList : at[key.slice(2)];
    if (have) { cb(); return; }
    // No shard holds words starting so: nothing to ask the server for.
    if (key.charAt(0) === "t" && S.metaData && !S.has[key.slice(2)]) { S.shards[key.slice(2)] = {}; cb(); return; }
    (waiting[key] = waiting[key] || []).push(cb);
    if (requested[key]) return;
    requested[key] = true;
    var s = document.createElement("script");
    s.src = root + "opsbook-search/" + path;
    s.onerror = function () { if (at) at[key.slice(2)] = at[key.slice(2)] || {}; resolve(key); };
    document.head.appendChild(s);
  }
  function all(keys, cb) {
    var left = keys.length;
    if (!left) { cb(); return; }
    keys.forEach(function (k) { need(k[0], k[1], function () { if (--left === 0) cb(); }); });
  }
  S.meta = function (m) {
    m.splits = m.splits ? m.splits.split(" ") : [];
    m.shards = m.shards ? m.shards.split(" ") : [];
    m.splits.forEach(function (k) { S.splits[k] = 1; });
    S.has = {};
    m.shards.forEach(function (k) { S.has[k] = 1; });
    S.metaData = m;
    resolve("meta");
  };
  S.t = function (key, terms) { S.shards[key] = terms; resolve("t:" + key); };
  // A shard's text-only postings of its commonest words (see `own`).
  S.b = function (key, terms) { S.bodies[key] = terms; resolve("b:" + key); };
  // `opsbook serve` calls this when the site was rebuilt under an open tab: later queries load
  // the new index. A query still loading the old one is dropped (its parts are gone) and, if
  // its results are open, runs again on the new index.
  S.forget = function () {
    S.shards = {}; S.bodies = {}; S.docs = {}; S.facets = {}; S.metaData = null; S.splits = {}; S.vocab = null; S.facetList = null;
    near = {};
    requested = {};
    generation++;
    if (!panel.hidden && !dismissed) run();
  };
  S.d = function (n, docs) { S.docs[n] = docs; resolve("d:" + n); };
  // The words of titles, alert names, headings and metadata, by length: what a misspelt word
  // is matched against (loaded only then).
  S.v = function (text) {
    S.vocab = {};
    text.split(" ").forEach(function (w) { var n = Array.from(w).length; (S.vocab[n] = S.vocab[n] || []).push(w); });
    resolve("v");
  };
  // The values of each filter (loaded when the reader opens the filters).
  S.facetList = null;
  S.facetsLoaded = function (list) { S.facetList = list; resolve("facets"); };
  S.f = function (key, enc) { S.facets[key] = decode(enc, false); resolve("f:" + key); };

  function decode(s, weighted) {
    var out = [], v = 0, doc = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charAt(i), d = MORE.indexOf(c);
      if (d >= 0) { v = v * 32 + d; continue; }
      v = v * 32 + FINAL.indexOf(c);
      if (weighted) { doc += Math.floor(v / 64); out.push(doc, v % 64); } else { doc += v; out.push(doc); }
      v = 0;
    }
    return out;
  }
  // The query's words in groups, as the index has them: each run of letters and digits joined by
  // `_`, `-` or `.` is a compound (`KubePodCrashLooping` -> kubepodcrashlooping) with its parts,
  // split there, at case changes and between letters and digits (kube pod crash looping). A
  // runbook matches a group by the compound or by all of its parts. Words are lower case, two
  // characters or more, cut to 40 characters, stopwords dropped.
  var AN = /[\p{L}\p{N}]/u, UP = /\p{Lu}/u, LOW = /\p{Ll}/u, NUM = /\p{N}/u;
  function an(c) { return c !== undefined && AN.test(c); }
  function word(cs) {
    var w = Array.from(cs.join("").toLowerCase()).slice(0, 40);
    return w.length >= 2 && !STOP[w.join("")] ? w.join("") : null;
  }
  function tokens(q) {
    var groups = [], cs = Array.from(q), i = 0;
    while (i < cs.length) {
      if (!an(cs[i])) { i++; continue; }
      var start = i;
      while (i < cs.length && (an(cs[i]) || ("_-.".indexOf(cs[i]) >= 0 && an(cs[i - 1]) && an(cs[i + 1])))) i++;
      var run = cs.slice(start, i), parts = [], from = 0;
      for (var k = 0; k <= run.length; k++) {
        var p = run[k - 1], c = run[k];
        var cut = k === run.length || !an(c) || (k > from && an(p) &&
          ((UP.test(c) && (LOW.test(p) || NUM.test(p))) || (UP.test(c) && UP.test(p) && LOW.test(run[k + 1] || "")) ||
            NUM.test(c) !== NUM.test(p)));
        if (cut) {
          if (k > from) parts.push(run.slice(from, k));
          from = k < run.length && !an(c) ? k + 1 : k;
        }
      }
      var g = { w: word([].concat.apply([], parts)), parts: [] };
      if (parts.length > 1) parts.forEach(function (part) { var w = word(part); if (w) g.parts.push(w); });
      if (g.w || g.parts.length) groups.push(g);
    }
    return groups;
  }
  // A text as its words run together: `KubePodCrashLooping` and "kube pod crash looping" are
  // the same name.
  function flat(s) {
    return tokens(s).map(function (g) { return g.w || g.parts.join(""); }).join("");
  }
  // Every word of the groups, and the one the reader may still be typing (the last).
  function words(groups) {
    return groups.reduce(function (out, g) { return out.concat(g.w ? [g.w] : [], g.parts); }, []);
  }
  function typing(groups) {
    var g = groups[groups.length - 1];
    return g ? [g.w, g.parts[g.parts.length - 1]].filter(Boolean) : [];
  }
  function hex(s) {
    return Array.prototype.map.call(new TextEncoder().encode(s), function (b) {
      return (b < 16 ? "0" : "") + b.toString(16);
    }).join("");
  }
  function shardKey(term) {
    var chars = Array.from(term), k = 2;
    while (k < 5 && k < chars.length && S.splits[chars.slice(0, k).join("")]) k++;
    if (k === chars.length && S.splits[chars.slice(0, k).join("")] && k < 5) k++;
    return chars.slice(0, k).join("");
  }

  // dismissed: the reader closed the results (Escape); nothing reopens them until they type or
  // focus the box again, not even a search or the index finishing loading afterwards, nor the
  // input event of the browser emptying the field on Escape.
  var generation = 0, timer = 0, active = -1, shown = [], dismissed = false;
  // Results shown at once; "Show more" adds as many again (each one loads its own small file).
  var PAGE = 10, limit = PAGE;
  var more = document.createElement("button");
  more.type = "button";
  more.className = "search-more";
  more.hidden = true;
  more.addEventListener("click", function () { limit += PAGE; run(); });
  list.parentNode.insertBefore(more, list.nextSibling);
  var filters = { owner: "", service: "", severity: "", tag: "" };
  var LABELS = { owner: "Owner", service: "Service", severity: "Severity", tag: "Tag" };

  // Filters sit behind a button: their values (every owner, service, severity and tag) load
  // only when the reader opens them, not with every first query.
  function buildFilters() {
    filtersBox.textContent = "";
    var names = Object.keys(LABELS).filter(function (f) { return (S.metaData.filters || []).indexOf(f) >= 0; });
    if (!names.length) return;
    var toggle = document.createElement("button");
    toggle.type = "button";
    toggle.className = "filters-toggle";
    toggle.setAttribute("aria-expanded", "false");
    toggle.setAttribute("aria-controls", "search-filter-fields");
    var fields = document.createElement("div");
    fields.id = "search-filter-fields";
    fields.className = "filter-fields";
    fields.hidden = true;
    function label() {
      var on = Object.keys(filters).filter(function (f) { return filters[f]; }).length;
      toggle.textContent = on ? "Filters (" + on + ")" : "Filters";
    }
    label();
    toggle.addEventListener("click", function () {
      var open = fields.hidden;
      fields.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      if (open && !fields.firstChild) need("facets", "facets.js", function () { fill(fields, names, label); });
    });
    filtersBox.appendChild(toggle);
    filtersBox.appendChild(fields);
  }
  function fill(fields, names, label) {
    if (fields.firstChild || !S.facetList) return;
    names.forEach(function (f) {
      var values = S.facetList[f] || [];
      if (!values.length) return;
      var wrap = document.createElement("label");
      wrap.textContent = LABELS[f] + " ";
      var select = document.createElement("select");
      select.setAttribute("data-facet", f);
      var any = document.createElement("option");
      any.value = "";
      any.textContent = "any";
      select.appendChild(any);
      values.forEach(function (v) {
        var o = document.createElement("option");
        o.value = v[2];
        o.textContent = v[0] + " (" + v[1] + ")";
        o.selected = filters[f] === v[2];
        select.appendChild(o);
      });
      select.addEventListener("change", function () { filters[f] = select.value; label(); limit = PAGE; dismissed = false; run(); });
      wrap.appendChild(select);
      fields.appendChild(wrap);
    });
  }

  // Shards holding words that start with `t` beyond its own shard (when `t` was split further).
  function deeper(t) {
    if (!S.splits[t]) return [];
    var found = S.metaData.shards.filter(function (k) { return k !== t && k.lastIndexOf(t, 0) === 0; });
    return found.length <= 12 ? found : [];
  }

  // Each runbook's best weight for word `t`: exact matches above prefix matches, and for a word
  // the index does not have, its near spellings (`near`) below both.
  var near = {};
  function weights(t, prefix) {
    if (near[t]) {
      var alt = {};
      near[t].forEach(function (c) {
        var b = weights(c, false);
        Object.keys(b).forEach(function (d) { var w = b[d] * 0.8; if (!(alt[d] >= w)) alt[d] = w; });
      });
      return alt;
    }
    return own(t, prefix);
  }
  // A common word's postings come in two parts (src/search.rs, `split_postings`): those with
  // the word in a title, heading, metadata or summary, in its shard as [postings, how many
  // others], and the rest, text only, in the shard's `b-` file. Scoring without them, `unsure`
  // is the most a missing one could weigh and `unloaded` the `b-` files that have them.
  // `floor` is how many runbooks have the commonest of those words, `matched` how many words
  // of the index the query's took.
  var unsure = 0, unloaded = {}, floor = 0, matched = 0;
  function own(t, prefix) {
    var best = {};
    [shardKey(t)].concat(prefix ? deeper(t) : []).forEach(function (k) {
      var part = S.shards[k] || {}, body = S.bodies[k];
      Object.keys(part).forEach(function (term) {
        var exact = term === t;
        if (!exact && !(prefix && term.lastIndexOf(t, 0) === 0)) return;
        var e = part[term], split = typeof e !== "string", p = decode(split ? e[0] : e, true);
        matched++;
        // A rare word counts for more than a common one (BM25's inverse document frequency).
        var idf = Math.log(1 + S.metaData.docs / (p.length / 2 + (split ? e[1] : 0)));
        if (split && body) p = p.concat(decode(body[term], true));
        else if (split) { unsure = Math.max(unsure, (3 * 2 + 1) * idf); unloaded[k] = 1; floor = Math.max(floor, p.length / 2 + e[1]); }
        for (var j = 0; j < p.length; j += 2) {
          var w = (p[j + 1] * 2 + (exact ? 1 : 0)) * idf;
          if (!(best[p[j]] >= w)) best[p[j]] = w;
        }
      });
    });
    return best;
  }
  // Runbooks with every one of `maps`, their weights summed.
  function every(maps) {
    return maps.reduce(function (result, best) {
      if (result === null) return best;
      var next = {};
      Object.keys(result).forEach(function (d) { if (best[d] !== undefined) next[d] = result[d] + best[d]; });
      return next;
    }, null) || {};
  }
  // Whether the index has word `t` (or, while it is being typed, a word starting with it).
  function known(t, prefix) {
    var keys = [shardKey(t)].concat(prefix ? deeper(t) : []);
    return keys.some(function (k) {
      var part = S.shards[k] || {};
      return part[t] !== undefined || (prefix && Object.keys(part).some(function (term) { return term.lastIndexOf(t, 0) === 0; }));
    });
  }
  // Words of the vocabulary one edit from `t` (two from a word of eight or more): a letter
  // added, dropped, replaced, or two swapped.
  function spellings(t) {
    var a = Array.from(t), max = a.length >= 8 ? 2 : 1, out = [];
    for (var n = a.length - max; n <= a.length + max; n++) {
      (S.vocab[n] || []).forEach(function (w) { if (distance(a, Array.from(w), max) <= max) out.push(w); });
    }
    return out;
  }
  function distance(a, b, max) {
    var prev2 = null, prev = [], i, j;
    for (j = 0; j <= b.length; j++) prev.push(j);
    for (i = 1; i <= a.length; i++) {
      var row = [i], low = i;
      for (j = 1; j <= b.length; j++) {
        var v = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        if (prev2 && i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, prev2[j - 2] + 1);
        row.push(v);
        if (v < low) low = v;
      }
      if (low > max) return max + 1;
      prev2 = prev; prev = row;
    }
    return prev[b.length];
  }
  // How many pairs of the query's successive words `seq` stand side by side in one of a
  // runbook's titled texts (title, alert names, summary, headings); the last word may be
  // unfinished when `prefix`.
  var ADJACENT = 1;
  function adjacent(seq, doc, prefix) {
    if (seq.length < 2) return 0;
    var texts = [doc[0], doc[6], doc[7]].concat((doc[8] || []).map(function (h) { return heading(h)[0]; }));
    var pairs = {};
    texts.forEach(function (text) {
      if (!text) return;
      var ws = words(tokens(text));
      for (var i = 0; i + 1 < seq.length; i++) {
        if (pairs[i]) continue;
        for (var k = 0; k + 1 < ws.length; k++) {
          var next = ws[k + 1], want = seq[i + 1];
          if (ws[k] === seq[i] && (next === want || (prefix && i + 2 === seq.length && next.lastIndexOf(want, 0) === 0))) { pairs[i] = 1; break; }
        }
      }
    });
    return Object.keys(pairs).length;
  }
  // Runbooks ranked for the query's groups. When none has every group, the runbooks with the
  // most of them, marked as partial.
  function score(groups, prefixLast) {
    var maps = groups.map(function (g, i) {
      var last = prefixLast && i === groups.length - 1;
      var best = g.w ? weights(g.w, last) : {};
      if (!g.parts.length) return best;
      // By its parts: their mean weight, when the runbook has them all.
      var parts = every(g.parts.map(function (t, j) { return weights(t, last && j === g.parts.length - 1); }));
      Object.keys(parts).forEach(function (d) {
        var w = parts[d] / g.parts.length;
        if (!(best[d] >= w)) best[d] = w;
      });
      return best;
    });
    var scores = every(maps);
    if (maps.length < 2 || Object.keys(scores).length) return { scores: scores };
    var count = {};
    scores = {};
    maps.forEach(function (best) {
      Object.keys(best).forEach(function (d) { count[d] = (count[d] || 0) + 1; scores[d] = (scores[d] || 0) + best[d]; });
    });
    // Matching more of the words comes first (`count`), whatever the weights.
    return { scores: scores, partial: true, count: count };
  }

  // Ranks the runbooks for query `q` (the filters applied) and calls back with the display data
  // of the best `limit`, how many matched, and whether they have only some of the words;
  // `opsbookSearch.search` for tests and benchmarks.
  function search(q, limit, cb) {
    var toks = tokens(q);
    var activeFilters = Object.keys(filters).filter(function (f) { return filters[f]; });
    var prefixLast = !/\s$/.test(q) && typing(toks).some(function (t) { return Array.from(t).length >= 3; });
    var keys = words(toks).map(function (t) { var k = shardKey(t); return ["t:" + k, "t-" + hex(k) + ".js"]; });
    if (prefixLast) {
      typing(toks).forEach(function (t) {
        deeper(t).forEach(function (k) { keys.push(["t:" + k, "t-" + hex(k) + ".js"]); });
      });
    }
    activeFilters.forEach(function (f) { keys.push(["f:" + filters[f], "f-" + filters[f] + ".js"]); });
    all(keys, function () {
      // Words the index does not have: their near spellings, from the vocabulary.
      var last = typing(toks), missing = words(toks).filter(function (t) {
        return Array.from(t).length >= 4 && !near[t] && !known(t, prefixLast && last.indexOf(t) >= 0);
      });
      if (!missing.length) { rank(); return; }
      need("v", "v.js", function () {
        var more = [];
        missing.forEach(function (t) {
          near[t] = spellings(t);
          near[t].forEach(function (c) { var k = shardKey(c); more.push(["t:" + k, "t-" + hex(k) + ".js"]); });
        });
        all(more, rank);
      });
    });
    function rank() {
      var scores, partial = false, count = {};
      unsure = 0; unloaded = {}; floor = 0; matched = 0;
      if (toks.length) {
        var r = score(toks, prefixLast);
        scores = r.scores;
        partial = !!r.partial;
        count = r.count || {};
      } else {
        scores = {};
        for (var d = 0; d < S.metaData.docs; d++) scores[d] = 0;
      }
      activeFilters.forEach(function (f) {
        var allowed = {};
        S.facets[filters[f]].forEach(function (d) { allowed[d] = 1; });
        Object.keys(scores).forEach(function (d) { if (!allowed[d]) delete scores[d]; });
      });
      var ids = Object.keys(scores).map(Number).sort(function (a, b) { return (count[b] || 0) - (count[a] || 0) || scores[b] - scores[a] || a - b; });
      // Without the text-only postings of common words, the results are right when the query
      // is one word and the last shown outranks any of those; else they load and ranking runs
      // again. How many match is then known only from below.
      var skipped = Object.keys(unloaded), sure = toks.length === 1 && !toks[0].parts.length &&
        ids.length >= limit && scores[ids[limit - 1]] > unsure;
      if (skipped.length && !sure) {
        all(skipped.map(function (k) { return ["b:" + k, "b-" + hex(k) + ".js"]; }), rank);
        return;
      }
      var total = ids.length, atLeast = skipped.length > 0 && (matched > 1 || activeFilters.length > 0);
      if (skipped.length && !activeFilters.length) total = Math.max(total, floor);
      ids = ids.slice(0, limit);
      var per = S.metaData.per, shards = {};
      ids.forEach(function (d) { shards[Math.floor(d / per)] = 1; });
      all(Object.keys(shards).map(function (n) { return ["d:" + n, "d-" + n + ".js"]; }), function () {
        var docs = ids.map(function (d) { return S.docs[Math.floor(d / per)][d % per]; });
        // Query words side by side in a title, alert name, summary or heading count for more.
        var seq = words(toks), boost = {};
        docs.forEach(function (doc, i) { boost[ids[i]] = 1 + ADJACENT * adjacent(seq, doc, prefixLast) / Math.max(1, seq.length - 1); });
        var order = docs.map(function (doc, i) { return i; }).sort(function (a, b) {
          var x = ids[a], y = ids[b];
          return (count[y] || 0) - (count[x] || 0) || scores[y] * boost[y] - scores[x] * boost[x] || x - y;
        });
        // A runbook whose title or alert name is the query comes first.
        var want = flat(q), first = [], rest = [];
        order.forEach(function (i) {
          var doc = docs[i], names = [doc[0]].concat(doc[6] ? doc[6].split(", ") : []);
          (want && names.some(function (name) { return flat(name) === want; }) ? first : rest).push(doc);
        });
        cb(first.concat(rest), total, partial, atLeast);
      });
    }
  }
  S.search = function (q, limit, cb) {
    if (!S.metaData) { need("meta", "meta.js", function () { S.search(q, limit, cb); }); return; }
    search(q, limit, cb);
  };

  function run() {
    if (dismissed) return;
    // After `forget`, the new index's layout comes first.
    if (!S.metaData) { need("meta", "meta.js", run); return; }
    var q = input.value, gen = ++generation;
    panel.hidden = false;
    if (!tokens(q).length && !Object.keys(filters).some(function (f) { return filters[f]; })) {
      status.setAttribute("data-query", q);
      list.textContent = "";
      more.hidden = true;
      status.textContent = q.trim() ? "Keep typing…" : "Type to search titles, alert names, owners, headings and text.";
      return;
    }
    search(q, limit, function (docs, total, partial, atLeast) {
      if (gen === generation) show(docs, total, q, partial, atLeast);
    });
  }

  function show(docs, total, q, partial, atLeast) {
    var marks = matcher(q);
    status.setAttribute("data-query", q);
    list.textContent = "";
    active = -1;
    shown = [];
    docs.forEach(function (doc, i) {
      var li = document.createElement("li");
      li.id = "search-result-" + i;
      var a = document.createElement("a");
      // The runbook opens with the query's words marked (`?h=`, as MkDocs Material does).
      a.href = root + doc[1] + "?h=" + encodeURIComponent(q.trim());
      a.className = "result-title";
      a.textContent = doc[0];
      li.appendChild(a);
      var meta = [doc[2], doc[3] && "owner " + doc[3], doc[4], doc[5], doc[6] && "alerts: " + doc[6]].filter(Boolean).join(" · ");
      if (meta) {
        var small = document.createElement("span");
        small.className = "result-meta";
        small.textContent = meta;
        li.appendChild(small);
      }
      var cut = snippet(doc, marks);
      if (cut) {
        var p = document.createElement("span");
        p.className = "result-snippet";
        p.appendChild((marks && window.opsbookHits.marked(cut.text, marks)) || document.createTextNode(cut.text));
        li.appendChild(p);
        // A result found by a heading opens at that heading.
        if (cut.anchor) a.href += "#" + encodeURIComponent(cut.anchor);
      }
      list.appendChild(li);
      shown.push(a);
    });
    more.hidden = total <= docs.length;
    more.textContent = "Show " + Math.min(PAGE, total - docs.length) + " more";
    status.textContent = total === 0 ? "No runbook matches \u201c" + q.trim() + "\u201d." :
      partial ? "No runbook has all the words; closest:" :
      atLeast ? "At least " + total + " runbooks match; showing the best " + docs.length + "." :
      total > docs.length ? total + " runbooks match; showing the best " + docs.length + "." :
      total + (total === 1 ? " runbook matches." : " runbooks match.");
  }

  // Where the words of query `q` (and the near spellings of misspelt ones) are in a text: a
  // regular expression for words starting with one of them, as the runbook page marks them.
  function matcher(q) {
    var ws = words(tokens(q));
    ws.slice().forEach(function (w) { (near[w] || []).forEach(function (c) { ws.push(c); }); });
    return ws.length ? window.opsbookHits.pattern(ws) : null;
  }
  // How many different words of `re` a text has, and where the first one starts.
  function hits(re, text) {
    var m, seen = {}, first = -1;
    if (!re || !text) return { first: first, words: 0 };
    re.lastIndex = 0;
    while ((m = re.exec(text))) { if (first < 0) first = m.index; seen[m[0].toLowerCase()] = 1; }
    return { first: first, words: Object.keys(seen).length };
  }
  // The text a result shows under its title (its words are marked when shown) and the heading
  // to open at: the part of the summary around its first match, else the heading with the most
  // of the words (`§ Restart the pods`), else the start of the summary.
  var SNIPPET = 160;
  // A heading of the display data as [text, anchor]: the index leaves out an anchor that is
  // the text's slug (ASCII, lower case, spaces as "-", letters, digits, "-" and "_" kept).
  function heading(h) {
    return typeof h === "string" ? [h, h.toLowerCase().replace(/ /g, "-").replace(/[^a-z0-9_-]/g, "")] : h;
  }
  function snippet(doc, re) {
    var lead = doc[7] || "", inLead = hits(re, lead), best = null;
    (doc[8] || []).forEach(function (h) {
      h = heading(h);
      var found = hits(re, h[0]);
      if (found.words > (best ? best.found.words : inLead.words)) best = { h: h, found: found };
    });
    if (best) return { text: "\u00a7 " + best.h[0], anchor: best.h[1] };
    if (!lead) return null;
    var chars = Array.from(lead);
    if (chars.length <= SNIPPET) return { text: lead };
    // A window of the summary that starts a little before its first match, at a word.
    var first = inLead.first >= 0 ? Array.from(lead.slice(0, inLead.first)).length : 0;
    var from = Math.max(0, Math.min(first - 30, chars.length - SNIPPET));
    while (from > 0 && /\S/.test(chars[from - 1])) from--;
    var to = Math.min(chars.length, from + SNIPPET);
    while (to < chars.length && /\S/.test(chars[to])) to++;
    var head = from > 0 ? "\u2026 " : "", tail = to < chars.length ? " \u2026" : "";
    return { text: head + chars.slice(from, to).join("") + tail };
  }

  function move(by) {
    if (!shown.length) return;
    if (active >= 0) shown[active].parentNode.classList.remove("active");
    active = (active + by + shown.length) % shown.length;
    shown[active].parentNode.classList.add("active");
    shown[active].parentNode.scrollIntoView({ block: "nearest" });
  }

  list.setAttribute("aria-label", "Search results");
  input.addEventListener("input", function () {
    // Escape in a search field also empties it: that input event must not reopen the results.
    if (input.value) dismissed = false;
    limit = PAGE;
    clearTimeout(timer);
    timer = setTimeout(run, 40);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); move(1); }
    else if (e.key === "ArrowUp") { e.preventDefault(); move(-1); }
    else if (e.key === "Enter") {
      var target = active >= 0 ? shown[active] : shown[0];
      if (target) { e.preventDefault(); location.href = target.href; }
    } else if (e.key === "Escape") {
      // Also cancel a search still waiting to run or to load, so it cannot reopen the panel.
      dismissed = true; clearTimeout(timer); generation++; panel.hidden = true;
    }
  });
  document.addEventListener("click", function (e) {
    if (!box.contains(e.target)) panel.hidden = true;
  });
  input.addEventListener("focus", function () {
    dismissed = false;
    if (input.value || Object.keys(filters).some(function (f) { return filters[f]; })) panel.hidden = false;
  });
  need("meta", "meta.js", function () {
    buildFilters();
    if (input.value) run();
    document.documentElement.setAttribute("data-search-ready", "true");
  });
})();
