// Progressive enhancement only: without this file the page says the same in words.
// A form marked data-working (a benefit check, which can take up to a minute while the
// insurer answers) shows that it is working once sent, and isn't sent twice.
(function () {
  "use strict";

  function statusOf(form) { return form.querySelector("[data-working-status]"); }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented || !form.matches || !form.matches("form[data-working]")) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();  // a second press would start (and pay for) a second check
      return;
    }
    form.setAttribute("aria-busy", "true");
    var status = statusOf(form);
    if (status) {
      status.hidden = false;
      status.textContent = form.getAttribute("data-working");
    }
  });

  // Back from the answer, the page may come from the browser's cache: ready again.
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted) { return; }
    document.querySelectorAll("form[data-working][aria-busy]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      var status = statusOf(form);
      if (status) { status.hidden = true; status.textContent = ""; }
    });
  });
})();
