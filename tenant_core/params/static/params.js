// The editable grid of a table parameter: "行を追加" copies the last row with empty fields.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-add-row]").forEach(function (button) {
      button.addEventListener("click", function () {
        var grid = document.querySelector("table[data-grid] tbody");
        var last = grid.querySelector("tr:last-child");
        if (!last) { return; }
        var next = grid.querySelectorAll("tr").length;
        var row = last.cloneNode(true);
        row.querySelectorAll("input").forEach(function (input) {
          input.name = input.name.replace(/^row-\d+-/, "row-" + next + "-");
          if (input.type === "checkbox") { input.checked = false; } else { input.value = ""; }
        });
        grid.appendChild(row);
      });
    });
  });
})();
