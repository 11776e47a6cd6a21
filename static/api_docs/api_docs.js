/* /api/docs/: what Swagger UI leaves out, added as it draws its parts (its own file: the CSP
   refuses inline scripts).
   - A name for each select it draws without a label (a parameter's values, a media type).
   - Its code examples scroll: they are made focusable, so that a keyboard can scroll them. */
(function () {
  "use strict";

  function nameSelects(root) {
    root.querySelectorAll("select:not([aria-label]):not([aria-labelledby])").forEach(function (select) {
      if (select.labels && select.labels.length) return;
      var row = select.closest("tr[data-param-name]");
      var label = row
        ? "Valeur du paramètre " + row.getAttribute("data-param-name")
        : "Type de contenu";
      select.setAttribute("aria-label", label);
    });
  }

  var examples = 0;

  function focusableExamples(root) {
    root.querySelectorAll(".microlight:not([tabindex])").forEach(function (code) {
      examples += 1;
      code.setAttribute("tabindex", "0");
      code.setAttribute("role", "region");
      code.setAttribute("aria-label", "Exemple de code " + examples);
    });
  }

  function fix() {
    nameSelects(document);
    focusableExamples(document);
  }

  var target = document.getElementById("swagger-ui");
  if (!target) return;
  new MutationObserver(fix).observe(target, { childList: true, subtree: true });
  fix();
})();
