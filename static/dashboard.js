// The dashboard's charts, drawn with Chart.js from the figures each table shows; the table stays beside the chart
// as the accessible reference, and without JavaScript (or Chart.js) only the tables show.
document.addEventListener('DOMContentLoaded', function () {
  if (!window.Chart) { return; }
  document.querySelectorAll('[data-chart]').forEach(function (box) {
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', box.dataset.label);
    box.appendChild(canvas);
    new window.Chart(canvas, {
      type: 'bar',
      data: JSON.parse(box.dataset.chart),
      options: {responsive: true, maintainAspectRatio: false, animation: false, scales: {y: {beginAtZero: true}}}
    });
  });
});
