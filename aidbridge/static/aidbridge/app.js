// Aidbridge: small progressive enhancements. Every page works without this file.
// No inline handlers anywhere: behaviour is attached here through data- attributes.
"use strict";

(function () {
  // <form data-confirm="…">: ask before a destructive POST.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Filter forms: leave empty fields out of the query string, so pushed URLs stay short and shareable.
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") return;
    var params = event.detail.parameters;
    var empty = [];
    if (typeof params.forEach === "function") {
      params.forEach(function (value, key) { if (value === "") empty.push(key); });
      empty.forEach(function (key) { params.delete(key); });
    } else {
      Object.keys(params).forEach(function (key) { if (params[key] === "") delete params[key]; });
    }
  });

  // A table wider than its box scrolls sideways: let the keyboard reach it (WCAG 2.1.1), named after its caption
  // or the heading of its section, and only while it actually overflows.
  function scrollableTables() {
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      if (wrap.scrollWidth > wrap.clientWidth + 1) {
        if (!wrap.hasAttribute("tabindex")) {
          wrap.setAttribute("data-scroll-region", "");
          var caption = wrap.querySelector("caption");
          var section = wrap.closest("section, figure");
          var heading = section ? section.querySelector("h2, h3") : null;
          var name = (caption || heading || {}).textContent;
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          if (name) wrap.setAttribute("aria-label", name.trim());
        }
      } else if (wrap.hasAttribute("data-scroll-region")) {
        wrap.removeAttribute("data-scroll-region");
        wrap.removeAttribute("tabindex");
        wrap.removeAttribute("role");
        wrap.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", scrollableTables);
  window.addEventListener("resize", scrollableTables);
  document.addEventListener("htmx:afterSettle", scrollableTables);
  document.addEventListener("toggle", scrollableTables, true);

  // A page of results swapped in by htmx (pagination, filters) replaces the link that had the focus: put the
  // focus on the new results table instead of dropping it to the top of the page, so keyboard users carry on.
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.target;
    if (!(target instanceof Element) || target.id !== "results") return;
    if (document.activeElement && document.activeElement !== document.body && target.ownerDocument.contains(document.activeElement)) return;
    var region = target.querySelector(".table-wrap[tabindex]");
    if (region) region.focus();
  });

  // <button data-copy="element-id">: copy that element's text (used for a new API token's secret).
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      window.setTimeout(function () { button.textContent = label; }, 1500);
    });
  });
})();
