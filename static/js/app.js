// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb === "get") {
      // Leave out empty and default filters, so shared links stay short.
      var form = detail.elt.closest("form");
      Object.keys(detail.parameters).forEach(function (key) {
        var value = detail.parameters[key];
        var field = form && form.elements.namedItem(key);
        var fallback = field && field.getAttribute ? field.getAttribute("data-default") : null;
        if (value === "" || value === fallback) { delete detail.parameters[key]; }
      });
      return;
    }
    // Requests that change something carry the CSRF token, read from the page.
    var meta = document.querySelector('meta[name="csrf-token"]');
    var field = document.querySelector('input[name="csrf_token"]');
    var token = meta ? meta.content : (field ? field.value : null);
    if (token) { detail.headers["X-CSRFToken"] = token; }
  });

  // A link that replaces itself (the next page of results) would leave focus
  // nowhere: move it to the line that says which results are now shown.
  document.addEventListener("htmx:afterSettle", function (event) {
    var trigger = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (trigger && trigger.closest && trigger.closest(".pagination")) {
      var count = document.getElementById("result-count");
      if (count) { count.focus({ preventScroll: true }); }
    }
  });

  // A document's "Print" button (estimates, superbills): the browser's own print dialog,
  // which also saves a PDF.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) { window.print(); }
  });
})();
