// The monthly report's only script: check the page is whole, mark it ready. It fetches
// nothing; the page is complete without it (charts and tables are plain SVG and HTML).
(function () {
  "use strict";
  var rows = document.querySelectorAll("#standards-table tbody tr[data-key]");
  var charts = document.querySelectorAll("svg.trend");
  if (rows.length === 0 || charts.length !== rows.length) {
    throw new Error("monthly report: " + rows.length + " standards but " + charts.length +
                    " trend charts");
  }
  // Clicking a standard's row scrolls to its section (the rows are links too).
  rows.forEach(function (row) {
    row.addEventListener("click", function () {
      var target = document.getElementById("std-" + row.getAttribute("data-key"));
      if (target) { target.scrollIntoView({block: "start"}); }
    });
  });
  document.body.setAttribute("data-standards", String(rows.length));
  document.body.setAttribute("data-ready", "1");
})();
