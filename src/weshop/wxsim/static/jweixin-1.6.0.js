/*
 * wxsim's stand-in for WeChat's JS-SDK (jweixin 1.6.0) and the WeChat browser around it.
 *
 * - wx.config is checked at wxsim (the signature of this page's URL against a live
 *   jsapi_ticket of the app); then wx.ready callbacks run, or wx.error ones get
 *   {errMsg: "config:invalid signature"}.
 * - wx.updateAppMessageShareData / updateTimelineShareData record the share card at wxsim.
 * - WeixinJSBridge.invoke("getBrandWCPayRequest", params, cb) and wx.chooseWXPay open
 *   paysim's JSAPI cashier with the payment's parameters, returning to this page.
 * - <wx-open-subscribe template="id1,id2"> records the WeChat user's consent at wxsim and
 *   fires "success" with detail.subscribeDetails, as WeChat does.
 * The WeChat user is the one chosen on wxsim's authorise page (its cookie).
 * paysim's URL: the "paysim" query parameter of this script's URL, else wxsim's setting.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var source = new URL(script ? script.src : location.href, location.href);
  var base = source.origin + source.pathname.replace(/\/open\/js\/jweixin-1\.6\.0\.js$/, "");
  var paysim = (source.searchParams.get("paysim") || __WXSIM_PAYSIM_URL__).replace(/\/$/, "");
  var state = { options: null, status: "none", failure: null, ready: [], error: [] };

  function post(path, body) {
    return fetch(base + path, {
      method: "POST",
      credentials: "include",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) { return response.json(); });
  }

  function pageUrl() { return location.href.split("#")[0]; }

  function signed() {
    var options = state.options || {};
    return {
      appId: options.appId,
      timestamp: String(options.timestamp),
      nonceStr: options.nonceStr,
      signature: options.signature,
      url: pageUrl()
    };
  }

  function settle(status, failure) {
    state.status = status;
    state.failure = failure;
    var callbacks = status === "ready" ? state.ready : state.error;
    state.ready = [];
    state.error = [];
    callbacks.forEach(function (callback) { callback(failure || undefined); });
  }

  function allowed(name) {
    return state.status === "ready" && (state.options.jsApiList || []).indexOf(name) >= 0;
  }

  function answer(options, result, ok) {
    options = options || {};
    if (ok && options.success) options.success(result);
    if (!ok && options.fail) options.fail(result);
    if (options.complete) options.complete(result);
  }

  function share(api, options) {
    if (!allowed(api)) {
      answer(options, { errMsg: api + ":fail, the permission value is offline verifying" }, false);
      return;
    }
    var card = {
      title: options.title, desc: options.desc, link: options.link, imgUrl: options.imgUrl
    };
    post("/wxsim/jssdk/share", Object.assign(signed(), { api: api, card: card })).then(
      function (result) { answer(options, result, /:ok$/.test(result.errMsg)); },
      function () { answer(options, { errMsg: api + ":fail" }, false); }
    );
  }

  function pay(params) {
    var query = new URLSearchParams({
      appId: params.appId || "",
      timeStamp: String(params.timeStamp || ""),
      nonceStr: params.nonceStr || "",
      package: params.package || "",
      signType: params.signType || "",
      paySign: params.paySign || "",
      redirect_url: location.href
    });
    location.assign(paysim + "/cashier/jsapi?" + query.toString());
  }

  var wx = {
    config: function (options) {
      state.options = options;
      state.status = "pending";
      post("/wxsim/jssdk/config", Object.assign(signed(), {
        jsApiList: options.jsApiList || [], openTagList: options.openTagList || []
      })).then(function (result) {
        if (options.debug) console.log("wx.config", result);
        if (result.errMsg === "config:ok") settle("ready", null);
        else settle("failed", result);
      }, function () { settle("failed", { errMsg: "config:fail" }); });
    },
    ready: function (callback) {
      if (state.status === "ready") callback();
      else state.ready.push(callback);
    },
    error: function (callback) {
      if (state.status === "failed") callback(state.failure);
      else state.error.push(callback);
    },
    checkJsApi: function (options) {
      var result = {};
      (options.jsApiList || []).forEach(function (name) { result[name] = allowed(name); });
      answer(options, { errMsg: "checkJsApi:ok", checkResult: result }, true);
    },
    updateAppMessageShareData: function (options) { share("updateAppMessageShareData", options); },
    updateTimelineShareData: function (options) { share("updateTimelineShareData", options); },
    chooseWXPay: function (options) {
      if (!allowed("chooseWXPay")) {
        answer(options, { errMsg: "chooseWXPay:fail, the permission value is offline verifying" }, false);
        return;
      }
      pay({
        appId: state.options.appId,
        timeStamp: options.timestamp,
        nonceStr: options.nonceStr,
        package: options.package,
        signType: options.signType,
        paySign: options.paySign
      });
    }
  };

  var bridge = {
    invoke: function (name, params, callback) {
      if (name === "getBrandWCPayRequest") pay(params || {});
      else if (callback) callback({ err_msg: name + ":fail" });
    },
    on: function () {}
  };

  function openTagAllowed() {
    return state.status === "ready" &&
      (state.options.openTagList || []).indexOf("wx-open-subscribe") >= 0;
  }

  if (window.customElements && !window.customElements.get("wx-open-subscribe")) {
    window.customElements.define("wx-open-subscribe", class extends HTMLElement {
      connectedCallback() {
        if (this.shadowRoot) return;
        // Parsed from the page, the tag's templates come after it is connected.
        if (document.readyState === "loading") {
          document.addEventListener("DOMContentLoaded", this.connectedCallback.bind(this));
          return;
        }
        var root = this.attachShadow({ mode: "open" });
        var templates = this.querySelectorAll('script[type="text/wxtag-template"]');
        var parsed = document.createElement("template");
        parsed.innerHTML = Array.prototype.map.call(templates, function (node) {
          return node.textContent;
        }).join("") || "<button>订阅消息</button>";
        // WeChat draws the tag in a frame of its own; here its <style>s become constructed
        // sheets, which a page's Content-Security-Policy (no inline styles) lets through.
        var sheets = [];
        parsed.content.querySelectorAll("style").forEach(function (style) {
          if (window.CSSStyleSheet && "replaceSync" in CSSStyleSheet.prototype) {
            var sheet = new CSSStyleSheet();
            sheet.replaceSync(style.textContent);
            sheets.push(sheet);
          }
          style.remove();
        });
        root.adoptedStyleSheets = sheets;
        root.appendChild(parsed.content);
        this.addEventListener("click", this.subscribe.bind(this));
      }

      subscribe() {
        var element = this;
        function fire(event, detail) {
          element.dispatchEvent(new CustomEvent(event, { detail: detail }));
        }
        if (!openTagAllowed()) {
          fire("error", { errMsg: "subscribe:fail, wx-open-subscribe is not in openTagList" });
          return;
        }
        var ids = (element.getAttribute("template") || "").split(",").map(function (id) {
          return id.trim();
        }).filter(Boolean);
        post("/wxsim/jssdk/subscribe", Object.assign(signed(), { templates: ids })).then(
          function (result) { fire(result.event, result.detail); },
          function () { fire("error", { errMsg: "subscribe:fail" }); }
        );
      }
    });
  }

  window.wx = window.jWeixin = wx;
  window.WeixinJSBridge = bridge;
  document.dispatchEvent(new Event("WeixinJSBridgeReady"));
})();
