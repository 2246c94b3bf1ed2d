// A PDF that takes seconds to make ("Print all certificates"): the button says it is working
// until the file is saved. Without JavaScript the link simply opens the PDF.
(function () {
  "use strict";
  if (!window.fetch || !window.URL || !window.Blob) { return; }

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

  document.querySelectorAll("a[data-busy-label]").forEach(function (link) {
    var label = link.textContent;

    function setBusy(busy) {
      link.textContent = busy ? link.getAttribute("data-busy-label") : label;
      link.classList.toggle("busy", busy);
      link.setAttribute("aria-disabled", busy ? "true" : "false");
    }

    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (link.classList.contains("busy")) { return; }
      setBusy(true);
      fetch(link.href, { credentials: "same-origin", redirect: "manual" })
        .then(function (response) {
          var type = response.headers.get("Content-Type") || "";
          if (!response.ok || type.indexOf("application/pdf") !== 0) { throw new Error("not a PDF"); }
          return response.blob().then(function (blob) { save(blob, fileName(response, "document.pdf")); });
        })
        .then(function () { setBusy(false); }, function () {
          // A refusal (a redirect with its reason, a sign-in page): let the browser show it.
          window.location.href = link.href;
        });
    });
  });
})();
