// The visit form lists the open plan actions of every enterprise one works with. With
// JavaScript only the chosen enterprise's actions are shown; the others are disabled, so a tick
// left on a hidden one is not sent. Without it, every list shows, under its enterprise's name.
(function () {
  "use strict";
  var select = document.querySelector("select[name=enterprise_id]");
  var groups = document.querySelectorAll(".followed-up .action-group");
  var none = document.querySelector(".followed-up .no-actions");
  if (!select || !none) { return; }

  function showChosen() {
    var shown = 0;
    groups.forEach(function (group) {
      var chosen = group.getAttribute("data-enterprise") === select.value;
      group.hidden = !chosen;
      group.disabled = !chosen;
      if (chosen) { shown += 1; }
    });
    none.hidden = shown > 0;
  }

  select.addEventListener("change", showChosen);
  showChosen();
}());
