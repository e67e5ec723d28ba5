// Bargain pages: the countdown to a bargain's end, and copying its link to share.
(function () {
  "use strict";
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  document.querySelectorAll("[data-countdown]").forEach(function (el) {
    var end = Date.now() + 1000 * parseInt(el.getAttribute("data-countdown"), 10);
    function tick() {
      var left = Math.max(0, Math.floor((end - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      el.textContent = pad(h) + ":" + pad(m) + ":" + pad(s);
      if (left > 0) { setTimeout(tick, 1000); } else { el.classList.add("over"); }
    }
    tick();
  });
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var text = button.getAttribute("data-copy");
      if (navigator.clipboard) {
        navigator.clipboard.writeText(text).then(function () {
          button.textContent = button.getAttribute("data-copied") || button.textContent;
        });
      }
    });
  });
})();
