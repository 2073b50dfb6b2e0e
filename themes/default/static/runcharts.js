/* trackreport run page: each metric's chart card (built as an SVG image, the no-JavaScript
   and print version) becomes an interactive chart fed by the run's series.js, when the card
   first comes into view. Registers trackreport.runcharts = {charts: {metric key: handle},
   ready: Promise (resolves once every card in view is enhanced), enhance(card)}. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var grid = document.querySelector(".chart-grid[data-run-id]");
  var api = tr.runcharts = { charts: {}, enhance: enhance };
  if (!grid || !tr.charts || !window.uPlot) return;
  var runId = grid.getAttribute("data-run-id");
  var payload = tr.get("series/" + runId);
  if (!payload || !payload.metrics) return;
  var runName = grid.getAttribute("data-run-name") || runId;

  function enhance(card) {
    var key = card.getAttribute("data-metric");
    var m = payload.metrics[key];
    if (key === null || !m || api.charts[key] || (m.points || (m.value || []).length) < 2) return null;
    var box = tr.el("div", { "class": "ichart-host" });
    card.appendChild(box);
    api.charts[key] = tr.charts.line(box, {
      title: key, showTitle: false,
      series: [{ label: runName, color: tr.charts.color(0), runId: runId, key: key, step: m.step, time: m.time,
        value: m.value, points: m.points, decimated: m.decimated, history: m.history }],
      x: "auto", height: 220
    });
    card.classList.add("enhanced");
    return api.charts[key];
  }

  var cards = Array.prototype.slice.call(grid.querySelectorAll(".chart-card[data-metric]"));
  if (window.IntersectionObserver) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        io.unobserve(e.target);
        enhance(e.target);
      });
    }, { rootMargin: "300px 0px" });
    cards.forEach(function (c) { io.observe(c); });
  } else {
    cards.forEach(enhance);
  }
})();
