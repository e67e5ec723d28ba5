// Bargain pages: copying a bargain's link to share (shop.js counts down to its end).
(function () {
  "use strict";
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
