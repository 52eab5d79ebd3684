// When an htmx request fails (an error status htmx does not swap, or no connection), say so in
// the page's alert instead of doing nothing. No inline script: CSP allows only 'self'.
(function () {
  "use strict";
  function box() { return document.getElementById("htmx-error"); }
  function show() {
    var el = box();
    if (el) { el.textContent = el.getAttribute("data-message") || ""; }
  }
  function clear() {
    var el = box();
    if (el && el.textContent) { el.textContent = ""; }
  }
  document.addEventListener("htmx:responseError", show);
  document.addEventListener("htmx:sendError", show);
  document.addEventListener("htmx:beforeRequest", clear);
})();
