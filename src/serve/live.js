// opsbook serve: show the rebuilt page in this tab when the site is rebuilt; show what broke it.
(function () {
  "use strict";
  var overlay = null;
  function show(problems) {
    if (overlay) { overlay.remove(); overlay = null; }
    if (!problems.length) return;
    overlay = document.createElement("div");
    overlay.id = "opsbook-overlay";
    overlay.setAttribute("role", "alert");
    overlay.style.cssText = "position:fixed;left:0;right:0;bottom:0;max-height:50vh;overflow:auto;z-index:99999;" +
      "background:#2b0d0d;color:#ffe4e4;font:14px/1.5 ui-monospace,monospace;padding:12px 16px;border-top:3px solid #f85149";
    var title = document.createElement("strong");
    title.textContent = "opsbook: the site is broken — fix this and save";
    overlay.appendChild(title);
    problems.forEach(function (p) {
      var row = document.createElement("div");
      row.style.marginTop = "8px";
      var where = p.path ? p.path + ":" + p.line + ":" + p.column + ": " : "";
      row.textContent = where + "error[" + p.rule + "]: " + p.message + (p.help ? "  (" + p.help + ")" : "");
      overlay.appendChild(row);
    });
    document.body.appendChild(overlay);
  }
  var source = new EventSource("/__opsbook/reload");
  source.addEventListener("problems", function (e) {
    document.documentElement.setAttribute("data-opsbook-live", "connected");
    show(JSON.parse(e.data));
  });

  // The rebuilt page replaces this one in place when it has the same styles and scripts and the
  // same outline: the tab keeps its scroll position, the search box (with its loaded index and
  // what is typed in it) and the overlay, and there is no blank frame while a page loads. The
  // default theme's script (window.opsbookEnhance) sets up the new content's checklists and
  // copy buttons; any other page (another theme, an error page) is loaded again.
  function assets(doc) {
    return Array.prototype.map.call(
      doc.querySelectorAll('link[rel="stylesheet"], script[src]'),
      function (e) { return e.getAttribute("href") || e.getAttribute("src"); }
    ).join(" ");
  }
  // As served: the search box adds its runtime's scripts to the head once it is used.
  var served = assets(document.head);
  function kept(el) {
    return el.tagName === "SCRIPT" || el.id === "opsbook-overlay" || !!el.querySelector("#search-input");
  }
  function parts(body) {
    return Array.prototype.filter.call(body.children, function (e) { return !kept(e); });
  }
  function swap(html) {
    var next = new DOMParser().parseFromString(html, "text/html");
    var olds = parts(document.body), news = parts(next.body);
    var same = typeof window.opsbookEnhance === "function" &&
      assets(next.head) === served && olds.length === news.length &&
      olds.every(function (e, i) { return e.tagName === news[i].tagName; });
    if (!same) return false;
    document.title = next.title;
    var description = next.querySelector('meta[name="description"]');
    var current = document.querySelector('meta[name="description"]');
    if (current && description) current.setAttribute("content", description.getAttribute("content"));
    document.body.className = next.body.className;
    olds.forEach(function (old, i) {
      var fresh = document.importNode(news[i], true);
      old.replaceWith(fresh);
      window.opsbookEnhance(fresh);
    });
    return true;
  }
  var busy = false, pending = false;
  function update() {
    if (busy) { pending = true; return; }
    busy = true;
    fetch(location.href, { cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        if (!swap(html)) { location.reload(); return; }
        if (window.opsbookSearch && window.opsbookSearch.forget) window.opsbookSearch.forget();
        document.documentElement.setAttribute("data-opsbook-updated", String(Date.now()));
        busy = false;
        if (pending) { pending = false; update(); }
      })
      .catch(function () { location.reload(); });
  }
  // "full": more than pages changed (a stylesheet, a script, a template): load the page again.
  source.addEventListener("reload", function (e) {
    if (e.data === "full") location.reload();
    else update();
  });
})();
