// The dashboard's charts, drawn with Chart.js from the figures each table shows; the table stays beside the chart
// as the accessible reference, and without JavaScript (or Chart.js) only the tables show.
document.addEventListener('DOMContentLoaded', function () {
  if (!window.Chart) { return; }
  document.querySelectorAll('[data-chart]').forEach(function (box) {
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', box.dataset.label);
    box.appendChild(canvas);
    // The page says what to draw: bars or lines, stacked or not, counts or per cent.
    var chart = JSON.parse(box.dataset.chart);
    var y = {beginAtZero: true, stacked: !!chart.stacked};
    if (chart.percent) { y.max = 100; y.ticks = {callback: function (value) { return value + ' %'; }}; }
    new window.Chart(canvas, {
      type: chart.type,
      data: {labels: chart.labels, datasets: chart.datasets},
      options: {responsive: true, maintainAspectRatio: false, animation: false,
                scales: {x: {stacked: !!chart.stacked}, y: y}}
    });
  });
});
