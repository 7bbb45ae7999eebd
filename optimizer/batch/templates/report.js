// The nightly report's only script: highlight an engineer everywhere, sort tables.
// It fetches nothing; the page is complete without it.
(function () {
  "use strict";
  var map = document.getElementById("map");
  var gantt = document.getElementById("gantt");
  if (!map || !gantt) {
    throw new Error("report: the map or the Gantt chart is missing");
  }
  var pinned = null;

  function select(eng) {
    var on = eng !== null;
    [map, gantt].forEach(function (svg) { svg.classList.toggle("dim", on); });
    document.querySelectorAll("[data-eng]").forEach(function (el) {
      el.classList.toggle("hl", on && el.getAttribute("data-eng") === eng);
    });
  }

  function engOf(target) {
    var el = target && target.closest ? target.closest("[data-eng]") : null;
    return el ? el.getAttribute("data-eng") : null;
  }

  document.addEventListener("mouseover", function (ev) {
    if (pinned !== null) { return; }
    var eng = engOf(ev.target);
    select(eng);
  });
  document.addEventListener("click", function (ev) {
    var eng = engOf(ev.target);
    if (eng === null) { return; }
    pinned = pinned === eng ? null : eng;
    select(pinned);
  });

  function cellValue(row, i) {
    var text = row.cells[i] ? row.cells[i].textContent.trim() : "";
    var num = parseFloat(text.replace(/,/g, ""));
    return isNaN(num) || !/^[-\d.,]+$/.test(text) ? text.toLowerCase() : num;
  }

  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, i) {
      th.addEventListener("click", function () {
        var asc = !th.classList.contains("asc");
        Array.prototype.forEach.call(heads, function (h) { h.classList.remove("asc", "desc"); });
        th.classList.add(asc ? "asc" : "desc");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a, i), y = cellValue(b, i);
          var c = x < y ? -1 : x > y ? 1 : 0;
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  var counts = {
    routes: map.querySelectorAll(".route").length,
    bars: gantt.querySelectorAll(".jobbar").length,
    kpis: document.querySelectorAll("#kpi-table tbody tr[data-key]").length
  };
  document.body.setAttribute("data-routes", String(counts.routes));
  document.body.setAttribute("data-jobbars", String(counts.bars));
  document.body.setAttribute("data-kpis", String(counts.kpis));
  document.body.setAttribute("data-ready", "1");
})();
