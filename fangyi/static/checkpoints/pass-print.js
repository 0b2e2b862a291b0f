// The printable pass's "Print" button (the CSP forbids inline scripts).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-pass");
  if (button) button.addEventListener("click", () => window.print());
});
