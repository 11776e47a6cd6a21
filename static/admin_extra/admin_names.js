/*
 * Accessible names the admin's widgets lack, added on every admin page (loaded by
 * templates/admin/base_site.html).
 *
 * The autocomplete boxes (Select2 4.0.13, shipped with Django) are named after their field's
 * label:
 * - the combobox of a single choice and the text showing its value: "Pilote : Mission locale"
 *   (its label, then its value);
 * - the search box of a multiple choice, and that of the open list of choices: "Partenaires";
 * - the list of chosen items is a list (Select2 puts its "×, clear all" among the items).
 * The combobox says which list it opens with aria-controls (ARIA 1.2), as it does with aria-owns.
 * The magnifier icons of the two-box choosers (filter_horizontal) carry an aria-label: they are
 * images (role="img"), where a label is allowed.
 * Select2 and the choosers draw their boxes after the page loads and redraw them when a choice
 * changes: an observer names them again.
 */
"use strict";
(function () {
  function labelId(select) {
    if (!select.id) return null;
    const label = document.querySelector(`label[for="${CSS.escape(select.id)}"]`);
    if (!label) return null;
    if (!label.id) label.id = `${select.id}-label`;
    return label.id;
  }

  function name(container) {
    const select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT") return;
    const id = labelId(select);
    if (!id) return;
    const selection = container.querySelector(".select2-selection--single");
    if (selection) {
      const rendered = selection.querySelector(".select2-selection__rendered[id]");
      const wanted = rendered ? `${id} ${rendered.id}` : id;
      if (selection.getAttribute("aria-labelledby") !== wanted) {
        selection.setAttribute("aria-labelledby", wanted);
      }
      if (rendered && rendered.getAttribute("aria-labelledby") !== wanted) {
        rendered.setAttribute("aria-labelledby", wanted);
      }
    }
    const multiple = container.querySelector(".select2-selection--multiple");
    if (multiple && multiple.getAttribute("aria-labelledby") !== id) {
      multiple.setAttribute("aria-labelledby", id);
    }
    container.querySelectorAll(".select2-search__field").forEach((field) => {
      if (field.getAttribute("aria-labelledby") !== id) field.setAttribute("aria-labelledby", id);
    });
    container.querySelectorAll("ul.select2-selection__rendered").forEach((list) => {
      list.setAttribute("role", "list");
      list.querySelectorAll(":scope > .select2-selection__clear").forEach((clear) => {
        clear.setAttribute("aria-hidden", "true");
      });
    });
  }

  // The open list of choices, drawn at the end of the page: its search box is named after
  // the field whose choices it shows (the list's id is "select2-<select id>-results").
  function nameDropdown(dropdown) {
    const results = dropdown.querySelector(".select2-results__options[id]");
    // While it holds only a message (« Chargement… », « Aucun résultat trouvé »), the list
    // is not a list box: a list box without options is an error for assistive technologies.
    if (results) {
      const role = results.querySelector(":scope > [role=option]") ? "listbox" : "presentation";
      if (results.getAttribute("role") !== role) results.setAttribute("role", role);
    }
    const match = results && results.id.match(/^select2-(.+)-results$/);
    const select = match && document.getElementById(match[1]);
    const id = select && labelId(select);
    if (!id) return;
    dropdown.querySelectorAll(".select2-search__field").forEach((field) => {
      if (field.getAttribute("aria-labelledby") !== id) field.setAttribute("aria-labelledby", id);
    });
  }

  // ARIA 1.2: a combobox names the list it opens with aria-controls (Select2: aria-owns).
  function controls(selection) {
    const owns = selection.getAttribute("aria-owns");
    if (owns && selection.getAttribute("aria-controls") !== owns) {
      selection.setAttribute("aria-controls", owns);
    } else if (!owns && selection.hasAttribute("aria-controls")) {
      selection.removeAttribute("aria-controls");
    }
  }

  function nameAll() {
    document.querySelectorAll("select + .select2-container").forEach(name);
    document.querySelectorAll(".select2-dropdown").forEach(nameDropdown);
    document.querySelectorAll(".select2-selection[role=combobox]").forEach(controls);
    document.querySelectorAll(".search-label-icon[aria-label]:not([role])").forEach((icon) => {
      icon.setAttribute("role", "img");
    });
  }

  function start() {
    nameAll();
    new MutationObserver(nameAll).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["aria-owns"],
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
