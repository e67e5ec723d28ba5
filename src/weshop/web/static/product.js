/* The product page: the gallery's indicator, spec choice by dimension, the heart (收藏) and
 * the share entry. Without this script the page is a plain form: one button per SKU, the
 * heart adds, the share entry shows the link. */
(function () {
  "use strict";

  // Gallery: "2/5" and the dots follow the picture swiped to.
  var gallery = document.querySelector("[data-gallery]");
  var index = document.querySelector("[data-gallery-index]");
  if (gallery && index) {
    var dots = document.querySelectorAll(".gallery-dots span");
    gallery.addEventListener("scroll", function () {
      var n = Math.round(gallery.scrollLeft / Math.max(1, gallery.clientWidth));
      index.textContent = String(n + 1);
      dots.forEach(function (dot, i) { dot.classList.toggle("on", i === n); });
    }, { passive: true });
  }

  // Specs by dimension: one row per dimension; a value that cannot make an SKU in stock with
  // the other rows' choices is greyed out; a full choice sets the SKU posted to the cart.
  var form = document.querySelector("[data-spec-form]");
  var dims = form && form.querySelector("[data-dims]");
  if (dims) {
    var flat = form.querySelector("[data-flat]");
    var field = form.querySelector("[data-sku-field]");
    var rows = Array.prototype.slice.call(dims.querySelectorAll("[data-dim]"));
    var skus = Array.prototype.map.call(flat.querySelectorAll("input[data-spec]"), function (input) {
      return {
        id: input.value,
        spec: JSON.parse(input.dataset.spec),
        available: parseInt(input.dataset.available, 10) || 0,
        price: input.dataset.price,
        stock: input.dataset.stock,
        image: input.dataset.image || ""
      };
    });
    var price = document.getElementById("sku-price");
    var stock = document.getElementById("sku-stock");
    var chosenText = document.getElementById("sku-chosen");
    var image = document.getElementById("sku-image");
    var error = form.querySelector("[data-spec-error]");
    var quantity = document.getElementById("quantity");
    var chosen = {};

    flat.hidden = true;
    flat.disabled = true;  // its radios are not posted: the hidden field is
    dims.hidden = false;
    field.disabled = false;

    var fits = function (sku, except) {
      return rows.every(function (row) {
        var name = row.dataset.dim;
        return name === except || !chosen[name] || sku.spec[name] === chosen[name];
      });
    };
    var match = function () {
      var full = rows.every(function (row) { return chosen[row.dataset.dim]; });
      if (!full) return null;
      return skus.filter(function (sku) { return fits(sku, null); })[0] || null;
    };
    var missing = function () {
      return rows.filter(function (row) { return !chosen[row.dataset.dim]; });
    };
    var refresh = function () {
      rows.forEach(function (row) {
        var name = row.dataset.dim;
        row.querySelectorAll("[data-value]").forEach(function (button) {
          var value = button.dataset.value;
          var possible = skus.some(function (sku) {
            return sku.available > 0 && sku.spec[name] === value && fits(sku, name);
          });
          button.disabled = !possible && chosen[name] !== value;
          button.setAttribute("aria-pressed", chosen[name] === value ? "true" : "false");
        });
      });
      var sku = match();
      field.value = sku ? sku.id : "";
      price.textContent = sku ? sku.price : price.dataset.range;
      stock.textContent = sku ? sku.stock : "";
      if (image) image.src = (sku && sku.image) || image.dataset.cover;
      if (quantity && sku) quantity.max = String(sku.available);
      var left = missing();
      if (left.length) {
        var names = left.map(function (row) { return row.dataset.dim; }).join(" ");
        chosenText.textContent = dims.dataset.choose.replace("%s", names);
      } else {
        var values = rows.map(function (row) { return chosen[row.dataset.dim]; }).join(" / ");
        chosenText.textContent = dims.dataset.chosen.replace("%s", values);
      }
      if (sku) { error.hidden = true; rows.forEach(function (row) { row.removeAttribute("aria-invalid"); }); }
    };
    dims.addEventListener("click", function (event) {
      var button = event.target.closest("[data-value]");
      if (!button || button.disabled) return;
      var name = button.closest("[data-dim]").dataset.dim;
      // Tapping the chosen value again lets it go, so any other value can be reached.
      chosen[name] = chosen[name] === button.dataset.value ? "" : button.dataset.value;
      refresh();
    });
    form.addEventListener("submit", function (event) {
      if (field.value) return;
      event.preventDefault();
      var left = missing();
      error.textContent = (left[0] || rows[0]).dataset.missing;
      error.hidden = false;
      left.forEach(function (row) { row.setAttribute("aria-invalid", "true"); });
      form.scrollIntoView({ block: "nearest", behavior: "smooth" });
    });
    refresh();
  }

  // The heart: the page is the same for everyone, so whether this visitor keeps the product
  // is asked here; a kept product's heart takes it back.
  var heart = document.querySelector("[data-favourite]");
  if (heart && window.fetch) {
    var button = heart.querySelector("button");
    var label = button.querySelector("span");
    var favouriteId = null;
    var show = function (on) {
      button.setAttribute("aria-pressed", on ? "true" : "false");
      label.textContent = on ? button.dataset.labelOn : button.dataset.labelOff;
    };
    var ask = function () {
      return fetch("/me/favourites/of/" + heart.dataset.favourite, { credentials: "same-origin" })
        .then(function (answer) { return answer.json(); })
        .then(function (state) {
          favouriteId = state.favourite_id;
          heart.dataset.signedIn = state.signed_in ? "1" : "";
          show(favouriteId !== null);
        });
    };
    ask().catch(function () {});
    heart.addEventListener("submit", function (event) {
      if (!heart.dataset.signedIn) return;  // a guest posts the form and is sent to sign in
      event.preventDefault();
      var action = favouriteId === null ? "/me/favourites" : "/me/favourites/" + favouriteId + "/remove";
      fetch(action, { method: "POST", body: new FormData(heart), credentials: "same-origin", redirect: "manual" })
        .then(ask)
        .catch(function () { heart.submit(); });
    });
  }

  // Share: in WeChat, the ··· menu shares the card; elsewhere the system share sheet or the
  // clipboard. A promoter's link (or the one that brought this visitor) replaces the page's.
  var share = document.querySelector("[data-share]");
  if (share) {
    var linkBox = share.querySelector("[data-share-link]");
    var copy = share.querySelector("[data-share-copy]");
    var status = share.querySelector("[data-share-status]");
    var inWechat = /MicroMessenger/i.test(navigator.userAgent);
    var asked = false;
    share.addEventListener("toggle", function () {
      if (!share.open) return;
      if (inWechat) share.querySelector("[data-share-wechat]").hidden = false;
      else copy.hidden = false;
      if (asked) return;
      asked = true;
      var id = share.closest(".card").querySelector("[data-favourite]").dataset.favourite;
      fetch("/api/v1/wechat/share-link?kind=product&id=" + id, { credentials: "same-origin" })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (answer) {
          if (!answer || !answer.link) return;
          linkBox.value = answer.link;
          if (answer.link_code) {
            var labelEl = share.querySelector("[data-share-label]");
            labelEl.textContent = labelEl.dataset.promoter;
          }
        })
        .catch(function () {});
    });
    copy.addEventListener("click", function () {
      var link = linkBox.value;
      if (navigator.share) {
        navigator.share({ title: share.dataset.title, url: link }).catch(function () {});
        return;
      }
      var done = function () { status.textContent = copy.dataset.done; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(link).then(done, function () { linkBox.select(); });
      } else {
        linkBox.select();
        if (document.execCommand && document.execCommand("copy")) done();
      }
    });
  }
})();
