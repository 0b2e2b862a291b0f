/* Command dashboard: trend charts from the JSON in #dashboard-charts (redrawn after each
   htmx refresh), and client-side sorting of the table by sub-jurisdiction. */
(function () {
  "use strict";
  var charts = {};

  function draw() {
    var data = document.getElementById("dashboard-charts");
    if (!data || !window.echarts) return;
    var all = JSON.parse(data.textContent);
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = all[el.dataset.chart];
      if (!spec) return;
      var chart = charts[el.dataset.chart] || echarts.init(el);
      charts[el.dataset.chart] = chart;
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 40, right: 10, top: 40, bottom: 30 },
        xAxis: { type: "category", data: spec.days.map(function (d) { return d.slice(5); }) },
        yAxis: { type: "value", minInterval: 1 },
        series: spec.series.map(function (s) {
          return { name: s.name, type: el.dataset.type || "line", data: s.data };
        })
      }, true);
    });
  }

  function sortable() {
    var table = document.getElementById("children-table");
    if (!table) return;
    table.querySelectorAll("th[data-sort] a").forEach(function (link, index) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var th = link.parentElement;
        var desc = th.dataset.dir !== "desc";
        table.querySelectorAll("th[data-sort]").forEach(function (h) { delete h.dataset.dir; });
        th.dataset.dir = desc ? "desc" : "asc";
        var col = Array.prototype.indexOf.call(th.parentElement.children, th);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = Number(a.children[col].textContent), y = Number(b.children[col].textContent);
          return desc ? y - x : x - y;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }

  function init() { draw(); sortable(); }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSwap", init);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
})();
