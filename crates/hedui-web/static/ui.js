// hedui's only script, served from the node itself (the CSP allows no other): buttons that print
// the page. Everything else works without it.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (b) {
    b.addEventListener("click", function () { window.print(); });
  });
});
