// opsbook default theme: checklists that remember their ticks, copy buttons, keyboard access,
// and the search box (its runtime is loaded on first use).
(function () {
  "use strict";

  // What a page's content needs once it is in the document; `opsbook serve` calls it again for
  // content it swaps in after an edit (window.opsbookEnhance).
  function enhance(root) {
    checklists(root);
    copyButtons(root);
    // Tables in a runbook's body scroll sideways in their own box: reachable by keyboard.
    Array.prototype.forEach.call(root.querySelectorAll("main table:not(.listing)"), function (t) {
      t.tabIndex = 0;
    });
  }

  // Checklists: ticks are kept per page in this browser, with a reset.
  function checklists(root) {
    var key = "opsbook:tasks:" + location.pathname;
    var boxes = Array.prototype.slice.call(root.querySelectorAll("input.task"));
    if (boxes.length) {
      var stored = {};
      try { stored = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { stored = {}; }
      boxes.forEach(function (box) {
        var id = box.getAttribute("data-task");
        var label = box.parentNode ? box.parentNode.textContent.trim().slice(0, 80) : id;
        box.setAttribute("aria-label", label || "Checklist item");
        if (Object.prototype.hasOwnProperty.call(stored, id)) box.checked = !!stored[id];
        box.addEventListener("change", function () {
          stored[id] = box.checked;
          try { localStorage.setItem(key, JSON.stringify(stored)); } catch (e) { /* storage off */ }
        });
      });
      var reset = root.querySelector("[data-reset-tasks]");
      if (reset) reset.addEventListener("click", function () {
        try { localStorage.removeItem(key); } catch (e) { /* storage off */ }
        stored = {};
        boxes.forEach(function (box) { box.checked = box.defaultChecked; });
      });
    }
  }

  // Copy buttons: shell sessions copy their commands, not the prompts or the output.
  function codeText(code) {
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
        var code = button.parentNode.querySelector("code");
        copy(codeText(code), function (ok) {
          var state = ok ? "done" : "failed";
          button.textContent = ok ? "Copied" : "Copy failed";
          button.classList.add(state);
          setTimeout(function () { button.textContent = "Copy"; button.classList.remove(state); }, ok ? 1500 : 3000);
        });
      });
    });
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
