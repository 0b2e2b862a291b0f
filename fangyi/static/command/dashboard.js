/* Command dashboard: trend charts from the JSON in #dashboard-charts (redrawn after each
   htmx refresh), and client-side sorting of the table by sub-jurisdiction. */
(function () {
  "use strict";
  var charts = {};

  function draw() {
    var data = document.getElementById("dashboard-charts");
    if (!data || !window.echarts) return;
    var all = JSON.parse(data.textContent);
    var text = document.querySelector(".dashboard.wall") ? 16 : 12; // px: a wall is read from afar
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = all[el.dataset.chart];
      if (!spec) return;
      var chart = charts[el.dataset.chart] || echarts.init(el);
      charts[el.dataset.chart] = chart;
      chart.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { top: 0, textStyle: { fontSize: text } },
        grid: { left: 40, right: 10, top: text * 4, bottom: text * 2.5 },
        xAxis: {
          type: "category",
          data: spec.days.map(function (d) { return d.slice(5); }),
          axisLabel: { fontSize: text }
        },
        yAxis: { type: "value", minInterval: 1, axisLabel: { fontSize: text } },
        series: spec.series.map(function (s) {
          return { name: s.name, type: el.dataset.type || "line", data: s.data };
        })
      }, true);
    });
  }

  // The client-side order, as the server's ?sort= ("-key": largest first); kept in the
  // address and sent with each live refresh, so the 30 s poll does not undo it.
  var sort = new URLSearchParams(window.location.search).get("sort") || "";

  function sortable() {
    var table = document.getElementById("children-table");
    if (!table) return;
    table.querySelectorAll("th[data-sort] a").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        var th = link.parentElement;
        var desc = th.getAttribute("aria-sort") !== "descending";
        table.querySelectorAll("th[data-sort]").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", desc ? "descending" : "ascending");
        sort = (desc ? "-" : "") + th.dataset.sort;
        var col = Array.prototype.indexOf.call(th.parentElement.children, th);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = Number(a.children[col].textContent), y = Number(b.children[col].textContent);
          // Equal figures stay in the order by code, as the server sorts them.
          return (desc ? y - x : x - y) || a.dataset.position - b.dataset.position;
        });
        rows.forEach(function (r) { body.appendChild(r); });
        var address = new URL(window.location.href);
        address.searchParams.set("sort", sort);
        window.history.replaceState(null, "", address);
      });
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (!sort || event.detail.elt.id !== "dashboard-live") return;
    var path = new URL(event.detail.path, window.location.href);
    path.searchParams.set("sort", sort);
    event.detail.path = path.pathname + path.search;
  });

  function init() { draw(); sortable(); }
  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSwap", init);
  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (k) { charts[k].resize(); });
  });
})();
