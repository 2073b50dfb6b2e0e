/* trackreport charts: interactive metric charts on uPlot (vendor/uplot, loaded before this
   file), for the run page and the compare page. Classic script; registers trackreport.charts.

   trackreport.charts.line(container, options) → handle
     options = {
       title: "val/loss",                 // shown above the chart and in exports (text only)
       series: [{label, color, runId, key, step: [], time: [], value: [],
                 start,                  // optional: the run's start (ms) for relative time
                 decimated, history,     // series.js fields: full resolution file to load on
                 historyName}],          //   zoom (default name "history/<runId>/<key>")
       x: "auto" | "step" | "time" | "relative",   // auto: relative time when more than half of
                                                   //   the points share their step, else step
       logY: false, smoothing: 0 .. 0.99, height: 240, toolbar: true,
       showTitle: true              // false: the title names the exports (and the toolbar, for
     }                              //   screen readers) but is not shown: the page has a heading
     values are numbers or the strings "NaN", "Infinity", "-Infinity" (data file format).
   handle = {update(options) (= setData), destroy(), toSVG() → string, toPNG(cb(blob)),
             state() → {x, xMode, logY, smoothing, zoom, xRange, yRange, hidden, ...},
             resetZoom(), setHidden(i, bool), ready() → Promise (drawn: uPlot lays out in a
             microtask, so toSVG/state right after line()/update() wait for it), root, uplot()}
   trackreport.charts.bars(container, {title, bars: [{label, value, color, runId}]}) → handle
     with the same update/destroy/toSVG/toPNG.
   trackreport.charts.color(i): the i-th series colour (CSS variables --chart-1 .. --chart-10
     override the palette), readable on the light and the dark theme.

   Non-finite values are never dropped silently: NaN is a dashed red line across the plot,
   +∞ a red tick at the top edge, −∞ at the bottom, and a note under the chart counts them.
   On a log scale, values ≤ 0 cannot be drawn: they get a grey tick at the bottom edge and
   the note counts them. Store text reaches the DOM through textContent only. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var SVGNS = "http://www.w3.org/2000/svg";
  // medium-luminance colours: readable on white (#fff) and on the dark card (#171b22)
  var PALETTE = ["#3b82f6", "#f59e0b", "#10b981", "#a855f7", "#ec4899",
    "#06b6d4", "#84cc16", "#f97316", "#6366f1", "#14b8a6"];
  var live = [];

  function cssVar(name, dflt) {
    var v = window.getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || dflt;
  }
  function color(i) {
    var n = PALETTE.length, k = ((i % n) + n) % n;
    return cssVar("--chart-" + (k + 1), PALETTE[k]);
  }
  function theme() {
    return { fg: cssVar("--fg", "#1d2330"), muted: cssVar("--muted", "#5f6b7d"),
      border: cssVar("--border", "#e2e6ed"), card: cssVar("--card", "#ffffff"),
      bad: cssVar("--bad", "#b42318"), font: cssVar("--sans", "sans-serif") };
  }

  // ---- formatting ----
  function fmtNum(v) {
    if (v === null || v === undefined) return "—";
    if (v !== v) return "NaN";
    if (v === Infinity) return "+∞";
    if (v === -Infinity) return "−∞";
    var a = Math.abs(v);
    if (a !== 0 && (a >= 1e6 || a < 1e-4)) return v.toExponential(4).replace(/\.?0+e/, "e");
    return String(Number(v.toPrecision(7)));
  }
  var dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit" });
  function fmtTime(ms) {
    var d = window.trackreport.date(ms);
    return d ? dateFmt.format(d) : ms === null || ms === undefined ? "—" : String(ms);
  }
  function fmtDuration(sec) {
    var neg = sec < 0, s = Math.abs(sec), out;
    if (s < 60) out = (s < 10 && s % 1 ? s.toFixed(1) : Math.round(s)) + "s";
    else if (s < 3600) out = Math.floor(s / 60) + "m " + pad(Math.round(s % 60)) + "s";
    else if (s < 86400 * 2) out = Math.floor(s / 3600) + "h " + pad(Math.floor(s % 3600 / 60)) + "m";
    else out = Math.floor(s / 86400) + "d " + pad(Math.floor(s % 86400 / 3600)) + "h";
    return (neg ? "−" : "") + out;
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // ---- linear axes for any finite values ----
  // uPlot's range and ticks serve values of ordinary size; past 1e31 (its largest step) its
  // axis has no ticks, tiny values (1e-20, 1e-300) get no ticks or the range 0..100 (the line flat on the
  // floor), and a spread far below the values (1e12 + 1) the range 0..2e12. There the range
  // and the ticks are computed here; elsewhere they are uPlot's.
  function plainScale(lo, hi) {
    var big = Math.max(Math.abs(lo), Math.abs(hi)), span = hi - lo;
    return big < 1e15 && (big === 0 || big >= 1e-6) && (span === 0 || span >= big * 1e-9);
  }
  function linRange(_u, lo, hi) {
    if (lo === null || hi === null || plainScale(lo, hi)) return window.uPlot.rangeNum(lo, hi, 0.1, true);
    var pad = hi * 0.1 - lo * 0.1 || Math.abs(lo) * 0.1;  // never hi - lo: ±1e308 would overflow
    var min = Math.max(-Number.MAX_VALUE, lo - pad), max = Math.min(Number.MAX_VALUE, hi + pad);
    return [lo >= 0 && min < 0 ? 0 : min, hi <= 0 && max > 0 ? 0 : max];
  }
  var INCRS = [];  // uPlot's steps (1, 2, 2.5, 5 × 10^-32 … 10^31), on to 10^307
  for (var e10 = -32; e10 < 308; e10++) [1, 2, 2.5, 5].forEach(function (m) { INCRS.push(Number(m + "e" + e10)); });
  function linSplits(u, _i, min, max, incr) {
    if (!(incr > 0) || !plainScale(min, max)) {
      var px = u.bbox.height / (window.uPlot.pxRatio || 1);
      var raw = (max / 2 - min / 2) * 2 / Math.max(2, Math.floor(px / 40));  // a tick per ~40 px
      var p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
      incr = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
      if (!(incr > 0) || !isFinite(incr)) return [min, max];
    }
    var out = [], first = Math.ceil(min / incr - 1e-9);
    for (var k = 0; k < 100; k++) {
      var v = Number(((first + k) * incr).toPrecision(15));
      if (v > max) break;
      out.push(v === 0 ? 0 : v);
    }
    return out;
  }
  /** Tick labels that tell the ticks apart (1e9 + 0.25 is not "1e+9"). */
  function tickLabels(splits, fmt) {
    var out = splits.map(function (v) { return v === null ? "" : fmt(v); });
    for (var p = 7; p <= 16; p += 3) {
      var seen = {}, dup = out.some(function (s) { return s && (seen[s] ? true : !(seen[s] = true)); });
      if (!dup) break;
      out = splits.map(function (v) { return v === null ? "" : String(Number(v.toPrecision(p))); });
    }
    return out;
  }
  function xmlEsc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function fileName(title, ext) {
    return (String(title || "chart").replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^_+|_+$/g, "") || "chart") + "." + ext;
  }

  /** Exponential moving average with TensorBoard's debiasing (the first points are not pulled
      towards 0); non-finite values pass through and do not enter the average. */
  function smooth(values, w) {
    var out = new Array(values.length), last = 0, n = 0;
    for (var i = 0; i < values.length; i++) {
      var v = values[i];
      if (v === null || !isFinite(v)) { out[i] = v; continue; }
      last = last * w + (1 - w) * v;
      n++;
      out[i] = w ? last / (1 - Math.pow(w, n)) : v;
    }
    return out;
  }

  function download(blob, name) {
    var url = URL.createObjectURL(blob);
    var a = tr.el("a", { href: url, download: name, hidden: "hidden" });
    document.body.appendChild(a);
    a.click();
    window.setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 10000);
  }

  /** An SVG string drawn onto a canvas (as a data: image, allowed by the page's CSP), as PNG. */
  function svgToPNG(svg, width, height, cb) {
    var img = new Image(), scale = Math.max(2, window.devicePixelRatio || 1);
    img.onload = function () {
      var c = document.createElement("canvas");
      c.width = Math.round(width * scale);
      c.height = Math.round(height * scale);
      var ctx = c.getContext("2d");
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, width, height);
      c.toBlob(function (blob) { cb(blob); }, "image/png");
    };
    img.onerror = function () { cb(null); };
    img.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg);
  }

  /** Up to `target` SVG points per series: per pixel column its first, lowest, highest, last. */
  function thin(pts, target) {
    if (pts.length <= target * 2) return pts;
    var out = [], col = null, first, lo, hi, last;
    function flush() {
      if (col === null) return;
      [first, lo, hi, last].sort(function (a, b) { return a[0] - b[0]; }).forEach(function (p, i, arr) {
        if (!i || p !== arr[i - 1]) out.push(p);
      });
    }
    pts.forEach(function (p) {
      var c = Math.round(p[0]);
      if (c !== col) { flush(); col = c; first = lo = hi = last = p; return; }
      if (p[1] < lo[1]) lo = p;
      if (p[1] > hi[1]) hi = p;
      last = p;
    });
    flush();
    return out;
  }

  // ---- the data a chart is drawn from ----

  function prepSeries(s, i) {
    var n = (s.value || []).length, step = s.step || [], time = s.time || [];
    var value = new Array(n);
    for (var j = 0; j < n; j++) value[j] = tr.num(s.value[j]);
    var t0 = s.start;
    if (t0 === undefined || t0 === null) {
      t0 = Infinity;
      for (j = 0; j < time.length; j++) if (time[j] < t0) t0 = time[j];
      if (t0 === Infinity) t0 = 0;
    }
    return { label: s.label === undefined || s.label === null ? "series " + (i + 1) : String(s.label),
      color: s.color || color(i), runId: s.runId, key: s.key, step: step, time: time, value: value,
      start: t0, decimated: !!s.decimated, history: s.history || null,
      historyName: s.historyName || (s.runId && s.key !== undefined ? "history/" + s.runId + "/" + s.key : null),
      full: !s.decimated };
  }

  // "auto", as the build-time charts decide (sitegen/charts/layout.py): when more than half
  // of the chart's points share their step with another point of the same series (a metric
  // logged without step=, or several times per step), time since the first point; else step.
  function resolveX(mode, series) {
    if (mode === "step" || mode === "time" || mode === "relative") return mode;
    var total = 0, shared = 0;
    series.forEach(function (s) {
      var counts = new Map();
      s.step.forEach(function (st) { counts.set(st, (counts.get(st) || 0) + 1); });
      s.step.forEach(function (st) { if (counts.get(st) > 1) shared++; });
      total += s.step.length;
    });
    return shared * 2 > total ? "relative" : "step";
  }

  function xsOf(s, xm) {
    if (xm === "step") return s.step;
    if (xm === "time") return s.time;
    return s.time.map(function (t) { return (t - s.start) / 1000; });
  }

  /** Per series: its points ordered by x (logged order among equal x), with what is drawn. */
  function columns(series, xm, logY, w) {
    return series.map(function (s) {
      var xs = xsOf(s, xm), n = Math.min(xs.length, s.value.length), ord = [];
      for (var i = 0; i < n; i++) if (xs[i] !== null && isFinite(xs[i])) ord.push(i);
      var sorted = true;
      for (i = 1; i < ord.length && sorted; i++) sorted = xs[ord[i]] >= xs[ord[i - 1]];
      if (!sorted) ord.sort(function (a, b) { return xs[a] - xs[b] || a - b; });
      var x = ord.map(function (i) { return xs[i]; });
      var v = ord.map(function (i) { return s.value[i]; });
      var sm = w > 0 ? smooth(v, w) : v;
      var draw = function (y) { return y === null || !isFinite(y) || (logY && y <= 0) ? null : y; };
      var marks = { nan: [], pos: [], neg: [], nonpos: [] };
      v.forEach(function (y, k) {
        if (y !== y) marks.nan.push(x[k]);
        else if (y === Infinity) marks.pos.push(x[k]);
        else if (y === -Infinity) marks.neg.push(x[k]);
        else if (logY && y <= 0) marks.nonpos.push(x[k]);
      });
      return { x: x, ord: ord, raw: v, y: v.map(draw), ys: sm.map(draw), smoothed: sm, marks: marks };
    });
  }

  /** uPlot's aligned table [x, raw0, smooth0, raw1, smooth1, ...]: one row per distinct x
      across series, repeated x within a series kept as rows of their own. */
  function align(cols) {
    if (cols.length === 1) return [cols[0].x, cols[0].y, cols[0].ys];
    var X = [], Y = [], ptr = cols.map(function () { return 0; }), k, m;
    cols.forEach(function () { Y.push([], []); });
    for (;;) {
      m = Infinity;
      for (k = 0; k < cols.length; k++) if (ptr[k] < cols[k].x.length && cols[k].x[ptr[k]] < m) m = cols[k].x[ptr[k]];
      if (m === Infinity) break;
      X.push(m);
      for (k = 0; k < cols.length; k++) {
        if (ptr[k] < cols[k].x.length && cols[k].x[ptr[k]] === m) {
          Y[2 * k].push(cols[k].y[ptr[k]]);
          Y[2 * k + 1].push(cols[k].ys[ptr[k]]);
          ptr[k]++;
        } else { Y[2 * k].push(null); Y[2 * k + 1].push(null); }
      }
    }
    return [X].concat(Y);
  }

  function withAlpha(c, a) {
    var m = /^#([0-9a-f]{6})$/i.exec(c);
    if (!m) return c;
    var n = parseInt(m[1], 16);
    return "rgba(" + (n >> 16) + "," + (n >> 8 & 255) + "," + (n & 255) + "," + a + ")";
  }

  // ---- line charts ----

  var X_LABELS = { step: "Step", time: "Wall time", relative: "Relative time" };

  function line(container, options) {
    if (!window.uPlot) throw new Error("trackreport.charts needs vendor/uplot/uPlot.iife.min.js");
    var opt = {}, series = [], u = null, cols = [], xm = "step", zoom = null, destroyed = false;
    var hidden = [], extent = [0, 1], logOff = false, uid = "ichart-" + Math.random().toString(36).slice(2, 9);
    var root = tr.el("div", { "class": "ichart" });
    var head = tr.el("div", { "class": "ichart-head" });
    var titleEl = tr.el("div", { "class": "ichart-title", id: uid + "-title" });
    var bar = tr.el("div", { "class": "ichart-toolbar", role: "group", "aria-labelledby": uid + "-title" });
    var plot = tr.el("div", { "class": "ichart-plot" });
    var tip = tr.el("div", { "class": "ichart-tip", "aria-hidden": "true", hidden: "hidden" });
    var legend = tr.el("ul", { "class": "ichart-legend", "aria-label": "Series (toggle to show or hide)" });
    var note = tr.el("p", { "class": "ichart-note", "aria-live": "polite" });
    head.appendChild(titleEl);
    head.appendChild(bar);
    root.appendChild(head);
    root.appendChild(plot);
    plot.appendChild(tip);
    root.appendChild(legend);
    root.appendChild(note);

    // toolbar: native controls, each with a label (keyboard and screen readers work as usual)
    var xSel = tr.el("select", { "class": "ichart-x", id: uid + "-x" });
    [["auto", "Auto"], ["step", "Step"], ["time", "Wall time"], ["relative", "Relative time"]].forEach(function (o) {
      xSel.appendChild(tr.el("option", { value: o[0] }, o[1]));
    });
    var logBox = tr.el("input", { type: "checkbox", "class": "ichart-log", id: uid + "-log" });
    var smoothIn = tr.el("input", { type: "range", min: "0", max: "0.99", step: "0.01", "class": "ichart-smooth",
      id: uid + "-smooth" });
    var smoothOut = tr.el("output", { "for": uid + "-smooth", "class": "ichart-smooth-value" });
    var resetBtn = tr.el("button", { type: "button", "class": "ichart-reset", title: "Reset zoom (or double-click the chart)" }, "Reset zoom");
    var svgBtn = tr.el("button", { type: "button", "class": "ichart-svg", title: "Download this view as SVG" }, "SVG");
    var pngBtn = tr.el("button", { type: "button", "class": "ichart-png", title: "Download this view as PNG" }, "PNG");
    function labelled(text, input, after) {
      var l = tr.el("label", { "for": input.id });
      l.appendChild(document.createTextNode(text + " "));
      l.appendChild(input);
      if (after) l.appendChild(after);
      return l;
    }
    bar.appendChild(labelled("X axis", xSel));
    var logLabel = tr.el("label", { "for": logBox.id });
    logLabel.appendChild(logBox);
    logLabel.appendChild(document.createTextNode(" Log scale"));
    bar.appendChild(logLabel);
    bar.appendChild(labelled("Smoothing", smoothIn, smoothOut));
    bar.appendChild(resetBtn);
    bar.appendChild(svgBtn);
    bar.appendChild(pngBtn);

    xSel.addEventListener("change", function () { handle.update({ x: xSel.value }); });
    logBox.addEventListener("change", function () { handle.update({ logY: logBox.checked }); });
    var smoothFrame = 0;
    smoothIn.addEventListener("input", function () {
      smoothOut.textContent = Number(smoothIn.value).toFixed(2);
      if (smoothFrame) return;
      smoothFrame = window.requestAnimationFrame(function () {
        smoothFrame = 0;
        handle.update({ smoothing: Number(smoothIn.value) });
      });
    });
    resetBtn.addEventListener("click", function () { handle.resetZoom(); });
    svgBtn.addEventListener("click", function () {
      download(new Blob([handle.toSVG()], { type: "image/svg+xml" }), fileName(opt.title, "svg"));
    });
    pngBtn.addEventListener("click", function () {
      handle.toPNG(function (blob) { if (blob) download(blob, fileName(opt.title, "png")); });
    });
    container.appendChild(root);

    function width() { return Math.max(200, Math.floor(plot.clientWidth || container.clientWidth || 600)); }

    function build() {
      var th = theme(), keep = zoom;
      var w = Math.min(0.99, Math.max(0, Number(opt.smoothing) || 0));
      xm = resolveX(opt.x || "auto", series);
      logOff = false;
      cols = columns(series, xm, !!opt.logY, w);
      if (opt.logY && !cols.some(function (c) { return c.y.some(function (y) { return y !== null; }); })) {
        logOff = true;   // nothing positive to draw: a log scale would have no range
        cols = columns(series, xm, false, w);
      }
      var data = align(cols);
      extent = data[0].length ? [data[0][0], data[0][data[0].length - 1]] : [0, 1];
      var useLog = opt.logY && !logOff;
      var useries = [{ label: X_LABELS[xm] }];
      series.forEach(function (s, i) {
        var show = !hidden[i];
        useries.push({ label: s.label, stroke: w > 0 ? withAlpha(s.color, 0.28) : s.color, width: w > 0 ? 1 : 1.5,
          show: show, spanGaps: true, points: { show: false } });
        useries.push({ label: s.label + " (smoothed)", stroke: s.color, width: 1.5, show: show && w > 0,
          spanGaps: true, points: { show: false } });
      });
      var axis = { stroke: th.muted, grid: { stroke: withAlpha(th.muted, 0.18) || th.border, width: 1 },
        ticks: { stroke: withAlpha(th.muted, 0.3) || th.border, width: 1 }, font: "11px " + th.font, labelFont: "12px " + th.font };
      var xAxis = Object.assign({}, axis, { label: X_LABELS[xm], labelSize: 16, size: xm === "time" ? 44 : 30 });
      if (xm === "relative") xAxis.values = function (_u, splits) { return splits.map(fmtDuration); };
      var yAxis = Object.assign({}, axis, {
        splits: useLog ? undefined : linSplits, incrs: useLog ? undefined : INCRS,
        values: function (_u, splits) { return tickLabels(splits, fmtNum); },
        size: function (_u, values) {
          var m = 0;
          (values || []).forEach(function (s) { if (s && s.length > m) m = s.length; });
          return Math.max(40, m * 7 + 14);
        }
      });
      var opts = {
        width: width(), height: Number(opt.height) || 240, ms: 1,
        scales: { x: { time: xm === "time" }, y: useLog ? { distr: 3, log: 10 } : { range: linRange } },
        series: useries, axes: [xAxis, yAxis], legend: { show: false },
        cursor: { drag: { x: true, y: false, setScale: true }, points: { show: false } },
        hooks: { draw: [drawMarks], setCursor: [onCursor], setScale: [onScale], ready: [function () { readyDone(handle); }] }
      };
      if (u) u.destroy();
      u = null;
      readyP = new Promise(function (resolve) { readyDone = resolve; });
      if (!data[0].length) {
        note.textContent = "No points to draw.";
        readyDone(handle);
        return;
      }
      building = true;
      u = new window.uPlot(opts, data, plot);
      building = false;
      if (keep && keep.xm === xm) u.setScale("x", { min: keep.min, max: keep.max });
      else zoom = null;
      syncControls();
      drawLegend();
      writeNote();
    }
    var building = false, readyP = null, readyDone = null;

    function drawMarks(uu) {
      var ctx = uu.ctx, b = uu.bbox, r = window.uPlot.pxRatio || 1, th = theme();
      var lo = uu.scales.x.min, hi = uu.scales.x.max, tick = 8 * r;
      ctx.save();
      ctx.beginPath();
      ctx.rect(b.left, b.top, b.width, b.height);
      ctx.clip();
      cols.forEach(function (c, i) {
        if (hidden[i]) return;
        var at = function (x) { return x >= lo && x <= hi ? uu.valToPos(x, "x", true) : null; };
        ctx.lineWidth = 2 * r;
        ctx.strokeStyle = th.bad;
        ctx.setLineDash([]);
        c.marks.pos.forEach(function (x) {
          var p = at(x);
          if (p !== null) { ctx.beginPath(); ctx.moveTo(p, b.top); ctx.lineTo(p, b.top + tick); ctx.stroke(); }
        });
        c.marks.neg.forEach(function (x) {
          var p = at(x);
          if (p !== null) { ctx.beginPath(); ctx.moveTo(p, b.top + b.height); ctx.lineTo(p, b.top + b.height - tick); ctx.stroke(); }
        });
        ctx.globalAlpha = 0.6;
        ctx.lineWidth = 1 * r;
        ctx.setLineDash([4 * r, 3 * r]);
        c.marks.nan.forEach(function (x) {
          var p = at(x);
          if (p !== null) { ctx.beginPath(); ctx.moveTo(p, b.top); ctx.lineTo(p, b.top + b.height); ctx.stroke(); }
        });
        ctx.setLineDash([]);
        ctx.globalAlpha = 1;
        ctx.strokeStyle = th.muted;
        ctx.lineWidth = 1.5 * r;
        c.marks.nonpos.forEach(function (x) {
          var p = at(x);
          if (p !== null) { ctx.beginPath(); ctx.moveTo(p, b.top + b.height); ctx.lineTo(p, b.top + b.height - tick / 2); ctx.stroke(); }
        });
      });
      ctx.restore();
    }

    function nearest(xs, x) {
      var lo = 0, hi = xs.length - 1;
      if (hi < 0) return -1;
      while (hi - lo > 1) {
        var mid = (lo + hi) >> 1;
        if (xs[mid] < x) lo = mid; else hi = mid;
      }
      return Math.abs(xs[lo] - x) <= Math.abs(xs[hi] - x) ? lo : hi;
    }

    function onCursor(uu) {
      var left = uu.cursor.left;
      if (left === undefined || left === null || left < 0) { tip.hidden = true; return; }
      var x = uu.posToVal(left, "x");
      while (tip.firstChild) tip.removeChild(tip.firstChild);
      var rows = 0, w = Number(opt.smoothing) || 0;
      cols.forEach(function (c, i) {
        if (hidden[i] || !c.x.length) return;
        var k = nearest(c.x, x), s = series[i], j = c.ord[k];
        var box = tr.el("div", { "class": "ichart-tip-row" });
        var name = tr.el("div", { "class": "ichart-tip-name" });
        var sw = tr.el("span", { "class": "ichart-swatch" });
        sw.style.background = s.color;
        name.appendChild(sw);
        name.appendChild(document.createTextNode(s.label));
        box.appendChild(name);
        var val = "value " + fmtNum(c.raw[k]);
        if (w > 0 && isFinite(c.raw[k])) val += " (smoothed " + fmtNum(c.smoothed[k]) + ")";
        box.appendChild(tr.el("div", { "class": "ichart-tip-value" }, val));
        box.appendChild(tr.el("div", { "class": "ichart-tip-step" }, "step " + fmtNum(s.step[j])));
        var t = s.time[j];
        box.appendChild(tr.el("div", { "class": "ichart-tip-time" },
          fmtTime(t) + (t !== undefined ? " (+" + fmtDuration((t - s.start) / 1000) + ")" : "")));
        tip.appendChild(box);
        rows++;
      });
      tip.hidden = !rows;
      if (!rows) return;
      var ob = uu.over.getBoundingClientRect(), pb = plot.getBoundingClientRect();
      var px = ob.left - pb.left + left, py = ob.top - pb.top + (uu.cursor.top || 0);
      var tw = tip.offsetWidth, th = tip.offsetHeight;
      tip.style.left = Math.max(0, px + 14 + tw > pb.width ? px - 14 - tw : px + 14) + "px";
      tip.style.top = Math.max(0, Math.min(py + 10, pb.height - th)) + "px";
    }

    function onScale(uu, key) {
      if (key !== "x" || building) return;
      var mn = uu.scales.x.min, mx = uu.scales.x.max, span = (extent[1] - extent[0]) || 1;
      var zoomed = mn > extent[0] + span * 1e-9 || mx < extent[1] - span * 1e-9;
      zoom = zoomed ? { xm: xm, min: mn, max: mx } : null;
      resetBtn.disabled = !zoom;
      if (zoom) loadFull();
    }

    function loadFull() {
      series.forEach(function (s) {
        if (s.full || !s.history || !s.historyName || s.loading || !tr.load) return;
        s.loading = true;
        tr.load(s.history, s.historyName).then(function (full) {
          s.loading = false;
          if (destroyed) return;
          s.step = full.step || [];
          s.time = full.time || [];
          s.value = (full.value || []).map(tr.num);
          s.full = true;
          build();
        }, function (err) {
          s.loading = false;
          s.loadError = String(err && err.message || err);
          writeNote();
        });
      });
    }

    function syncControls() {
      var t = opt.title === undefined || opt.title === null ? "" : String(opt.title);
      titleEl.textContent = t || "Chart";
      titleEl.className = "ichart-title" + (t && opt.showTitle !== false ? "" : " sr-only");
      bar.hidden = opt.toolbar === false;
      xSel.value = opt.x || "auto";
      xSel.options[0].textContent = "Auto (" + X_LABELS[resolveX("auto", series)].toLowerCase() + ")";
      logBox.checked = !!opt.logY;
      smoothIn.value = String(Number(opt.smoothing) || 0);
      smoothOut.textContent = (Number(opt.smoothing) || 0).toFixed(2);
      resetBtn.disabled = !zoom;
    }

    function drawLegend() {
      while (legend.firstChild) legend.removeChild(legend.firstChild);
      series.forEach(function (s, i) {
        var li = tr.el("li");
        var b = tr.el("button", { type: "button", "aria-pressed": hidden[i] ? "false" : "true",
          title: (hidden[i] ? "Show " : "Hide ") + s.label, "data-series": String(i) });
        var sw = tr.el("span", { "class": "ichart-swatch" });
        sw.style.background = s.color;
        b.appendChild(sw);
        b.appendChild(document.createTextNode(s.label));
        b.addEventListener("click", function () { handle.setHidden(i, !hidden[i]); });
        li.appendChild(b);
        legend.appendChild(li);
      });
    }

    function writeNote() {
      var parts = [], nan = 0, pos = 0, neg = 0, nonpos = 0, shown = 0, total = 0, partial = false;
      cols.forEach(function (c, i) {
        nan += c.marks.nan.length;
        pos += c.marks.pos.length;
        neg += c.marks.neg.length;
        nonpos += c.marks.nonpos.length;
        if (!series[i].full) partial = true;
        shown += c.x.length;
        total += series[i].points || c.x.length;
      });
      var bad = [];
      if (nan) bad.push(nan + " NaN (dashed red lines)");
      if (pos) bad.push(pos + " +∞ (red ticks at the top)");
      if (neg) bad.push(neg + " −∞ (red ticks at the bottom)");
      if (bad.length) parts.push("Not finite: " + bad.join(", ") + ".");
      if (nonpos) parts.push(nonpos + " value" + (nonpos > 1 ? "s" : "") + " ≤ 0 not drawn on the log scale (grey ticks at the bottom).");
      if (logOff) parts.push("Log scale needs positive values: none here, shown linear.");
      if (partial) parts.push("Showing " + shown.toLocaleString() + " of " + total.toLocaleString() + " points; zoom in for full resolution.");
      series.forEach(function (s) { if (s.loadError) parts.push("Full resolution unavailable: " + s.loadError); });
      note.textContent = parts.join(" ");
      note.hidden = !parts.length;
      root.setAttribute("data-nonfinite", String(nan + pos + neg));
    }

    function svg() {
      if (!u) return '<svg xmlns="' + SVGNS + '" width="10" height="10"></svg>';
      var th = theme(), r = window.uPlot.pxRatio || 1, w = Number(opt.smoothing) || 0;
      var W = u.width, top = opt.title ? 26 : 6, PH = u.height;
      var b = { left: u.bbox.left / r, top: u.bbox.top / r + top, width: u.bbox.width / r, height: u.bbox.height / r };
      var vis = series.map(function (s, i) { return !hidden[i]; });
      var noteText = !note.hidden && note.textContent ? note.textContent : "";
      var legendH = 20 * Math.max(1, Math.ceil(series.length / 3)) + (noteText ? 18 : 0) + 8;
      var H = top + PH + legendH, out = [], num = function (v) { return Math.round(v * 100) / 100; };
      out.push('<svg xmlns="' + SVGNS + '" width="' + W + '" height="' + H + '" viewBox="0 0 ' + W + " " + H +
        '" font-family="' + xmlEsc(th.font) + '" font-size="11">');
      out.push('<rect width="100%" height="100%" fill="' + xmlEsc(th.card) + '"/>');
      if (opt.title) out.push('<text x="' + W / 2 + '" y="18" text-anchor="middle" font-size="14" font-weight="600" fill="' +
        xmlEsc(th.fg) + '">' + xmlEsc(opt.title) + "</text>");
      out.push('<defs><clipPath id="plot"><rect x="' + num(b.left) + '" y="' + num(b.top) + '" width="' + num(b.width) +
        '" height="' + num(b.height) + '"/></clipPath></defs>');
      // axes: the ticks and labels uPlot shows on screen
      var xs = axisTicks(0), ys = axisTicks(1);
      xs.forEach(function (t) {
        var p = num(b.left + u.valToPos(t[0], "x"));
        out.push('<line x1="' + p + '" x2="' + p + '" y1="' + num(b.top) + '" y2="' + num(b.top + b.height) +
          '" stroke="' + xmlEsc(th.muted) + '" stroke-opacity="0.18"/>');
        if (t[1]) out.push('<text x="' + p + '" y="' + num(b.top + b.height + 16) + '" text-anchor="middle" fill="' +
          xmlEsc(th.muted) + '">' + t[1].split("\n").map(function (line, k) {
          return k ? '<tspan x="' + p + '" dy="13">' + xmlEsc(line) + "</tspan>" : xmlEsc(line);
        }).join("") + "</text>");
      });
      ys.forEach(function (t) {
        var p = num(b.top + u.valToPos(t[0], "y"));
        out.push('<line x1="' + num(b.left) + '" x2="' + num(b.left + b.width) + '" y1="' + p + '" y2="' + p +
          '" stroke="' + xmlEsc(th.muted) + '" stroke-opacity="0.18"/>');
        if (t[1]) out.push('<text x="' + num(b.left - 6) + '" y="' + num(p + 4) + '" text-anchor="end" fill="' +
          xmlEsc(th.muted) + '">' + xmlEsc(t[1]) + "</text>");
      });
      out.push('<text class="x-label" x="' + num(b.left + b.width / 2) + '" y="' + num(top + PH - 4) +
        '" text-anchor="middle" font-size="12" fill="' + xmlEsc(th.muted) + '">' + xmlEsc(X_LABELS[xm]) + "</text>");
      if (opt.logY && !logOff) out.push('<text x="' + num(b.left) + '" y="' + num(b.top - 4) + '" font-size="10" fill="' +
        xmlEsc(th.muted) + '">log scale</text>');
      out.push('<rect x="' + num(b.left) + '" y="' + num(b.top) + '" width="' + num(b.width) + '" height="' + num(b.height) +
        '" fill="none" stroke="' + xmlEsc(th.border) + '"/>');
      // lines, in the current view
      out.push('<g clip-path="url(#plot)" fill="none" stroke-linejoin="round">');
      var lo = u.scales.x.min, hi = u.scales.x.max;
      cols.forEach(function (c, i) {
        if (!vis[i]) return;
        var s = series[i];
        var path = function (ys, stroke, width, opacity) {
          var pts = [];
          for (var k = 0; k < c.x.length; k++) {
            var last = k + 1 < c.x.length && c.x[k + 1] >= lo, first = k > 0 && c.x[k - 1] <= hi;
            if ((c.x[k] < lo && !last) || (c.x[k] > hi && !first) || ys[k] === null) continue;
            pts.push([b.left + u.valToPos(c.x[k], "x"), b.top + u.valToPos(ys[k], "y")]);
          }
          pts = thin(pts, Math.ceil(b.width));
          if (!pts.length) return;
          out.push('<path d="M' + pts.map(function (p) { return num(p[0]) + " " + num(p[1]); }).join("L") +
            '" stroke="' + xmlEsc(stroke) + '" stroke-width="' + width + '"' + (opacity < 1 ? ' stroke-opacity="' + opacity + '"' : "") + "/>");
        };
        if (w > 0) { path(c.y, s.color, 1, 0.28); path(c.ys, s.color, 1.5, 1); } else path(c.y, s.color, 1.5, 1);
        var mark = function (list, y1, y2, stroke, dash) {
          list.forEach(function (x) {
            if (x < lo || x > hi) return;
            var p = num(b.left + u.valToPos(x, "x"));
            out.push('<line x1="' + p + '" x2="' + p + '" y1="' + num(y1) + '" y2="' + num(y2) + '" stroke="' +
              xmlEsc(stroke) + '" stroke-width="' + (dash ? 1 : 2) + '"' + (dash ? ' stroke-dasharray="4 3" stroke-opacity="0.6"' : "") + "/>");
          });
        };
        mark(c.marks.nan, b.top, b.top + b.height, th.bad, true);
        mark(c.marks.pos, b.top, b.top + 8, th.bad, false);
        mark(c.marks.neg, b.top + b.height - 8, b.top + b.height, th.bad, false);
        mark(c.marks.nonpos, b.top + b.height - 4, b.top + b.height, th.muted, false);
      });
      out.push("</g>");
      // legend
      var colW = W / 3;
      series.forEach(function (s, i) {
        var lx = 10 + (i % 3) * colW, ly = top + PH + 14 + Math.floor(i / 3) * 20;
        out.push('<g class="legend"' + (vis[i] ? "" : ' opacity="0.4"') + '><rect x="' + num(lx) + '" y="' + (ly - 8) +
          '" width="12" height="4" rx="1" fill="' + xmlEsc(s.color) + '"/><text x="' + num(lx + 18) + '" y="' + ly +
          '" fill="' + xmlEsc(th.fg) + '">' + xmlEsc(s.label) + (vis[i] ? "" : " (hidden)") + "</text></g>");
      });
      if (noteText) out.push('<text x="10" y="' + (H - 8) + '" font-size="10" fill="' + xmlEsc(th.muted) + '">' +
        xmlEsc(noteText) + "</text>");
      out.push("</svg>");
      return out.join("");
    }

    /** [[value, label]] of axis i as on screen (uPlot's computed splits), else 5 even ticks. */
    function axisTicks(i) {
      var a = u.axes[i], key = i ? "y" : "x", sc = u.scales[key];
      if (a && a._splits && a._values) {
        var out = [];
        a._splits.forEach(function (v, k) {
          if (v !== null && v >= sc.min && v <= sc.max) out.push([v, a._values[k] === null ? "" : String(a._values[k])]);
        });
        return out;
      }
      var res = [];
      for (var k = 0; k <= 4; k++) {
        var v = sc.min + (sc.max - sc.min) * k / 4;
        res.push([v, i === 0 && xm === "time" ? fmtTime(v) : i === 0 && xm === "relative" ? fmtDuration(v) : fmtNum(v)]);
      }
      return res;
    }

    var handle = {
      root: root,
      update: function (o) {
        var old = opt;
        opt = Object.assign({}, opt, o || {});
        if (o && o.series) {
          series = o.series.map(prepSeries);
          series.forEach(function (s, i) { s.points = o.series[i].points; });
          var same = !!old.series && old.series.length === o.series.length;  // the same runs: keep what was hidden
          hidden = series.map(function (_s, i) { return same && !!hidden[i]; });
          zoom = null;
        }
        if (o && "x" in o && o.x !== old.x) zoom = null;
        build();
        return handle;
      },
      destroy: function () {
        destroyed = true;
        if (u) u.destroy();
        u = null;
        if (ro) ro.disconnect();
        root.remove();
        live = live.filter(function (h) { return h !== handle; });
      },
      resetZoom: function () {
        if (u) u.setScale("x", { min: extent[0], max: extent[1] });
      },
      setHidden: function (i, hide) {
        hidden[i] = !!hide;
        var w = Number(opt.smoothing) || 0;
        if (u) {
          u.setSeries(1 + 2 * i, { show: !hide });
          u.setSeries(2 + 2 * i, { show: !hide && w > 0 });
        }
        drawLegend();
      },
      toSVG: svg,
      toPNG: function (cb) {
        var text = svg(), m = /width="([\d.]+)" height="([\d.]+)"/.exec(text);
        svgToPNG(text, Number(m[1]), Number(m[2]), cb);
      },
      state: function () {
        return { x: xm, xMode: opt.x || "auto", logY: !!opt.logY && !logOff, smoothing: Number(opt.smoothing) || 0,
          zoom: zoom ? { min: zoom.min, max: zoom.max } : null, extent: extent.slice(),
          xRange: u ? [u.scales.x.min, u.scales.x.max] : null, yRange: u ? [u.scales.y.min, u.scales.y.max] : null,
          hidden: series.map(function (_s, i) { return !!hidden[i]; }),
          shown: u ? u.series.filter(function (s, k) { return k && s.show; }).length : 0,
          points: cols.map(function (c) { return c.x.length; }), full: series.map(function (s) { return s.full; }),
          nonFinite: Number(root.getAttribute("data-nonfinite") || 0), note: note.textContent };
      },
      uplot: function () { return u; },
      /** A Promise of the handle once the chart is drawn (uPlot lays out in a microtask). */
      ready: function () { return readyP; },
      rebuild: function () { build(); }
    };
    handle.setData = handle.update;
    var ro = window.ResizeObserver ? new ResizeObserver(function () {
      if (u && Math.abs(u.width - width()) > 1) u.setSize({ width: width(), height: Number(opt.height) || 240 });
    }) : null;
    if (ro) ro.observe(plot);
    live.push(handle);
    handle.update(Object.assign({ x: "auto", logY: false, smoothing: 0, height: 240, series: [] }, options || {}));
    return handle;
  }

  // ---- bar charts: one value per run ----

  function bars(container, options) {
    var opt = {}, root = tr.el("div", { "class": "ichart ichart-bars" }), svgEl = null;
    var actions = tr.el("div", { "class": "ichart-toolbar", role: "group", "aria-label": "Export" });
    var svgBtn = tr.el("button", { type: "button", "class": "ichart-svg" }, "SVG");
    var pngBtn = tr.el("button", { type: "button", "class": "ichart-png" }, "PNG");
    actions.appendChild(svgBtn);
    actions.appendChild(pngBtn);
    root.appendChild(actions);
    container.appendChild(root);
    svgBtn.addEventListener("click", function () {
      download(new Blob([handle.toSVG()], { type: "image/svg+xml" }), fileName(opt.title, "svg"));
    });
    pngBtn.addEventListener("click", function () {
      handle.toPNG(function (blob) { if (blob) download(blob, fileName(opt.title, "png")); });
    });

    function node(tag, attrs, text) {
      var e = document.createElementNS(SVGNS, tag);
      Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
      if (text !== undefined) e.textContent = String(text);
      return e;
    }

    function build() {
      var th = theme(), list = (opt.bars || []).map(function (b, i) {
        return { label: b.label === undefined || b.label === null ? "" : String(b.label), value: tr.num(b.value),
          color: b.color || color(i), runId: b.runId };
      });
      var W = Math.max(280, Math.floor(root.clientWidth || container.clientWidth || 600));
      var top = opt.title ? 28 : 8, rowH = 24, H = top + list.length * rowH + 26;
      var labelW = Math.min(W * 0.38, 10 + 7 * list.reduce(function (m, b) { return Math.max(m, b.label.length); }, 4));
      var finite = list.filter(function (b) { return isFinite(b.value); }).map(function (b) { return b.value; });
      var lo = Math.min(0, Math.min.apply(null, finite.concat([0]))), hi = Math.max(0, Math.max.apply(null, finite.concat([0])));
      if (hi === lo) hi = lo + 1;
      var x0 = labelW + 8, x1 = W - 70, pos = function (v) { return x0 + (v - lo) / (hi - lo) * (x1 - x0); };
      var s = node("svg", { xmlns: SVGNS, width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img",
        "font-family": th.font, "font-size": "12" });
      s.appendChild(node("title", {}, opt.title || "Bar chart"));
      s.appendChild(node("rect", { width: "100%", height: "100%", fill: th.card }));
      if (opt.title) s.appendChild(node("text", { x: 8, y: 18, "font-size": 14, "font-weight": 600, fill: th.fg }, opt.title));
      list.forEach(function (b, i) {
        var y = top + i * rowH, g = node("g", { "class": "bar" });
        if (b.runId) g.setAttribute("data-run-id", b.runId);
        g.appendChild(node("title", {}, b.label + ": " + fmtNum(b.value)));
        g.appendChild(node("text", { x: labelW, y: y + 16, "text-anchor": "end", fill: th.fg }, b.label));
        if (isFinite(b.value)) {
          var a = pos(Math.min(0, b.value)), e = pos(Math.max(0, b.value));
          g.appendChild(node("rect", { x: a, y: y + 4, width: Math.max(1, e - a), height: rowH - 8, rx: 2, fill: b.color }));
          g.appendChild(node("text", { x: e + 4, y: y + 16, fill: th.muted, "class": "bar-value" }, fmtNum(b.value)));
        } else {
          g.appendChild(node("text", { x: pos(0) + 4, y: y + 16, fill: th.bad, "class": "bar-value" },
            fmtNum(b.value) + " (not drawn)"));
        }
        s.appendChild(g);
      });
      var axisY = top + list.length * rowH + 4;
      s.appendChild(node("line", { x1: pos(0), x2: pos(0), y1: top, y2: axisY, stroke: th.muted, "stroke-opacity": 0.5 }));
      [lo, (lo + hi) / 2, hi].forEach(function (v) {
        s.appendChild(node("text", { x: pos(v), y: axisY + 16, "text-anchor": "middle", fill: th.muted, "font-size": 11 }, fmtNum(v)));
      });
      if (svgEl) svgEl.remove();
      svgEl = s;
      root.insertBefore(s, actions);
    }

    var handle = {
      root: root,
      update: function (o) { opt = Object.assign({}, opt, o || {}); build(); return handle; },
      destroy: function () { root.remove(); live = live.filter(function (h) { return h !== handle; }); },
      toSVG: function () { return new XMLSerializer().serializeToString(svgEl); },
      toPNG: function (cb) { svgToPNG(handle.toSVG(), Number(svgEl.getAttribute("width")), Number(svgEl.getAttribute("height")), cb); },
      rebuild: function () { build(); }
    };
    handle.setData = handle.update;
    live.push(handle);
    handle.update(options);
    return handle;
  }

  // a theme change (the toggle, or the system's scheme) redraws every chart in its colours
  function rethemeAll() { live.forEach(function (h) { h.rebuild(); }); }
  if (window.MutationObserver) {
    new MutationObserver(rethemeAll).observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
  }
  if (window.matchMedia) {
    var mq = window.matchMedia("(prefers-color-scheme: dark)");
    if (mq.addEventListener) mq.addEventListener("change", rethemeAll);
  }

  tr.charts = { line: line, bars: bars, color: color, smooth: smooth, fmtNum: fmtNum, palette: PALETTE.slice() };
})();
