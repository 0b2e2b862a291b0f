// The receive-a-donation form: "another item" adds an empty line from the <template>
// (Django formset: the __prefix__ placeholder becomes the next index, TOTAL_FORMS grows).
(function () {
  "use strict";
  function ready() {
    var button = document.getElementById("add-line");
    var template = document.getElementById("donation-line-template");
    var lines = document.getElementById("donation-lines");
    var total = document.getElementById("id_lines-TOTAL_FORMS");
    var max = document.getElementById("id_lines-MAX_NUM_FORMS");
    if (!button || !template || !lines || !total) return;
    button.addEventListener("click", function () {
      var index = parseInt(total.value, 10);
      if (max && index >= parseInt(max.value, 10)) return;
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      lines.insertAdjacentHTML("beforeend", html);
      total.value = String(index + 1);
      var select = lines.lastElementChild && lines.lastElementChild.querySelector("select");
      if (select) select.focus();
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();
