// Attendance: with JavaScript each tap is saved at once and the counts update without a reload.
// Without it, the page says to tick the boxes and the form's Save button sends them all at once.
(function () {
  "use strict";
  var form = document.querySelector("form.attendance[data-mark-url]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-mark-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var error = form.querySelector(".tap-error");
  var saveButton = form.querySelector("button[type=submit]");
  form.querySelector(".form-note").hidden = true;
  form.querySelector(".tap-note").hidden = false;
  saveButton.hidden = true;

  function showCounts(counts) {
    document.querySelectorAll("[data-count]").forEach(function (cell) {
      var key = cell.getAttribute("data-count");
      var value = 0;
      if (key === "total") { value = counts.total; }
      else if (key.indexOf("role-") === 0) { value = counts.by_role[key.slice(5)] || 0; }
      else if (key.indexOf("sex-") === 0) { value = counts.by_sex[key.slice(4)] || 0; }
      else { value = counts.cells[key] || 0; }
      cell.textContent = value;
    });
  }

  function showError(message) {
    error.textContent = message;
    error.hidden = false;
  }

  // The server's answer as JSON, or null when it sent something else (a sign-in page).
  function answerOf(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") !== 0) { return Promise.resolve(null); }
    return response.json().catch(function () { return null; });
  }

  // A refused tap says why in the server's words; an answer with no reason asks for a reload.
  function refused(answer) {
    showError(answer && answer.error ? answer.error : error.getAttribute("data-unknown"));
  }

  // No answer at all: the connection. The Save button stays as the way to send every box.
  function unreachable() {
    showError(error.getAttribute("data-offline"));
    saveButton.hidden = false;
  }

  form.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "present") { return; }
    var body = new URLSearchParams({ person_id: box.value, present: box.checked ? "1" : "0" });
    box.disabled = true;
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) {
      return answerOf(response).then(function (answer) {
        if (response.ok && answer && !response.redirected) {
          error.hidden = true;
          showCounts(answer);
        } else {
          box.checked = !box.checked;
          refused(answer);
        }
      });
    }, function () {
      box.checked = !box.checked;
      unreachable();
    }).then(function () { box.disabled = false; });
  });

  // A box tapped while the page was still loading, before this script listened, is sent now
  // (the form's autocomplete="off" keeps the browser from restoring older ticks on a reload).
  form.querySelectorAll("input[name=present]").forEach(function (box) {
    if (box.checked !== box.defaultChecked) {
      box.dispatchEvent(new Event("change", { bubbles: true }));
    }
  });
}());
