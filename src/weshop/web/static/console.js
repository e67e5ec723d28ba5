// Console enhancements (merchant and platform); every form works without them.
(function () {
  "use strict";
  var SEPARATORS = /[,，、;；\n]+/;

  function specValues(input) {
    var seen = {};
    return input.value.split(SEPARATORS).map(function (v) { return v.trim(); })
      .filter(function (v) { if (!v || seen[v]) { return false; } seen[v] = true; return true; });
  }

  // New product: preview the SKU matrix the server will make from the specs typed.
  var rows = document.querySelector("[data-spec-rows]");
  var preview = document.querySelector("[data-matrix-preview]");
  if (rows && preview) {
    var count = preview.querySelector("[data-matrix-count]");
    var list = preview.querySelector("[data-matrix-list]");
    var update = function () {
      var dims = [];
      rows.querySelectorAll(".spec-row").forEach(function (row) {
        var name = row.querySelector("[data-spec-name]").value.trim();
        var values = specValues(row.querySelector("[data-spec-values]"));
        if (name && values.length) { dims.push(values); }
      });
      if (!dims.length) { preview.hidden = true; return; }
      var combos = dims.reduce(function (acc, values) {
        var next = [];
        acc.forEach(function (prefix) { values.forEach(function (v) { next.push(prefix.concat([v])); }); });
        return next;
      }, [[]]);
      count.textContent = dims.map(function (d) { return d.length; }).join(" × ") + " = " +
        combos.length + " " + count.dataset.label;
      list.textContent = "";
      combos.slice(0, 60).forEach(function (combo) {
        var item = document.createElement("li");
        item.textContent = combo.join(" / ");
        list.appendChild(item);
      });
      preview.hidden = false;
    };
    rows.addEventListener("input", update);
    update();
  }

  // SKU table: "set all prices / stock to" fills every row as it is typed.
  document.querySelectorAll("[data-sku-editor] [data-fill]").forEach(function (helper) {
    helper.addEventListener("input", function () {
      if (helper.value.trim() === "") { return; }
      helper.form.querySelectorAll('[data-column="' + helper.dataset.fill + '"]').forEach(function (cell) {
        cell.value = helper.value.trim();
      });
    });
  });
  // Promotion forms: show only the parts of a choice group that the chosen radio button needs
  // (without this script every part shows).
  document.querySelectorAll("[data-reveal]").forEach(function (group) {
    var radios = group.querySelectorAll('input[type="radio"]');
    function reveal() {
      var chosen = group.querySelector('input[type="radio"]:checked');
      group.querySelectorAll(".reveal").forEach(function (part) {
        part.hidden = !chosen || part.dataset.when.split(" ").indexOf(chosen.value) < 0;
      });
    }
    radios.forEach(function (radio) { radio.addEventListener("change", reveal); });
    reveal();
  });
})();
