// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";

  // htmx requests that change something carry the CSRF token, read from the
  // page (a <meta name="csrf-token"> or any form's hidden csrf_token field).
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (detail.verb === "get") {
      // Leave empty filters out, so shared links stay short and readable.
      Object.keys(detail.parameters).forEach(function (key) {
        if (detail.parameters[key] === "") { delete detail.parameters[key]; }
      });
      return;
    }
    var meta = document.querySelector('meta[name="csrf-token"]');
    var field = document.querySelector('input[name="csrf_token"]');
    var token = meta ? meta.content : (field ? field.value : null);
    if (token) { detail.headers["X-CSRFToken"] = token; }
  });
})();
