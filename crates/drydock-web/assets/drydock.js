// drydock's page script: the theme switch, auto-submitting selects and confirm prompts.
// Loaded from /assets (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";
  var root = document.documentElement;
  var saved = null;
  try { saved = window.localStorage.getItem("drydock-theme"); } catch (e) { saved = null; }
  if (saved === "light" || saved === "dark") { root.setAttribute("data-theme", saved); }

  document.addEventListener("click", function (ev) {
    var t = ev.target.closest("[data-theme-toggle]");
    if (t) {
      var dark = root.getAttribute("data-theme") === "dark" ||
        (!root.getAttribute("data-theme") && window.matchMedia("(prefers-color-scheme: dark)").matches);
      var next = dark ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { window.localStorage.setItem("drydock-theme", next); } catch (e) { /* private mode */ }
    }
    var c = ev.target.closest("[data-confirm]");
    if (c && !window.confirm(c.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });

  document.addEventListener("change", function (ev) {
    if (ev.target.matches("select[data-autosubmit]")) { ev.target.form.submit(); }
  });
})();

// A file chosen in an <input type=file data-into=ID> is read into the textarea ID (the form
// then posts text; pasting works without script).
document.addEventListener("change", function (ev) {
  var input = ev.target;
  if (!input.matches || !input.matches("input[type=file][data-into]") || !input.files.length) { return; }
  var target = document.getElementById(input.getAttribute("data-into"));
  var reader = new FileReader();
  reader.onload = function () { target.value = reader.result; };
  reader.readAsText(input.files[0]);
});
