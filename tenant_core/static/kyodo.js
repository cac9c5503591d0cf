// Progress display for running jobs: poll each row's status URL until it ends.
(function () {
  function poll(row) {
    fetch(row.dataset.poll, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (job) {
        if (!job) { return; }
        var bar = row.querySelector("progress");
        if (bar) { bar.value = job.progress; }
        var pct = row.querySelector(".pct");
        if (pct) { pct.textContent = job.progress + "%"; }
        var msg = row.querySelector(".msg");
        if (msg) { msg.textContent = job.message || ""; }
        if (job.state === "queued" || job.state === "started") {
          setTimeout(function () { poll(row); }, 1500);
        } else {
          window.location.reload();
        }
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tr[data-poll]").forEach(poll);
  });
})();

// A refused form: the summary of its problems at the top takes the focus, so that a long form's
// problems are read first (and by a screen reader); its links move to each field.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) { summary.focus(); }
  });
})();

// A date field says how it reads the date while the clerk types (R8.4.1 -> 令和8年4月1日), through the
// server's one reader, so that a slip (H for R) is seen before the form is sent.
(function () {
  function echo(input) {
    var out = document.getElementById(input.id + "-read");
    if (!out) { return; }
    var text = input.value.trim();
    if (!text) { out.textContent = ""; out.classList.remove("date-unread"); return; }
    fetch(input.dataset.dateRead + "?text=" + encodeURIComponent(text), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer || input.value.trim() !== text) { return; }
        out.textContent = answer.ok ? answer.read : answer.message;
        out.classList.toggle("date-unread", !answer.ok);
      });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-date-read]").forEach(function (input) {
      var timer = null;
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(function () { echo(input); }, 300);
      });
      input.addEventListener("change", function () { echo(input); });
    });
  });
})();
