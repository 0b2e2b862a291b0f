/* The transmission-chain graph of a case page (ECharts graph series, force layout).
   Reads the chain from the json_script #chain-data (or from the API when #chain-graph has a
   data-url), draws people coloured by status with a legend, edges labelled by degree; a tap on a
   person opens their page. Sets data-ready="yes" and data-drawn=<node count> when drawn. */
(function () {
  "use strict";

  // Case classifications in reds, then under quarantine, released, traced.
  var COLOURS = {
    confirmed: "#b71c1c",
    asymptomatic: "#e53935",
    suspected: "#f48fb1",
    quarantined: "#fb8c00",
    released: "#43a047",
    traced: "#9e9e9e"
  };
  var ORDER = ["confirmed", "asymptomatic", "suspected", "quarantined", "released", "traced"];

  function categoryOf(node) {
    return node.status === "case" ? node.classification : node.status;
  }

  function draw(box, chain) {
    var labels = chain.labels || {};
    var degrees = chain.degrees || {};
    var present = {};
    chain.nodes.forEach(function (node) { present[categoryOf(node)] = true; });
    var categories = ORDER.map(function (key) {
      return { name: labels[key] || key, itemStyle: { color: COLOURS[key] } };
    });
    var index = {};
    ORDER.forEach(function (key, i) { index[key] = i; });
    var personUrl = box.getAttribute("data-person-url") || "";
    var narrow = box.clientWidth < 480;

    var nodes = chain.nodes.map(function (node) {
      var root = node.hop === 0;
      return {
        id: node.id,
        name: node.name,
        category: index[categoryOf(node)],
        symbolSize: root ? 34 : node.hop === 1 ? 24 : 16,
        value: labels[categoryOf(node)] || node.status,
        link: node.link,
        label: { show: true, position: "right", fontSize: narrow ? 11 : 13 }
      };
    });
    var edges = chain.edges.map(function (edge) {
      return {
        source: edge.source,
        target: edge.target,
        value: degrees[edge.degree] || edge.degree,
        label: { show: !narrow || chain.edges.length <= 12, formatter: "{c}", fontSize: 10 },
        lineStyle: { type: edge.degree === "secondary" ? "dashed" : "solid" }
      };
    });

    var chart = window.echarts.init(box, null, { renderer: "canvas" });
    chart.setOption({
      animationDuration: 300,
      tooltip: {
        formatter: function (p) {
          return p.dataType === "edge" ? p.data.value : p.data.name + "：" + p.data.value;
        }
      },
      legend: [{
        data: categories.filter(function (c, i) { return present[ORDER[i]]; })
          .map(function (c) { return c.name; }),
        top: 0,
        left: "center",
        itemWidth: 14,
        textStyle: { fontSize: narrow ? 11 : 13 }
      }],
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        top: narrow ? 60 : 40,
        categories: categories,
        data: nodes,
        links: edges,
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 7,
        zoom: nodes.length < 10 ? 1.4 : 1,
        force: { repulsion: narrow ? 160 : 260, edgeLength: narrow ? [60, 110] : [90, 160], gravity: 0.08 },
        lineStyle: { color: "#8a939b", width: 1.5, curveness: 0.1 },
        emphasis: { focus: "adjacency" }
      }]
    });
    if (personUrl) {
      chart.on("click", function (p) {
        if (p.dataType === "node" && p.data.link) {
          window.location.href = personUrl.replace("00000000-0000-0000-0000-000000000000", p.data.id);
        }
      });
    }
    window.addEventListener("resize", function () { chart.resize(); });
    box.setAttribute("data-drawn", String(nodes.length));
    box.setAttribute("data-ready", "yes");
    var fallback = document.getElementById("chain-list");
    if (fallback) { fallback.hidden = true; }
  }

  function start() {
    var box = document.getElementById("chain-graph");
    if (!box || !window.echarts) { return; }
    var url = box.getAttribute("data-url");
    if (url) {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (chain) { draw(box, chain); })
        .catch(function () { box.setAttribute("data-ready", "failed"); });
      return;
    }
    var data = document.getElementById("chain-data");
    if (data) { draw(box, JSON.parse(data.textContent)); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
