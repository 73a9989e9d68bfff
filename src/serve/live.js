// opsbook serve: reload this tab when the site is rebuilt; show what broke it.
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
  source.addEventListener("reload", function () { location.reload(); });
})();
