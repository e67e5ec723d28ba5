// Paying inside WeChat (JSAPI): hand the signed parameters to WeChat's cashier, as WeChat's
// documentation shows, once its bridge is ready; then the result page, which waits for the
// provider's word. A cancelled or failed payment shows the retry.
(function () {
  "use strict";
  var holder = document.getElementById("wechat-pay");
  if (!holder || !holder.hasAttribute("data-pay-params")) {
    return;
  }
  var params = JSON.parse(holder.getAttribute("data-pay-params"));

  function finished(res) {
    var message = (res && res.err_msg) || "";
    if (message === "get_brand_wcpay_request:ok") {
      holder.setAttribute("data-outcome", "paid");
      window.location.href = holder.getAttribute("data-return-url");
      return;
    }
    holder.setAttribute("data-outcome", message.indexOf(":cancel") >= 0 ? "cancelled" : "failed");
    document.getElementById("wechat-pay-waiting").hidden = true;
    document.getElementById("wechat-pay-retry").hidden = false;
  }

  function pay() {
    window.WeixinJSBridge.invoke("getBrandWCPayRequest", params, finished);
  }

  if (typeof window.WeixinJSBridge === "undefined") {
    document.addEventListener("WeixinJSBridgeReady", pay, false);
  } else {
    pay();
  }
})();
