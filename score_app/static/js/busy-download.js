// Documents that take seconds to make (a plan, a synthesis report, every certificate of a
// workshop): the link or button that asks for one says it is working until the file is saved,
// and cannot be pressed twice meanwhile. It is marked with data-busy-label, the words to show.
// A button sends its GET form (or the form its `form` attribute names) to its formaction.
// Without JavaScript the link or form opens the document as before.
(function () {
  "use strict";
  if (!window.fetch || !window.URL || !window.Blob || !window.URLSearchParams) { return; }

  function fileName(response, fallback) {
    var found = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "");
    return found ? found[1] : fallback;
  }

  function save(blob, name) {
    var url = URL.createObjectURL(blob);
    var anchor = document.createElement("a");
    anchor.href = url;
    anchor.download = name;
    document.body.appendChild(anchor);
    anchor.click();
    anchor.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 60000);
  }

  // The address a button's GET form would open: its fields as the browser would send them.
  function formAddress(button) {
    var form = button.form;
    var action = button.getAttribute("formaction") || form.getAttribute("action") || "";
    var url = new URL(action, window.location.href);
    url.search = new URLSearchParams(new FormData(form)).toString();
    return url.href;
  }

  function busyWhileFetching(control, address) {
    var label = control.textContent;
    function setBusy(busy) {
      control.textContent = busy ? control.getAttribute("data-busy-label") : label;
      control.classList.toggle("busy", busy);
      control.setAttribute("aria-disabled", busy ? "true" : "false");
    }
    if (control.classList.contains("busy")) { return; }
    setBusy(true);
    fetch(address, { credentials: "same-origin", redirect: "manual" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/pdf") !== 0) { throw new Error("not a PDF"); }
        return response.blob().then(function (blob) { save(blob, fileName(response, "document.pdf")); });
      })
      .then(function () { setBusy(false); }, function () {
        // A refusal (a redirect with its reason, a sign-in page): let the browser show it.
        window.location.href = address;
      });
  }

  document.querySelectorAll("a[data-busy-label]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      busyWhileFetching(link, link.href);
    });
  });

  document.querySelectorAll("button[data-busy-label]").forEach(function (button) {
    var form = button.form;
    var method = (button.getAttribute("formmethod") || (form && form.method) || "get").toLowerCase();
    if (!form || method !== "get") { return; }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      busyWhileFetching(button, formAddress(button));
    });
  });
})();
