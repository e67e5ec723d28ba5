// Bulk tools of the console's lists: "select all on this page", the count of ticked rows,
// and the packing slips' print button. Every form works without this script.
(function () {
  "use strict";
  function boxes(formId) {
    return document.querySelectorAll('input[type="checkbox"][name][form="' + formId + '"]');
  }
  function showCount(formId) {
    var form = document.getElementById(formId);
    var count = form && form.querySelector("[data-bulk-count]");
    if (!count) { return; }
    var ticked = Array.prototype.filter.call(boxes(formId), function (box) { return box.checked; });
    count.textContent = count.dataset.label.replace("%(count)s", String(ticked.length));
  }
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var formId = all.dataset.selectAll;
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes(formId).forEach(function (box) { box.checked = all.checked; });
      showCount(formId);
    });
    boxes(formId).forEach(function (box) {
      box.addEventListener("change", function () { showCount(formId); });
    });
  });
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
