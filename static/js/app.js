/* Plans: the pages' few behaviours. Kept out of the HTML (no inline scripts or handlers), so a
   Content-Security-Policy without 'unsafe-inline' allows them. Everything is delegated from the
   document, so content that htmx swaps in behaves the same. */
(function () {
  "use strict";

  // A form with data-confirm="…" asks before it is sent (Cancel run, Delete trigger, …).
  // Capturing at the document runs before htmx's own submit handler on the form.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form && form.getAttribute ? form.getAttribute("data-confirm") : null;
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // The navigation menu on small screens.
  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-menu-toggle]") : null;
    if (!button) return;
    var menu = document.getElementById(button.getAttribute("aria-controls"));
    var open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (menu) menu.classList.toggle("open", open);
  });

  // Trigger forms: show only the fields of the chosen kind, and name the zone that dates and
  // times are read in next to them.
  function syncTriggerForm(form) {
    var kind = form.querySelector("[name=kind]");
    if (kind) {
      form.querySelectorAll("[data-kinds]").forEach(function (group) {
        var kinds = group.getAttribute("data-kinds").split(" ");
        group.hidden = kinds.indexOf(kind.value) === -1;
      });
    }
    var zone = form.querySelector("[name=timezone]");
    if (zone) {
      form.querySelectorAll("[data-zone-echo]").forEach(function (echo) {
        echo.textContent = zone.value || "UTC";
      });
    }
  }
  function syncAll() {
    document.querySelectorAll("form[data-trigger-form]").forEach(syncTriggerForm);
  }
  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.target.closest ? event.target.closest("form[data-trigger-form]") : null;
      if (form) syncTriggerForm(form);
    });
  });
  // Run history: the newest runs are on the right; start scrolled there when it overflows.
  // A refreshed section is a new element, so each box is scrolled once, when it appears.
  function showNewest() {
    document.querySelectorAll(".history-pictures:not([data-scrolled])").forEach(function (box) {
      box.scrollLeft = box.scrollWidth;
      box.setAttribute("data-scrolled", "");
    });
  }
  document.addEventListener("htmx:afterSettle", showNewest);

  function ready() { syncAll(); showNewest(); }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
