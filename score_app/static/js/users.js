// The account form: a search box over each list of checkboxes, the countries shown only while
// programme staff is the chosen role, and the password field only while no invitation is sent.
// Without JavaScript everything shows; the server lets go of countries ticked for another role
// and of a password typed beside an invitation.
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

  function showWhile(control, show) {
    if (!control) { return; }
    control.addEventListener("change", show);
    show();
  }

  var role = document.querySelector(".user-form select[name=role]");
  showWhile(role, function () {
    document.querySelectorAll("[data-roles]").forEach(function (list) {
      list.hidden = list.getAttribute("data-roles").split(" ").indexOf(role.value) === -1;
    });
  });

  var invite = document.querySelector(".user-form input[name=invite]");
  var password = document.querySelector(".user-form input[name=new_password]");
  showWhile(invite, function () {
    password.closest(".field").hidden = invite.checked;
  });
})();
