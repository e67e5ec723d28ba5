/* The JS-SDK on a page opened in WeChat's browser. Outside WeChat it does nothing.
 *
 * Inside: loads the JS-SDK (the script tag's data-jssdk), asks WeShop for the page's
 * wx.config (GET /api/v1/wechat/js-config?url=, signed per request: pages are kept by the
 * response cache, so no signature is ever in their HTML), and once wx.ready has fired:
 *   - sets the share card from the page's og: tags, its link asked per visitor
 *     (GET /api/v1/wechat/share-link) when the page names its target
 *     (<meta name="weshop:share-target" content="product:12">), so a promoter's code rides along;
 *   - announces it: document fires "weshop:wx-ready" (detail: the wx object), and
 *     window.weshopWechat.ready(callback) runs callback(wx) now or once ready. A refused
 *     config fires "weshop:wx-error" (detail: WeChat's {errMsg}).
 */
(function () {
  "use strict";
  var state = { wx: null, callbacks: [] };
  window.weshopWechat = {
    ready: function (callback) {
      if (state.wx) callback(state.wx); else state.callbacks.push(callback);
    }
  };
  if (!/MicroMessenger/i.test(navigator.userAgent)) return;
  var me = document.currentScript;
  var jssdk = me && me.dataset.jssdk;
  if (!jssdk) return;

  function meta(selector) {
    var tag = document.querySelector(selector);
    return tag ? tag.getAttribute("content") || "" : "";
  }

  function getJson(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status + " from " + url);
        return response.json();
      });
  }

  function shareLink(fallback) {
    var target = meta('meta[name="weshop:share-target"]').split(":");
    if (target.length !== 2) return Promise.resolve(fallback);
    var query = "?kind=" + encodeURIComponent(target[0]) + "&id=" + encodeURIComponent(target[1]);
    return getJson("/api/v1/wechat/share-link" + query)
      .then(function (answer) { return answer.link; })
      .catch(function () { return fallback; });
  }

  function setShareCard(wx) {
    var title = meta('meta[property="og:title"]') || document.title;
    var desc = meta('meta[property="og:description"]');
    var image = meta('meta[property="og:image"]');
    var page = meta('meta[property="og:url"]') || location.href.split("#")[0];
    shareLink(page).then(function (link) {
      var card = { title: title, desc: desc, link: link, imgUrl: image };
      wx.updateAppMessageShareData(card);
      // Moments show the title alone.
      wx.updateTimelineShareData({ title: title, link: link, imgUrl: image });
    });
  }

  function configure(wx) {
    var url = location.href.split("#")[0];
    getJson("/api/v1/wechat/js-config?url=" + encodeURIComponent(url)).then(function (config) {
      wx.config({
        debug: false,
        appId: config.appId,
        timestamp: config.timestamp,
        nonceStr: config.nonceStr,
        signature: config.signature,
        jsApiList: config.jsApiList,
        openTagList: config.openTagList
      });
      wx.ready(function () {
        state.wx = wx;
        setShareCard(wx);
        state.callbacks.splice(0).forEach(function (callback) { callback(wx); });
        document.dispatchEvent(new CustomEvent("weshop:wx-ready", { detail: wx }));
      });
      wx.error(function (error) {
        document.dispatchEvent(new CustomEvent("weshop:wx-error", { detail: error }));
      });
    }).catch(function (error) {
      document.dispatchEvent(new CustomEvent("weshop:wx-error", { detail: { errMsg: String(error) } }));
    });
  }

  var script = document.createElement("script");
  script.src = jssdk;
  script.onload = function () { if (window.wx) configure(window.wx); };
  document.head.appendChild(script);
})();
