// The "Enter figures" form. Without JavaScript the period is a month or two typed days, and
// Check shows each result and opens the comment boxes a warning asks for. With it, the two days
// show only for "another period", each result is shown as its figures are typed (from the
// formula's shape the page carries: numerator / denominator x factor, the same definition the
// server computes with), and a value above what is plausible opens its comment box at once.
(function () {
  "use strict";
  var form = document.querySelector("form [data-formula]");
  if (!form) { return; }
  var lang = document.documentElement.lang || "en";

  // The period: the two days only when "another period" is chosen.
  var month = document.getElementById("period_month");
  var otherPeriod = document.querySelector("[data-other-period]");
  if (month && otherPeriod) {
    var showDays = function () { otherPeriod.hidden = month.value !== "other"; };
    month.addEventListener("change", showDays);
    showDays();
  }

  // The locale's marks, to read "1 250,5" in French as the server does; anything else that is
  // not plain digits is left for Check to explain.
  var parts = new Intl.NumberFormat(lang).formatToParts(12345.6);
  var mark = function (type) {
    var found = parts.filter(function (part) { return part.type === type; })[0];
    return found ? found.value : "";
  };
  var group = mark("group").replace(/[\s\u00a0\u202f]/g, "");
  var decimal = mark("decimal") || ".";
  var escape = function (text) { return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); };
  var grouped = group ? "\\d{1,3}(?:" + escape(group) + "\\d{3})+" : "(?!)";
  var number = new RegExp("^(?:\\d+|" + grouped + ")(?:" + escape(decimal) + "\\d+)?$");

  function parse(raw) {
    var text = raw.replace(/[\s\u00a0\u202f]/g, "");
    if (!number.test(text)) { return null; }
    if (group) { text = text.split(group).join(""); }
    return Number(text.replace(decimal, "."));
  }

  function update(entry, shape) {
    var result = entry.querySelector("[data-result]");
    var warning = entry.querySelector("[data-above-max]");
    var read = function (name) {
      var input = entry.querySelector("input[name='" + entry.id + "-" + name + "']");
      return input && input.value.trim() !== "" ? parse(input.value) : null;
    };
    var top = read(shape.numerator);
    var bottom = shape.denominator ? read(shape.denominator) : 1;
    var value = top !== null && bottom ? top * shape.factor / bottom : null;
    if (value === null) {
      result.hidden = true;
      if (warning) { warning.hidden = true; }
      return;
    }
    var shown = new Intl.NumberFormat(lang, {
      minimumFractionDigits: shape.decimals, maximumFractionDigits: shape.decimals
    }).format(value);
    result.textContent = result.getAttribute("data-result").replace("{value}", shown);
    result.hidden = false;
    if (warning) {
      warning.hidden = !(value > shape.plausible_max);
      if (!warning.hidden) { entry.querySelector("details.comment-box").open = true; }
    }
  }

  document.querySelectorAll("[data-formula]").forEach(function (entry) {
    var shape = JSON.parse(entry.getAttribute("data-formula"));
    entry.addEventListener("input", function (event) {
      if (event.target.matches("input[type=text]")) { update(entry, shape); }
    });
  });
}());
