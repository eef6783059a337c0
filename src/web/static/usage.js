// The usage chart: cost per day, stacked by model, from the JSON block the page carries
// (#usage-chart-data: micro-dollars per day per model). Chart.js is served by gatehouse.
'use strict';
(function () {
  var block = document.getElementById('usage-chart-data');
  var canvas = document.getElementById('usage-chart');
  if (!block || !canvas || !window.Chart) return;
  var data = JSON.parse(block.textContent);
  var palette = ['#0b6bcb', '#e8710a', '#1e8e3e', '#d93025', '#9334e6', '#12b5cb', '#f9ab00', '#5f6368', '#b31412', '#188038'];
  var usd = function (micros) { var d = micros / 1e6; return '$' + d.toFixed(Math.abs(d) < 1 && d !== 0 ? 4 : 2); };
  var chart = new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels: data.labels,
      datasets: data.series.map(function (s, i) {
        return { label: s.model, data: s.micros, backgroundColor: palette[i % palette.length], stack: 'cost' };
      }),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      responsive: true,
      scales: {
        x: { stacked: true, title: { display: true, text: data.month } },
        y: { stacked: true, beginAtZero: true, ticks: { callback: function (v) { return usd(v); } } },
      },
      plugins: {
        legend: { position: 'bottom' },
        tooltip: { callbacks: { label: function (c) { return c.dataset.label + ': ' + usd(c.parsed.y); } } },
      },
    },
  });
  canvas.setAttribute('data-ready', 'true');
  window.gatehouseChart = chart;
})();
