// Tocsin console: small enhancements; every page works without them.
(function () {
  "use strict";

  // Times are written in UTC by the server; add the reader's own zone beside each one.
  function localTimes(root) {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone || zone === "UTC" || zone === "Etc/UTC") { return; }
    var fmt = new Intl.DateTimeFormat(undefined, {
      dateStyle: "medium", timeStyle: "short", timeZoneName: "short"
    });
    root.querySelectorAll("time[datetime]").forEach(function (t) {
      if (t.dataset.local || t.getAttribute("datetime").length < 11) { return; }
      var d = new Date(t.getAttribute("datetime"));
      if (isNaN(d.getTime())) { return; }
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = " (" + fmt.format(d) + " your time)";
      t.after(span);
      t.dataset.local = "1";
    });
  }

  // A form with errors: move focus to its summary so screen readers announce it.
  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  // One submission per click: a second click while the first is on its way does nothing.
  // A button with data-confirm asks first (final steps: closing, disabling, revoking).
  function oneSubmit() {
    document.addEventListener("submit", function (e) {
      var form = e.target;
      var button = e.submitter;
      if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
        e.preventDefault();
        return;
      }
      if (form.method && form.method.toLowerCase() === "post") {
        if (form.dataset.sent) { e.preventDefault(); return; }
        form.dataset.sent = "1";
      }
    });
  }

  // A list of ids read from a file fills the text area it names (the first column of each
  // line; a CSV header "external_id" is skipped). Without script the picker stays hidden.
  function fileIds() {
    document.querySelectorAll("input[type=file][data-fills]").forEach(function (input) {
      var box = input.closest(".file-ids");
      if (box) { box.hidden = false; }
      input.addEventListener("change", function () {
        var file = input.files && input.files[0];
        if (!file) { return; }
        file.text().then(function (text) {
          var ids = text.split(/\r?\n/).map(function (line) {
            return line.split(",")[0].trim().replace(/^"|"$/g, "");
          }).filter(function (id) { return id && id !== "external_id"; });
          document.getElementById(input.dataset.fills).value = ids.join("\n");
        });
      });
    });
  }

  function ready() {
    fileIds();
    localTimes(document);
    focusErrors();
    oneSubmit();
    document.body.addEventListener("htmx:afterSwap", function (e) { localTimes(e.target); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
