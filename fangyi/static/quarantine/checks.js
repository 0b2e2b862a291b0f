// Quarantine checks ("my people today", the check page): while a temperature is typed, the
// field turns red at the profile's fever threshold (the form's data-fever), so a fever is seen
// before "save". The server decides; this only colours. No inline script (CSP).
(function () {
  "use strict";

  function parse(text) {
    var value = parseFloat(String(text).replace("，", ".").replace(",", ".").trim());
    return isNaN(value) ? null : value;
  }

  function colour(input) {
    var form = input.closest("form");
    var threshold = form ? parse(form.getAttribute("data-fever")) : null;
    var value = parse(input.value);
    var fever = threshold !== null && value !== null && value >= threshold && value < 45;
    input.classList.toggle("fever", fever);
    input.setAttribute("aria-invalid", fever ? "true" : "false");
  }

  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches(".temp-input")) colour(event.target);
  });
})();
