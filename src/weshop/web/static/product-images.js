// Product images in the console: drag to reorder, one main image (the first). Without this
// script the forms still work: images go in the order chosen, and the product page has
// buttons to move each one and to make it the main image.
(function () {
  "use strict";

  // Drag-and-drop inside one list; ``moved`` runs after an item was dropped elsewhere.
  function sortable(list, moved) {
    var dragged = null;
    list.addEventListener("dragstart", function (event) {
      dragged = event.target.closest("li");
      if (!dragged) { return; }
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", "");
      dragged.classList.add("dragging");
    });
    list.addEventListener("dragover", function (event) {
      if (dragged) { event.preventDefault(); }
    });
    list.addEventListener("drop", function (event) {
      event.preventDefault();
      var target = event.target.closest("li");
      if (!dragged || !target || target === dragged) { return; }
      var items = Array.prototype.slice.call(list.children);
      var after = items.indexOf(target) > items.indexOf(dragged);
      list.insertBefore(dragged, after ? target.nextSibling : target);
      moved();
    });
    list.addEventListener("dragend", function () {
      if (dragged) { dragged.classList.remove("dragging"); }
      dragged = null;
    });
  }

  // New product: the chosen files as thumbnails, in the order they will be sent.
  var picker = document.querySelector("[data-image-picker]");
  var picks = document.querySelector("[data-image-picks]");
  if (picker && picks && window.DataTransfer) {
    var chosen = [];
    var send = function () {
      var transfer = new DataTransfer();
      chosen.forEach(function (file) { transfer.items.add(file); });
      picker.files = transfer.files;
    };
    var button = function (label, action) {
      var element = document.createElement("button");
      element.type = "button";
      element.className = "secondary small-button";
      element.textContent = label;
      element.addEventListener("click", action);
      return element;
    };
    var render = function () {
      picks.textContent = "";
      chosen.forEach(function (file, index) {
        var item = document.createElement("li");
        item.draggable = true;
        item.dataset.index = String(index);
        var image = document.createElement("img");
        image.src = URL.createObjectURL(file);
        image.alt = file.name;
        image.width = 104;
        image.height = 104;
        item.appendChild(image);
        if (index === 0) {
          var badge = document.createElement("span");
          badge.className = "badge ok";
          badge.textContent = picks.dataset.mainLabel;
          item.appendChild(badge);
        }
        var actions = document.createElement("div");
        actions.className = "image-actions";
        if (index > 0) {
          actions.appendChild(button(picks.dataset.coverLabel, function () {
            chosen.unshift(chosen.splice(index, 1)[0]);
            send();
            render();
          }));
        }
        actions.appendChild(button(picks.dataset.removeLabel, function () {
          chosen.splice(index, 1);
          send();
          render();
        }));
        item.appendChild(actions);
        picks.appendChild(item);
      });
      picks.hidden = chosen.length === 0;
    };
    picker.addEventListener("change", function () {
      // A second choice adds to the first instead of replacing it (9 at most).
      Array.prototype.forEach.call(picker.files, function (file) {
        var known = chosen.some(function (c) { return c.name === file.name && c.size === file.size; });
        if (!known && chosen.length < 9) { chosen.push(file); }
      });
      send();
      render();
    });
    sortable(picks, function () {
      chosen = Array.prototype.map.call(picks.children, function (item) {
        return chosen[Number(item.dataset.index)];
      });
      send();
      render();
    });
  }

  // Product page: a dropped image saves the new order at once.
  var order = document.querySelector("[data-image-order]");
  var orderForm = document.querySelector("[data-image-order-form]");
  if (order && orderForm) {
    sortable(order, function () {
      orderForm.querySelectorAll("input[name=image_ids]").forEach(function (input) { input.remove(); });
      Array.prototype.forEach.call(order.children, function (item) {
        var input = document.createElement("input");
        input.type = "hidden";
        input.name = "image_ids";
        input.value = item.dataset.imageId;
        orderForm.appendChild(input);
      });
      orderForm.submit();
    });
  }
})();
