// The campaign's page for staff (templates/campaigns/campaign_staff.html): opening a territory's
// <details> loads its list of missing commitments (views/campaign_pages.py `campaign_missing`,
// `?fragment=1`) in place of the link that leads to it; without JavaScript, the link works.
(function () {
  "use strict";
  function load(details) {
    if (details.dataset.loaded) {
      return;
    }
    details.dataset.loaded = "1";
    var body = details.querySelector(".round-missing-territory__body");
    body.setAttribute("aria-busy", "true");
    fetch(details.dataset.missingUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.text();
      })
      .then(function (html) {
        var link = body.innerHTML;
        body.innerHTML = html + link;
      })
      .catch(function () {
        delete details.dataset.loaded;
      })
      .finally(function () {
        body.removeAttribute("aria-busy");
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("details[data-missing-url]").forEach(function (details) {
      details.addEventListener("toggle", function () {
        if (details.open) {
          load(details);
        }
      });
    });
  });
})();
