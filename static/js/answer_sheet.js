/* A lead's answer sheet (templates/rounds/answer_sheet.html): each row saves in place.
   Without this script every form posts and the page comes back at the row. No framework:
   the same POST with `Accept: application/json` answers the row's new HTML and the counts. */
(function () {
  "use strict";

  var live = document.getElementById("sheet-live");

  function announce(text) {
    if (!live) return;
    live.textContent = "";
    window.setTimeout(function () { live.textContent = text; }, 50);
  }

  function firstField(row) {
    return row.querySelector("select[name=status]") || row;
  }

  function nextRow(row) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("[data-sheet-row]"));
    var index = rows.indexOf(row);
    return index >= 0 && index + 1 < rows.length ? rows[index + 1] : null;
  }

  function goTo(row) {
    row.scrollIntoView({block: "start"});
    firstField(row).focus({preventScroll: true});
  }

  function setCounts(data) {
    var summary = document.querySelector("[data-sheet-summary]");
    if (summary) summary.textContent = data.summary;
    var reported = document.querySelector("[data-sheet-reported]");
    if (reported) reported.textContent = data.reported;
  }

  function replaceRow(row, html) {
    var holder = document.createElement("ul");
    holder.innerHTML = html.trim();
    var fresh = holder.firstElementChild;
    row.replaceWith(fresh);
    return fresh;
  }

  function submitRow(form, submitter) {
    var row = form.closest("[data-sheet-row]");
    var body = new FormData(form, submitter);
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    return fetch(form.getAttribute("action"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (data) { return {status: response.status, data: data}; });
    }).then(function (result) {
      var data = result.data;
      if (!data.row) {
        buttons.forEach(function (button) { button.disabled = false; });
        announce(data.message || "La réponse n'a pas été enregistrée.");
        return;
      }
      var fresh = replaceRow(row, data.row);
      if (!data.ok) {
        announce(data.message);
        var invalid = fresh.querySelector("[aria-invalid=true]") || fresh;
        invalid.focus();
        return;
      }
      setCounts(data);
      announce(data.message);
      var next = data.next ? nextRow(fresh) : null;
      if (next) {
        goTo(next);
      } else {
        firstField(fresh).focus();
      }
    }).catch(function () {
      buttons.forEach(function (button) { button.disabled = false; });
      announce("La réponse n'a pas pu être envoyée : vérifiez la connexion, puis réessayez.");
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("[data-sheet-form]")) {
      event.preventDefault();
      submitRow(form, event.submitter);
    } else if (form.matches("[data-sheet-bulk]")) {
      var ticked = document.querySelectorAll("[data-sheet-tick]:checked").length;
      if (ticked === 0) return; // the server says what is missing
      var words = ticked > 1 ? ticked + " engagements" : "1 engagement";
      if (!window.confirm("Enregistrer « rien de nouveau » pour " + words + " ?")) {
        event.preventDefault();
        return;
      }
      if (!form.querySelector("input[name=confirmer]")) {
        var confirm = document.createElement("input");
        confirm.type = "hidden";
        confirm.name = "confirmer";
        confirm.value = "oui";
        form.appendChild(confirm);
      }
    }
  });

  var tickMissing = document.querySelector("[data-tick-missing]");
  if (tickMissing) {
    tickMissing.hidden = false;
    tickMissing.addEventListener("click", function () {
      var boxes = document.querySelectorAll("[data-sheet-row][data-missing] [data-sheet-tick]");
      boxes.forEach(function (box) { box.checked = true; });
      announce(boxes.length + " engagement" + (boxes.length > 1 ? "s cochés" : " coché") + ".");
    });
  }

  // Back at a row (after a save without script, or a link to it): its first field.
  if (location.hash.indexOf("#engagement-") === 0) {
    var target = document.getElementById(location.hash.slice(1));
    if (target) firstField(target).focus({preventScroll: true});
  }
})();
