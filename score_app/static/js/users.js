// The account form: a search box over each list of checkboxes, and the countries shown only
// while programme staff is the chosen role. Without JavaScript every checkbox shows; the server
// lets go of countries ticked for another role.
(function () {
  "use strict";

  function folded(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  document.querySelectorAll("[data-checklist]").forEach(function (list) {
    var search = list.querySelector(".checklist-search");
    var input = search.querySelector("input");
    var items = Array.prototype.slice.call(list.querySelectorAll(".checklist-options li"));
    search.hidden = false;
    input.addEventListener("input", function () {
      var wanted = folded(input.value.trim());
      items.forEach(function (item) {
        item.hidden = wanted !== "" && folded(item.textContent).indexOf(wanted) === -1;
      });
    });
  });

  var role = document.querySelector(".user-form select[name=role]");
  if (!role) { return; }
  function showForRole() {
    document.querySelectorAll("[data-roles]").forEach(function (list) {
      list.hidden = list.getAttribute("data-roles").split(" ").indexOf(role.value) === -1;
    });
  }
  role.addEventListener("change", showForRole);
  showForRole();
})();
