// The register's shortcuts and live count. Without this script the page is the
// same form of radios (one row of four buttons per pupil) and works as is: this
// only spares keystrokes.
//   ↑ ↓ or J K: previous / next pupil (the focus sits on the pupil's checked button)
//   P A R D: present, absent, late (then the minutes box), left early; then the next pupil
//   digits: go to the pupil of that number (as typed within a second: "1", "2" is pupil 12)
//   Enter: the form's first button, "Register taken" (the browser's own implicit submission)
(function () {
  "use strict";
  var form = document.getElementById("register-form");
  if (!form) return;
  var rows = Array.prototype.slice.call(form.querySelectorAll(".pupil-row"));
  var count = document.getElementById("register-count");
  var help = form.querySelector(".js-only");
  if (help) help.hidden = false;
  var KEYS = { p: "present", a: "absence", r: "late", d: "left_early" };
  var digits = "";
  var digitsAt = 0;

  function rowOf(el) { return el && el.closest ? el.closest(".pupil-row") : null; }
  function checked(row) { return row.querySelector(".mark-input:checked") || row.querySelector(".mark-input"); }
  function goTo(index) {
    if (index < 0 || index >= rows.length) return false;
    var target = checked(rows[index]);
    target.focus({ preventScroll: true });
    // "nearest" honours the page's scroll padding: the row stays clear of the sticky bar.
    rows[index].scrollIntoView({ block: "nearest" });
    return true;
  }
  function minutesOf(row) { return row.querySelector("input[type=number]"); }

  function mark(row, kind) {
    var input = row.querySelector('.mark-input[value="' + kind + '"]');
    if (!input) return;
    input.checked = true;
    input.dispatchEvent(new Event("change", { bubbles: true }));
    if (kind === "late") {
      minutesOf(row).focus();
    } else if (!goTo(rows.indexOf(row) + 1)) {
      input.focus();
    }
  }

  function refresh() {
    var totals = { present: 0, absence: 0, late: 0, left_early: 0 };
    rows.forEach(function (row) {
      var kind = checked(row).value;
      totals[kind] = (totals[kind] || 0) + 1;
      row.classList.toggle("marked", kind !== "present");
    });
    if (!count) return;
    // French says "0 absent, 1 absent, 2 absents"; English "0 absent" with the plural.
    var singularZero = (document.documentElement.lang || "fr").slice(0, 2) === "fr";
    count.querySelectorAll(".count-part").forEach(function (part) {
      var n = totals[part.getAttribute("data-kind")] || 0;
      var one = n === 1 || (singularZero && n === 0);
      part.querySelector("b").textContent = String(n);
      part.querySelector(".word").textContent = part.getAttribute(one ? "data-one" : "data-many");
      part.hidden = n === 0 && part.getAttribute("data-kind") !== "present";
    });
  }

  form.addEventListener("change", function (event) {
    if (event.target.classList.contains("mark-input")) refresh();
  });

  // A tap on "R": the minutes box comes up with the phone's number pad.
  form.addEventListener("click", function (event) {
    var label = event.target.closest ? event.target.closest("label.mark-late") : null;
    if (!label) return;
    var row = rowOf(label);
    window.setTimeout(function () { minutesOf(row).focus(); }, 0);
  });

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var el = document.activeElement;
    var inRoster = el && el.classList && el.classList.contains("mark-input");
    var onPage = !el || el === document.body || el.id === "main";
    var key = event.key;
    if (el && el.type === "number" && rowOf(el) && key === "Escape") {
      event.preventDefault();
      checked(rowOf(el)).focus();
      return;
    }
    if (!inRoster && !onPage) return;  // typing in a box, on a link or a button: the browser's own keys
    var row = inRoster ? rowOf(el) : null;
    var index = row ? rows.indexOf(row) : -1;
    if (/^[0-9]$/.test(key)) {
      var now = Date.now();
      digits = now - digitsAt < 1000 ? digits + key : key;
      digitsAt = now;
      var number = parseInt(digits, 10);
      if (number < 1 || number > rows.length) number = parseInt(key, 10);
      if (goTo(number - 1)) event.preventDefault();
      return;
    }
    if (key === "ArrowDown" || key === "j" || key === "J") {
      if (goTo(index + 1) || inRoster) event.preventDefault();
      return;
    }
    if (key === "ArrowUp" || key === "k" || key === "K") {
      if (goTo(index - 1) || inRoster) event.preventDefault();
      return;
    }
    digits = "";  // any other key ends a number being typed
    var kind = KEYS[key.toLowerCase()];
    if (kind && row) {
      event.preventDefault();
      mark(row, kind);
    }
  });
  refresh();
})();
