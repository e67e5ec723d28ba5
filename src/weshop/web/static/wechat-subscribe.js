/* The subscribe button of an order inside WeChat (wechat/shop/_subscribe.html): shown once
 * the JS-SDK is ready (window.weshopWechat, see wechat-jssdk.js), it reports the open tag's
 * success detail to WeShop. WeChat's subscribeDetails is a JSON string mapping each template
 * id to a JSON string {"status": "accept" | "reject" | "ban" | "filter"}. */
(function () {
  "use strict";
  function statusOf(value) {
    if (typeof value === "string") {
      try { value = JSON.parse(value); } catch (error) { return value; }
    }
    return value && value.status;
  }

  function start() {
    var box = document.querySelector("[data-wechat-subscribe]");
    if (!box || !window.weshopWechat) return;
    var tag = box.querySelector("wx-open-subscribe");
    var form = box.querySelector("form[data-wechat-subscribe-report]");
    window.weshopWechat.ready(function () { box.hidden = false; });
    tag.addEventListener("success", function (event) {
      var details = event.detail && event.detail.subscribeDetails;
      var parsed = typeof details === "string" ? JSON.parse(details) : details || {};
      var results = {};
      Object.keys(parsed).forEach(function (id) { results[id] = statusOf(parsed[id]); });
      var data = new FormData(form);
      data.append("results", JSON.stringify(results));
      fetch(form.action, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) {
          if (response.ok) box.querySelector("[data-wechat-subscribe-done]").hidden = false;
        });
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
