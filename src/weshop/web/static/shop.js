/* The storefront's few enhancements; every form also works without them. */
(function () {
  "use strict";
  // A change in a form marked data-autosubmit presses its refresh button (checkout choices,
  // cart quantities), so the shopper sees the new total at once.
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-autosubmit")) return;
    var refresh = form.querySelector("[data-refresh]");
    if (refresh) refresh.click(); else form.submit();
  });
  // A form submitted once cannot be sent again while the next page loads.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (event.defaultPrevented) return;  // a page's own check kept it from being sent
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    setTimeout(function () { delete form.dataset.sent; }, 4000);
  });
  // Product page: the chosen SKU's price and stock replace the range above the choices.
  var skus = document.querySelectorAll("input[name=sku_id][data-price]");
  var price = document.getElementById("sku-price");
  var stock = document.getElementById("sku-stock");
  skus.forEach(function (input) {
    input.addEventListener("change", function () {
      if (price) price.textContent = input.dataset.price;
      if (stock) stock.textContent = input.dataset.stock;
    });
  });
  // Countdowns (a group's time left): <time data-countdown="ISO moment"> shows hh:mm:ss.
  var timers = document.querySelectorAll("[data-countdown]");
  function tick() {
    timers.forEach(function (el) {
      var left = Math.max(0, Math.floor((Date.parse(el.dataset.countdown) - Date.now()) / 1000));
      var pad = function (n) { return (n < 10 ? "0" : "") + n; };
      el.textContent = pad(Math.floor(left / 3600)) + ":" + pad(Math.floor(left / 60) % 60) + ":" + pad(left % 60);
    });
  }
  if (timers.length) { tick(); setInterval(tick, 1000); }
})();
// A countdown to an absolute time (data-countdown, ISO 8601): pages may be kept by the page
// cache, so the time left is worked out here, every second, from the visitor's clock.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-countdown]");
  if (!clocks.length) return;
  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var left = Math.floor((Date.parse(el.dataset.countdown) - now) / 1000);
      if (isNaN(left)) return;
      if (left <= 0) { el.textContent = el.dataset.done || ""; return; }
      var h = Math.floor(left / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
      el.textContent = (h ? pad(h) + ":" : "") + pad(m) + ":" + pad(s);
    });
  }
  tick();
  setInterval(tick, 1000);
})();
// Sign-in: "Resend the code" shows once the wait the server set is over; until then the
// seconds left count down beside it.
(function () {
  "use strict";
  var wait = document.getElementById("resend-wait");
  var resend = document.getElementById("resend");
  if (!wait || !resend || !resend.hasAttribute("data-after-wait")) return;
  var seconds = wait.querySelector("[data-seconds]");
  var left = parseInt(wait.dataset.resendWait, 10) || 0;
  var until = Date.now() + left * 1000;
  resend.hidden = true;
  function tick() {
    left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    if (seconds) seconds.textContent = String(left);
    if (left > 0) return;
    clearInterval(timer);
    wait.hidden = true;
    resend.hidden = false;
  }
  var timer = setInterval(tick, 1000);
})();
// After sign-in: the action the shopper had tapped is sent on at once.
(function () {
  "use strict";
  var resume = document.querySelector("form[data-resume]");
  if (resume) resume.submit();
})();
