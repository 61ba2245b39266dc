// The dashboard's charts, drawn with Chart.js from the figures each table shows; the table stays beside the chart
// as the accessible reference, and without JavaScript (or Chart.js) only the tables show.
// Bars lie down (horizontal), so that course and employer names read in full instead of slanted; each bar shows
// its value in the page's number format (Danish: 13,0 %).
document.addEventListener('DOMContentLoaded', function () {
  if (!window.Chart) { return; }
  var lang = document.documentElement.lang || 'da';
  var percentFormat = new Intl.NumberFormat(lang, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  var countFormat = new Intl.NumberFormat(lang);
  window.Chart.defaults.font.size = 14;
  window.Chart.defaults.color = '#1a1a1a';

  // Writes each bar's or point's value beside it; a stacked bar's part only where it has room.
  var values = {
    id: 'values',
    afterDatasetsDraw: function (chart, args, options) {
      if (options.hidden) { return; }
      var ctx = chart.ctx;
      ctx.save();
      ctx.fillStyle = '#1a1a1a';
      ctx.font = '13px ' + window.Chart.defaults.font.family;
      chart.data.datasets.forEach(function (dataset, d) {
        var meta = chart.getDatasetMeta(d);
        if (meta.hidden) { return; }
        meta.data.forEach(function (element, i) {
          var value = dataset.data[i];
          if (value === null || value === undefined) { return; }
          var text = options.percent ? percentFormat.format(value) + '\u00a0%' : countFormat.format(value);
          var width = ctx.measureText(text).width;
          if (options.stacked) {
            if (Math.abs(element.x - element.base) < width + 6) { return; }
            ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
            ctx.fillText(text, (element.x + element.base) / 2, element.y);
          } else if (options.horizontal) {
            ctx.textAlign = 'left'; ctx.textBaseline = 'middle';
            ctx.fillText(text, element.x + 4, element.y);
          } else {
            ctx.textAlign = 'center'; ctx.textBaseline = 'bottom';
            ctx.fillText(text, element.x, element.y - 6);
          }
        });
      });
      ctx.restore();
    }
  };

  // A chart in a closed details element is drawn when it is opened: Chart.js cannot size a hidden box.
  document.querySelectorAll('[data-chart]').forEach(function (box) {
    var folded = box.closest('details');
    if (!folded || folded.open) { draw(box); return; }
    folded.addEventListener('toggle', function () {
      if (folded.open && !box.querySelector('canvas')) { draw(box); }
    });
  });

  function draw(box) {
    var canvas = document.createElement('canvas');
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', box.dataset.label);
    box.appendChild(canvas);
    // The page says what to draw: bars or lines, stacked or not, counts or per cent.
    var chart = JSON.parse(box.dataset.chart);
    var horizontal = chart.type === 'bar';
    var value = {beginAtZero: true, stacked: !!chart.stacked, grace: '10%'};
    var percent = function (v) { return countFormat.format(v) + '\u00a0%'; };
    if (chart.percent) { value.max = chart.stacked ? 100 : undefined; value.ticks = {callback: percent}; }
    var names = {stacked: !!chart.stacked, ticks: {autoSkip: false, maxRotation: 0, minRotation: 0}};
    if (!horizontal) {
      box.style.height = '340px';  // a line per course needs room; its values are in the table (too many to write)
    } else {
      // Room for every bar: the box grows with the rows and the bars in each (CSSOM, allowed by the CSP).
      var bars = chart.labels.length * (chart.stacked ? 1 : chart.datasets.length);
      box.style.height = Math.max(180, 90 + bars * 22 + chart.labels.length * 10) + 'px';
    }
    new window.Chart(canvas, {
      type: chart.type,
      data: {labels: chart.labels, datasets: chart.datasets},
      plugins: [values],
      options: {responsive: true, maintainAspectRatio: false, animation: false, locale: lang,
                indexAxis: horizontal ? 'y' : 'x',
                layout: {padding: {right: 56, top: 8}},
                plugins: {legend: {position: 'top', align: 'start'},
                          title: {display: true, text: chart.title || box.dataset.title, align: 'start',
                                  font: {size: 16, weight: 'bold'}},
                          values: {percent: !!chart.percent, stacked: !!chart.stacked, horizontal: horizontal,
                                   hidden: !horizontal}},
                scales: horizontal ? {x: value, y: names} : {x: names, y: value}}
    });
  }
});
