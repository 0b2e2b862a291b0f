// Roster page: the shift panel that htmx loads opens as a dialog; its × (or Esc) closes it.
(function () {
  "use strict";
  function dialog() { return document.getElementById("shift-dialog"); }

  document.addEventListener("htmx:afterSwap", function (event) {
    var box = dialog();
    if (!box || event.detail.target.id !== "shift-panel") return;
    if (!box.open) box.showModal();
  });

  document.addEventListener("click", function (event) {
    var box = dialog();
    if (!box) return;
    if (event.target.closest("#shift-close") || event.target === box) box.close();
  });
})();
