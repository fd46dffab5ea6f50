// Loopline dashboard: small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Ask before state-changing actions that carry data-confirm.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var text = form.getAttribute("data-confirm");
    if (text && !window.confirm(text)) {
      event.preventDefault();
    }
  });
  // Compare: enable the button only when two or more runs are ticked.
  function updateCompare() {
    var button = document.querySelector("[data-compare-button]");
    if (!button) { return; }
    var ticked = document.querySelectorAll("input[name=ids]:checked").length;
    button.disabled = ticked < 2;
    button.textContent = ticked < 2 ? "Compare (tick two or more)" : "Compare " + ticked + " runs";
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "ids") { updateCompare(); }
  });
  document.addEventListener("DOMContentLoaded", updateCompare);
})();
