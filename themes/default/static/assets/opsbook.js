// opsbook default theme: checklists that remember their ticks (per page, in this browser).
(function () {
  "use strict";
  var key = "opsbook:tasks:" + location.pathname;
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input.task"));
  if (!boxes.length) return;
  var stored = {};
  try { stored = JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { stored = {}; }
  boxes.forEach(function (box) {
    var id = box.getAttribute("data-task");
    var label = box.parentNode ? box.parentNode.textContent.trim().slice(0, 80) : id;
    box.setAttribute("aria-label", label);
    if (Object.prototype.hasOwnProperty.call(stored, id)) box.checked = !!stored[id];
    box.addEventListener("change", function () {
      stored[id] = box.checked;
      try { localStorage.setItem(key, JSON.stringify(stored)); } catch (e) { /* storage full or disabled */ }
    });
  });
  var reset = document.querySelector("[data-reset-tasks]");
  if (reset) reset.addEventListener("click", function () {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
    stored = {};
    boxes.forEach(function (box) { box.checked = box.defaultChecked; });
  });
})();
