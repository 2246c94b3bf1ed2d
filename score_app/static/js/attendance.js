// Attendance: with JavaScript each tap is saved at once and the counts update without a reload.
// Without it, the form's Save button sends every box at once.
(function () {
  "use strict";
  var form = document.querySelector("form.attendance[data-mark-url]");
  if (!form || !window.fetch) { return; }
  var url = form.getAttribute("data-mark-url");
  var token = form.querySelector("input[name=csrf_token]").value;
  var error = form.querySelector(".js-error");
  form.querySelector(".js-note").hidden = false;

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
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    }).then(function (counts) {
      error.hidden = true;
      showCounts(counts);
    }).catch(function () {
      box.checked = !box.checked;
      error.hidden = false;
    }).then(function () { box.disabled = false; });
  });
}());
