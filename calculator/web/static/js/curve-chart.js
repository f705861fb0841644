// The chart of the trailing 24-hour post count, drawn with the vendored Chart.js from the data
// the server put beside the canvas (#curve-data): the count (a step line), the threshold of
// each clause version (a dashed line) and the windows of the headline reading that owe
// (shaded boxes, chartjs-plugin-annotation). Nothing here knows a clause's numbers.
(function () {
  "use strict";
  var HOUR = 3600 * 1000;
  var STEPS = [1, 2, 3, 6, 12, 24, 48, 96, 168, 336, 720, 1440, 2160, 4320, 8760].map(function (h) { return h * HOUR; });
  var COUNT = "#1f4e99", THRESHOLD = "#b3261e", TEXT = "#1a1a1a";
  var SHADE = "rgba(214, 120, 0, 0.18)", SHADE_EDGE = "rgba(179, 71, 0, 0.6)";

  // A tick's label: the date, and the time on a second line when ticks are hours apart.
  function utc(ms, step) {
    var text = new Date(ms).toISOString();
    return step >= 24 * HOUR ? text.slice(0, 10) : [text.slice(0, 10), text.slice(11, 16)];
  }

  function draw(root) {
    var canvas = root.querySelector("#curve-chart"), island = root.querySelector("#curve-data");
    if (!canvas || !island || !window.Chart) { return null; }
    var data = JSON.parse(island.textContent);
    var number = new Intl.NumberFormat("en-US");
    var first = data.points[0][0], last = data.points[data.points.length - 1][0];
    data.windows.forEach(function (w) { first = Math.min(first, w.from); last = Math.max(last, w.until); });
    var step = STEPS.find(function (s) { return (last - first) / s <= 8; }) || STEPS[STEPS.length - 1];
    var datasets = [{
      label: "Posts in the trailing " + data.period + " period",
      data: data.points.map(function (p) { return {x: p[0], y: p[1]}; }),
      stepped: "before",  // a count holds from its point until the next one
      borderColor: COUNT, backgroundColor: COUNT, borderWidth: 2,
      pointRadius: data.points.length <= 60 ? 3 : 0, pointHoverRadius: 4
    }];
    data.thresholds.forEach(function (t) {
      datasets.push({
        label: "Threshold: " + number.format(t.posts) + " posts" +
               (data.thresholds.length > 1 ? " (version of " + t.version + ")" : ""),
        data: [{x: t.from, y: t.posts}, {x: t.until, y: t.posts}],
        borderColor: THRESHOLD, backgroundColor: THRESHOLD, borderDash: [8, 4], borderWidth: 2,
        pointRadius: 0, pointHoverRadius: 0
      });
    });
    var boxes = {};
    data.windows.forEach(function (w, index) {
      boxes["window" + index] = {type: "box", xMin: w.from, xMax: w.until, drawTime: "beforeDatasetsDraw",
                                 backgroundColor: SHADE, borderColor: SHADE_EDGE, borderWidth: 1};
    });
    var legend = window.Chart.defaults.plugins.legend;
    var highest = Math.max.apply(null, data.thresholds.map(function (t) { return t.posts; }).concat([0]));
    return new window.Chart(canvas, {
      type: "line",
      data: {datasets: datasets},
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
        interaction: {mode: "nearest", axis: "x", intersect: false},
        scales: {
          x: {type: "linear", min: first, max: last,
              title: {display: true, text: "Time (UTC)", color: TEXT},
              // Ticks on whole UTC hours or days, every `step`.
              afterBuildTicks: function (axis) {
                var ticks = [];
                for (var t = Math.ceil(first / step) * step; t <= last; t += step) { ticks.push({value: t}); }
                axis.ticks = ticks;
              },
              ticks: {maxRotation: 0, autoSkip: true, autoSkipPadding: 8, color: TEXT,
                      callback: function (value) { return utc(value, step); }}},
          y: {beginAtZero: true, suggestedMax: highest * 1.15,
              title: {display: true, text: "Posts in the trailing " + data.period + " period", color: TEXT},
              ticks: {color: TEXT, callback: function (value) { return number.format(value); }}}
        },
        plugins: {
          legend: {
            position: "bottom",
            labels: {color: TEXT, usePointStyle: true, generateLabels: function (chart) {
              var items = legend.labels.generateLabels(chart);
              items.forEach(function (item) { item.pointStyle = "line"; });
              if (data.windows.length) {
                items.push({text: "Shaded: windows of the headline reading that owe", fillStyle: SHADE,
                            strokeStyle: SHADE_EDGE, lineWidth: 1, pointStyle: "rect", fontColor: TEXT});
              }
              return items;
            }},
            onClick: function (event, item, owner) {  // the shading's entry is not a dataset
              if (item.datasetIndex !== undefined) { legend.onClick.call(this, event, item, owner); }
            }
          },
          tooltip: {callbacks: {
            title: function (items) { return items.length ? utc(items[0].parsed.x, 0).join(" ") + " UTC" : ""; },
            label: function (item) { return item.dataset.label + ": " + number.format(item.parsed.y); }
          }},
          annotation: {annotations: boxes}
        }
      }
    });
  }

  window.CalculatorChart = {draw: draw};
})();
