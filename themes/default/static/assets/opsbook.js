// opsbook default theme: checklists that remember their ticks, variables filled into commands,
// copy buttons, the incident note, keyboard access, and the search box (its runtime is loaded on
// first use).
(function () {
  "use strict";

  // What a page's content needs once it is in the document; `opsbook serve` calls it again for
  // content it swaps in after an edit (window.opsbookEnhance).
  function enhance(root) {
    checklists(root);
    variables(root);
    copyButtons(root);
    incidentNote(root);
    // Tables in a runbook's body scroll sideways in their own box: reachable by keyboard.
    Array.prototype.forEach.call(root.querySelectorAll("main table:not(.listing)"), function (t) {
      t.tabIndex = 0;
    });
  }

  // Checklists: ticks are kept per page in this browser, each with when it was ticked (for the
  // incident note), with a reset.
  var ticks = {};
  function checklists(root) {
    var key = "opsbook:tasks:" + location.pathname;
    var boxes = Array.prototype.slice.call(root.querySelectorAll("input.task"));
    if (boxes.length) {
      var stored = {};
      try { stored = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { stored = {}; }
      ticks = stored;
      boxes.forEach(function (box) {
        var id = box.getAttribute("data-task");
        var label = box.parentNode ? box.parentNode.textContent.trim().slice(0, 80) : id;
        box.setAttribute("aria-label", label || "Checklist item");
        if (Object.prototype.hasOwnProperty.call(stored, id)) box.checked = !!stored[id];
        box.addEventListener("change", function () {
          stored[id] = box.checked && Date.now();
          try { localStorage.setItem(key, JSON.stringify(stored)); } catch (e) { /* storage off */ }
        });
      });
      var reset = root.querySelector("[data-reset-tasks]");
      if (reset) reset.addEventListener("click", function () {
        try { localStorage.removeItem(key); } catch (e) { /* storage off */ }
        stored = ticks = {};
        boxes.forEach(function (box) { box.checked = box.defaultChecked; });
      });
    }
  }

  // Variables: a value typed once shows in every `<name>` of the page. Values enter as text,
  // never markup; in links they are percent-encoded and only after the host. A value that fails
  // its pattern is not used. Secrets fill code only (shown as dots, copied in full), and are
  // never stored or taken from the URL; other values last the browser session, across runbooks.
  var values = {}, secrets = {}, KEPT = "opsbook:variables";
  function variables(root) {
    var form = root.querySelector("form.variables");
    if (!form) return;
    form.hidden = false;
    var fields = Array.prototype.slice.call(form.querySelectorAll("input[data-var]"));
    var links = Array.prototype.slice.call(root.querySelectorAll(".body a[href*='%3C']"));
    var spans = Array.prototype.slice.call(root.querySelectorAll(".body .var"));
    var query = new URLSearchParams(location.search), kept = {};
    try { kept = JSON.parse(sessionStorage.getItem(KEPT) || "{}") || {}; } catch (e) { kept = {}; }
    links.forEach(function (a) { a.setAttribute("data-template", a.getAttribute("href")); });
    fields.forEach(function (input) {
      var name = input.getAttribute("data-var");
      if (input.type === "password") secrets[name] = true;
      else if (query.has(name)) input.value = query.get(name);
      else if (typeof kept[name] === "string") input.value = kept[name];
    });
    var apply = function () {
      values = {};
      fields.forEach(function (input) {
        var name = input.getAttribute("data-var"), v = input.value, re = input.getAttribute("data-pattern"), ok = true;
        if (v && re) { try { ok = new RegExp(re).test(v); } catch (e) { ok = true; } }
        input.setAttribute("aria-invalid", ok ? "false" : "true");
        document.getElementById(input.id + "-error").textContent = ok ? "" : "Not used: the value must match " + re;
        if (ok && v) values[name] = v;
        if (!secrets[name] && ok) { if (v) kept[name] = v; else delete kept[name]; }
      });
      try { sessionStorage.setItem(KEPT, JSON.stringify(kept)); } catch (e) { /* storage off */ }
      spans.forEach(function (span) {
        var name = span.getAttribute("data-var"), v = values[name];
        span.textContent = v === undefined ? "<" + name + ">" : secrets[name] ? "\u2022\u2022\u2022" : v;
        span.classList.toggle("filled", v !== undefined);
      });
      links.forEach(function (a) {
        var t = a.getAttribute("data-template"), head = /^https?:\/\/[^\/?#]*/i.exec(t);
        if (head) a.href = head[0] + t.slice(head[0].length).replace(/%3C([A-Za-z_][\w-]*)%3E/g, function (m, name) {
          return values[name] === undefined || secrets[name] ? m : encodeURIComponent(values[name]);
        });
      });
    };
    form.addEventListener("input", apply);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    apply();
  }

  // Copy buttons copy the commands as filled in; shell sessions copy their commands, not the
  // prompts or the output.
  function codeText(code) {
    code = code.cloneNode(true);
    Array.prototype.forEach.call(code.querySelectorAll(".var"), function (span) {
      var v = values[span.getAttribute("data-var")];
      if (v !== undefined) span.textContent = v;
    });
    if (!code.classList.contains("language-console")) return code.textContent;
    var lines = code.textContent.split("\n"), out = [], cont = false;
    lines.forEach(function (line) {
      var m = /^[$#%>] /.exec(line);
      if (m || cont) { out.push(m ? line.slice(2) : line); cont = /\\$/.test(line); }
    });
    return out.length ? out.join("\n") : code.textContent;
  }
  // Calls done(true) only when the text reached the clipboard, done(false) when both ways failed.
  function copy(text, done) {
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallback(text)); });
    } else {
      done(fallback(text));
    }
  }
  function fallback(text) {
    var area = document.createElement("textarea"), ok = false;
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }
  function copyButtons(root) {
    Array.prototype.forEach.call(root.querySelectorAll(".code .copy"), function (button) {
      button.hidden = false;
      button.setAttribute("aria-label", "Copy code to clipboard");
      // A step that changes the system: the first tap arms the button, a second one copies.
      var destructive = button.parentNode.classList.contains("destructive"), armed = null;
      button.addEventListener("click", function () {
        if (destructive && !armed) {
          button.textContent = "Tap again to copy";
          button.classList.add("armed");
          armed = setTimeout(function () { armed = null; button.textContent = "Copy"; button.classList.remove("armed"); }, 4000);
          return;
        }
        if (armed) { clearTimeout(armed); armed = null; button.classList.remove("armed"); }
        copy(codeText(button.parentNode.querySelector("code")), copied(button, "Copy"));
      });
    });
  }
  // What a copy button says when the copy is done (or failed), for a moment.
  function copied(button, label) {
    return function (ok) {
      var state = ok ? "done" : "failed";
      button.textContent = ok ? "Copied" : "Copy failed";
      button.classList.add(state);
      setTimeout(function () { button.textContent = label; button.classList.remove(state); }, ok ? 1500 : 3000);
    };
  }

  // The incident note: Markdown for the incident channel with the runbook, the values used
  // (secrets as dots) and every checklist item with when it was ticked. Built in the browser.
  function incidentNote(root) {
    var button = root.querySelector("[data-incident-note]");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var h1 = document.querySelector("main h1"), query = [];
      Object.keys(values).forEach(function (n) {
        if (!secrets[n]) query.push(encodeURIComponent(n) + "=" + encodeURIComponent(values[n]));
      });
      var lines = ["**" + (h1 ? h1.textContent.trim() : document.title) + "**",
        location.href.split(/[?#]/)[0] + (query.length ? "?" + query.join("&") : "")];
      var fields = root.querySelectorAll("form.variables input[data-var]");
      if (fields.length) lines.push("", "Values:");
      Array.prototype.forEach.call(fields, function (input) {
        var n = input.getAttribute("data-var"), v = values[n];
        lines.push("- " + n + ": " + (v === undefined ? "(not set)" : secrets[n] ? "\u2022\u2022\u2022" : "`" + v.replace(/`/g, "'") + "`"));
      });
      var boxes = root.querySelectorAll("input.task");
      if (boxes.length) lines.push("", "Checklist:");
      Array.prototype.forEach.call(boxes, function (box) {
        var t = ticks[box.getAttribute("data-task")], text = box.parentNode.textContent.trim().split("\n")[0];
        lines.push("- [" + (box.checked ? "x" : " ") + "] " + text + (box.checked && typeof t === "number" ? " (" + stamp(t) + ")" : ""));
      });
      copy(lines.join("\n") + "\n", copied(button, "Copy incident note"));
    });
  }
  // Local time with its UTC offset: 2026-12-03 14:05 (UTC+01:00).
  function stamp(ms) {
    var d = new Date(ms), off = -d.getTimezoneOffset(), a = Math.abs(off);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" +
      p(d.getMinutes()) + " (UTC" + (off < 0 ? "-" : "+") + p(Math.floor(a / 60)) + ":" + p(a % 60) + ")";
  }

  // An alert page passes its query (`?cluster=…` from the alert's labels) on to its runbooks,
  // before its refresh to the only one comes due.
  if (location.search && document.body.classList.contains("kind-alert")) {
    var target = document.querySelector("link[rel=canonical]");
    if (target) location.replace(target.href.split(/[?#]/)[0] + location.search);
    Array.prototype.forEach.call(document.querySelectorAll(".alert-runbooks > li > a"), function (a) {
      a.href = a.href.split(/[?#]/)[0] + location.search;
    });
  }

  // Words of a search marked in text, here and in search results (opsbook-search.js): a regular
  // expression for words that start with one of `words`, and a text as a fragment with each
  // match in <mark class="hit"> (null when nothing matches).
  function hitPattern(words) {
    var esc = words.map(function (w) { return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); });
    return new RegExp("(?<![\\p{L}\\p{N}])(?:" + esc.join("|") + ")[\\p{L}\\p{N}]*", "giu");
  }
  function marked(text, re) {
    var last = 0, m, frag = null;
    re.lastIndex = 0;
    while ((m = re.exec(text))) {
      frag = frag || document.createDocumentFragment();
      frag.appendChild(document.createTextNode(text.slice(last, m.index)));
      var mark = document.createElement("mark");
      mark.className = "hit";
      mark.textContent = m[0];
      frag.appendChild(mark);
      last = m.index + m[0].length;
    }
    if (frag) frag.appendChild(document.createTextNode(text.slice(last)));
    return frag;
  }
  window.opsbookHits = { pattern: hitPattern, marked: marked };

  // A runbook opened from a search result marks the words searched for (`?h=`): words that
  // start with one of them, in the body's text, the first one scrolled into view.
  var wanted = new URLSearchParams(location.search).get("h");
  var body = document.querySelector("main .body");
  if (wanted && body) {
    // Alert names as their words too (RedisMemoryHigh: redis, memory, high).
    var terms = wanted.replace(/(\p{Ll}|\p{N})(\p{Lu})/gu, "$1 $2").replace(/(\p{Lu})(\p{Lu}\p{Ll})/gu, "$1 $2")
      .toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(function (w) { return w.length >= 2; }).slice(0, 10);
    if (terms.length) {
      var re = hitPattern(terms);
      var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT), nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach(function (node) {
        var frag = marked(node.nodeValue, re);
        if (frag) node.parentNode.replaceChild(frag, node);
      });
      var first = body.querySelector("mark.hit");
      if (first && !location.hash) first.scrollIntoView({ block: "center" });
    }
  }

  enhance(document);
  window.opsbookEnhance = enhance;

  // The menu button (narrow screens) opens and closes the section tree in place.
  var menu = document.querySelector(".menu-button"), tree = document.getElementById("sidebar");
  if (menu && tree) {
    menu.setAttribute("role", "button");
    menu.setAttribute("aria-expanded", "false");
    var toggle = function (e) {
      e.preventDefault();
      var open = tree.classList.toggle("open");
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) { var first = tree.querySelector("a"); if (first) first.focus(); }
    };
    menu.addEventListener("click", toggle);
    menu.addEventListener("keydown", function (e) { if (e.key === " ") toggle(e); });
  }

  // Search: enabled once this script runs; the runtime and index load on first use.
  var box = document.querySelector(".search");
  var input = document.getElementById("search-input");
  if (box && input) {
    input.disabled = false;
    var loading = false;
    var start = function () {
      if (loading) return;
      loading = true;
      var s = document.createElement("script");
      s.src = box.getAttribute("data-root") + "assets/opsbook-search.js";
      document.head.appendChild(s);
    };
    input.addEventListener("focus", start);
    input.addEventListener("input", start);
  }
  document.addEventListener("keydown", function (e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey || !input) return;
    var t = e.target, tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    e.preventDefault();
    input.focus();
  });
})();
