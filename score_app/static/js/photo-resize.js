/* Photos made small on the phone before they are sent: a 12-50 megapixel picture becomes a JPEG
   of at most 1600 pixels on its long side (the number in the input's data-resize), so it goes up
   in seconds on a weak connection and stays under the size limit. Without this script, or in a
   browser that cannot do it, the file is sent as chosen and the server still takes it within
   its limit. The server encodes every photo again, so nothing of the original file is kept. */
(function () {
  "use strict";

  var QUALITY = 0.85;

  function canResize() {
    return typeof window.DataTransfer === "function" &&
      typeof window.createImageBitmap === "function" &&
      typeof HTMLCanvasElement.prototype.toBlob === "function";
  }

  function smallerName(name) {
    var stem = name.replace(/\.[^.]*$/, "") || "photo";
    return stem + ".jpg";
  }

  /* The picture drawn again at most longSide pixels long, as a JPEG File; null when it is
     already small enough or cannot be read (the original is then sent). */
  function resized(file, longSide) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, longSide / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.type === "image/jpeg") {
        bitmap.close();
        return null;
      }
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      var context = canvas.getContext("2d");
      // A transparent PNG turns white, not black, as a JPEG.
      context.fillStyle = "#fff";
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      bitmap.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob && blob.size < file.size ?
            new File([blob], smallerName(file.name), { type: "image/jpeg" }) : null);
        }, "image/jpeg", QUALITY);
      });
    }).catch(function () { return null; });
  }

  function watch(input) {
    var longSide = parseInt(input.getAttribute("data-resize"), 10) || 1600;
    var form = input.form;
    var pending = null;
    input.addEventListener("change", function () {
      var file = input.files && input.files[0];
      if (!file || !/^image\//.test(file.type)) { return; }
      input.setAttribute("aria-busy", "true");
      pending = resized(file, longSide).then(function (small) {
        if (small && input.files[0] === file) {
          var list = new DataTransfer();
          list.items.add(small);
          input.files = list.files;
          input.setAttribute("data-resized", String(small.size));
        }
      }).finally(function () {
        input.removeAttribute("aria-busy");
        pending = null;
      });
    });
    if (form) {
      // A save tapped while the picture is still being made small waits for it.
      form.addEventListener("submit", function (event) {
        if (!pending) { return; }
        event.preventDefault();
        var submitter = event.submitter;
        pending.then(function () {
          if (form.requestSubmit) { form.requestSubmit(submitter || undefined); } else { form.submit(); }
        });
      });
    }
  }

  if (!canResize()) { return; }
  document.querySelectorAll("input[type=file][data-resize]").forEach(watch);
})();
