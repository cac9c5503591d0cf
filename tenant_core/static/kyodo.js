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
