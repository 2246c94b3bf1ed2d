// A running job's page: look at its small JSON status every few seconds, move the progress
// bar, and reload the page once the job is done. Without JavaScript the page refreshes itself
// (a meta refresh in <noscript>) and has a Refresh link.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || !window.fetch || !box.dataset.statusUrl) { return; }
  var every = (parseInt(box.dataset.refresh, 10) || 2) * 1000;
  var bar = document.getElementById("job-progress");

  function look() {
    fetch(box.dataset.statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { setTimeout(look, every * 2); return; }
        if (status.state === "finished" || status.state === "failed") {
          window.location.replace(status.url);
          return;
        }
        if (bar && status.total) {
          bar.max = status.total;
          bar.value = status.done;
        }
        setTimeout(look, every);
      })
      .catch(function () { setTimeout(look, every * 2); });
  }
  setTimeout(look, every);
}());
