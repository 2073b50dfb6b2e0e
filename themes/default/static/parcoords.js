/* trackreport parallel coordinates (compare page): hand-written SVG, one axis per param or
   metric, one line per run. Classic script; registers trackreport.parcoords, whose axis
   scales scatter.js shares.

   trackreport.parcoords.draw(container, {
       title: "…",                                   // the SVG's accessible name
       runs: [{id, label, color}],                   // one line per run, in this order
       dims: [{id: "params.lr", label: "lr", values: [per run: string | number | null]}],
       colorBy: {label, values: [per run]} | null    // lines coloured by these values (a legend
   }) → {root, svg, destroy()}                       //   scale explains it); else run colours
   trackreport.parcoords.axis(values) → {kind: "numeric" | "log" | "categorical",
       specials: ["NaN", "+∞", "−∞", "missing"] (those present), place(v) → fraction 0..1
       of the scale (1 = top) or {special: i}, ticks: [{frac, label}]}
   trackreport.parcoords.table(runs, dims) → <details> holding the same data as a table.

   Params are strings: an axis is numeric when every present value reads as a finite number,
   otherwise its values are ordered categories. Missing values and non-finite metrics are not
   dropped: each kind gets its own tick below the scale. Store text reaches the DOM through
   textContent and setAttribute only. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var SVGNS = "http://www.w3.org/2000/svg";
  var SPECIALS = ["NaN", "+∞", "−∞", "missing"];
  var RAMP = ["#3b6fd8", "#8b5cf6", "#e0457b", "#f08a24"];  // mid-luminance: light and dark themes
  var uid = 0;

  function node(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fmt(v) {
    if (tr.charts && tr.charts.fmtNum) return tr.charts.fmtNum(v);
    if (v !== v) return "NaN";
    if (v === Infinity) return "+∞";
    if (v === -Infinity) return "−∞";
    return String(Number(Number(v).toPrecision(6)));
  }
  function text(v) {
    if (v === null || v === undefined) return "—";
    return typeof v === "number" ? fmt(v) : String(v);
  }
  function clip(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function cssVar(name, dflt) {
    var v = window.getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || dflt;
  }

  /** A value of an axis as a number: metrics are numbers (or the data files' "NaN" strings),
      params strings; undefined when it does not read as a number. */
  function asNumber(v) {
    if (typeof v === "number") return v;
    if (v === "NaN" || v === "Infinity" || v === "-Infinity") return tr.num(v);
    if (typeof v !== "string" || !v.trim()) return undefined;
    var n = Number(v);
    return isFinite(n) ? n : undefined;
  }
  function specialOf(v) {
    if (v === null || v === undefined) return "missing";
    if (typeof v === "number" && !isFinite(v)) return v !== v ? "NaN" : v > 0 ? "+∞" : "−∞";
    return null;
  }

  function niceTicks(lo, hi, n, integers) {
    var span = hi - lo, raw = span / n, mag = Math.pow(10, Math.floor(Math.log10(raw))), step = mag;
    [1, 2, 2.5, 5, 10].some(function (m) { step = m * mag; return span / step <= n; });
    if (integers) step = Math.max(1, Math.round(step));
    var out = [], t = Math.ceil(lo / step - 1e-9) * step;
    for (; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : Number(t.toPrecision(12)));
    return out;
  }

  function axis(values) {
    var nums = [], present = {}, numeric = true, cats = {};
    values.forEach(function (v) {
      var n = asNumber(v);
      if (v === null || v === undefined) { present.missing = true; return; }
      if (n === undefined) { numeric = false; cats[String(v)] = true; return; }
      if (!isFinite(n)) present[specialOf(n)] = true;
      else nums.push(n);
      cats[String(v)] = true;
    });
    var out = { specials: SPECIALS.filter(function (s) { return present[s]; }), ticks: [] };
    function special(v) {
      var s = numeric ? specialOf(typeof v === "number" ? v : asNumber(v)) : specialOf(v);
      return s ? { special: out.specials.indexOf(s) } : null;
    }
    if (!numeric) {
      // ordered categories; non-finite metric strings ("NaN") are plain categories here
      out.kind = "categorical";
      out.specials = present.missing ? ["missing"] : [];
      var list = Object.keys(cats).sort(function (a, b) { return a.localeCompare(b, undefined, { numeric: true }); });
      var at = function (i) { return list.length === 1 ? 0.5 : i / (list.length - 1); };
      out.categories = list;
      out.ticks = list.map(function (c, i) { return { frac: at(i), label: c }; });
      out.place = function (v) {
        if (v === null || v === undefined) return { special: 0 };
        return at(list.indexOf(String(v)));
      };
      return out;
    }
    var lo = Math.min.apply(null, nums), hi = Math.max.apply(null, nums);
    out.kind = nums.length > 1 && lo > 0 && hi / lo >= 100 ? "log" : "numeric";
    if (!nums.length) { lo = 0; hi = 1; }
    out.min = lo;
    out.max = hi;
    var f = function (x) { return x; };
    if (out.kind === "log") {
      f = Math.log10;
      var a = Math.floor(f(lo)), b = Math.ceil(f(hi));
      for (var e = a; e <= b; e++) out.ticks.push({ frac: 0, label: fmt(Math.pow(10, e)), v: e });
      lo = a; hi = b;
    } else if (lo === hi) {
      out.ticks = [{ frac: 0.5, label: fmt(lo) }];
    } else {
      var ints = nums.every(function (x) { return x === Math.round(x); });
      out.ticks = niceTicks(lo, hi, 4, ints).map(function (t) { return { frac: 0, label: fmt(t), v: t }; });
    }
    var span = hi - lo;
    out.ticks.forEach(function (t) { if (t.v !== undefined) t.frac = (t.v - lo) / span; });
    out.place = function (v) {
      var s = special(v);
      if (s) return s;
      var n = asNumber(v);
      return span ? (f(n) - lo) / span : 0.5;
    };
    return out;
  }

  /** Colour of a fraction 0..1 on the ramp. */
  function ramp(t) {
    t = Math.max(0, Math.min(1, t)) * (RAMP.length - 1);
    var i = Math.min(RAMP.length - 2, Math.floor(t)), f = t - i;
    var a = hex(RAMP[i]), b = hex(RAMP[i + 1]);
    return "rgb(" + [0, 1, 2].map(function (k) { return Math.round(a[k] + (b[k] - a[k]) * f); }).join(",") + ")";
  }
  function hex(c) { return [1, 3, 5].map(function (i) { return parseInt(c.slice(i, i + 2), 16); }); }

  /** The data of the plot as a table (its accessible alternative). */
  function table(runs, dims, summary) {
    var det = tr.el("details", { "class": "viz-data" });
    det.appendChild(tr.el("summary", null, summary || "The data as a table"));
    var wrap = tr.el("div", { "class": "table-wrap" }), t = tr.el("table", { "class": "grid" });
    var head = tr.el("tr");
    head.appendChild(tr.el("th", { scope: "col" }, "Run"));
    dims.forEach(function (d) { head.appendChild(tr.el("th", { scope: "col", "class": "mono" }, d.label)); });
    var thead = tr.el("thead"), tbody = tr.el("tbody");
    thead.appendChild(head);
    runs.forEach(function (r, i) {
      var row = tr.el("tr", { "data-run-id": r.id });
      row.appendChild(tr.el("th", { scope: "row" }, r.label));
      dims.forEach(function (d) { row.appendChild(tr.el("td", { "class": "val" }, text(d.values[i]))); });
      tbody.appendChild(row);
    });
    t.appendChild(thead);
    t.appendChild(tbody);
    wrap.appendChild(t);
    det.appendChild(wrap);
    return det;
  }

  function draw(container, o) {
    var runs = o.runs || [], dims = o.dims || [], id = "pc" + (++uid);
    var fg = cssVar("--fg", "#1d2330"), muted = cssVar("--muted", "#5f6b7d"), border = cssVar("--border", "#e2e6ed");
    var root = tr.el("div", { "class": "pc" });
    // wider than a phone: a region the keyboard can scroll too (a tab stop, named)
    var scroll = tr.el("div", { "class": "pc-scroll", tabindex: "0", role: "region",
      "aria-label": (o.title || "Parallel coordinates") + " (scrolls sideways)" });
    var readout = tr.el("p", { "class": "pc-readout muted small", "aria-live": "polite" });
    var axes = dims.map(function (d) { return axis(d.values); });
    var nSpecial = axes.reduce(function (m, a) { return Math.max(m, a.specials.length); }, 0);
    var W = Math.max(container.clientWidth || 640, 140 + 112 * Math.max(1, dims.length - 1));
    var top = 44, scaleBottom = 300, H = scaleBottom + nSpecial * 18 + (o.colorBy ? 76 : 20);
    var left = 70, right = W - 70, step = dims.length > 1 ? (right - left) / (dims.length - 1) : 0;
    var xs = dims.map(function (d, i) { return dims.length > 1 ? left + i * step : W / 2; });
    var y = function (ax, v) {
      var p = ax.place(v);
      if (typeof p === "object") return scaleBottom + 18 * (p.special + 1);
      return scaleBottom - p * (scaleBottom - top);
    };
    var svg = node("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "class": "pc-svg",
      "aria-label": (o.title || "Parallel coordinates") + ": " + runs.length + " runs over " + dims.length + " axes" });
    svg.appendChild(node("title", {}, o.title || "Parallel coordinates"));

    // colour scale
    var cAxis = o.colorBy ? axis(o.colorBy.values) : null;
    function colorOf(i) {
      if (!cAxis) return runs[i].color;
      var p = cAxis.place(o.colorBy.values[i]);
      return typeof p === "object" ? muted : ramp(p);
    }

    // axes
    dims.forEach(function (d, k) {
      var ax = axes[k], g = node("g", { "class": "pc-axis", "data-dim": d.id, "data-kind": ax.kind }), x = xs[k];
      var label = node("text", { x: x, y: top - 22, "text-anchor": "middle", fill: fg, "font-size": 12, "font-weight": 600,
        "class": "pc-label" },
        clip(d.label, 20) + (ax.kind === "log" ? " (log)" : ""));
      label.appendChild(node("title", {}, d.label));
      g.appendChild(label);
      g.appendChild(node("line", { x1: x, x2: x, y1: top, y2: scaleBottom, stroke: muted, "stroke-width": 1 }));
      var every = Math.max(1, Math.ceil(ax.ticks.length / 12));
      ax.ticks.forEach(function (t, i) {
        if (i % every && i !== ax.ticks.length - 1) return;
        var ty = scaleBottom - t.frac * (scaleBottom - top);
        g.appendChild(node("line", { x1: x - 4, x2: x, y1: ty, y2: ty, stroke: muted }));
        var tl = node("text", { x: x - 7, y: ty + 4, "text-anchor": "end", fill: muted, "font-size": 10, "class": "pc-tick" }, clip(t.label, 12));
        tl.appendChild(node("title", {}, t.label));
        g.appendChild(tl);
      });
      ax.specials.forEach(function (s, i) {
        var sy = scaleBottom + 18 * (i + 1);
        g.appendChild(node("line", { x1: x - 4, x2: x + 4, y1: sy, y2: sy, stroke: muted, "stroke-dasharray": "2 2" }));
        g.appendChild(node("text", { x: x - 7, y: sy + 4, "text-anchor": "end", fill: muted, "font-size": 10,
          "font-style": "italic", "class": "pc-special" }, s));
      });
      svg.appendChild(g);
    });

    // lines
    var lines = node("g", { "class": "pc-lines", fill: "none" });
    runs.forEach(function (r, i) {
      var pts = dims.map(function (d, k) { return [xs[k], y(axes[k], d.values[i])]; });
      if (pts.length === 1) pts = [[pts[0][0] - 12, pts[0][1]], [pts[0][0] + 12, pts[0][1]]];
      var p = node("path", { "class": "pc-line", "data-run-id": r.id, stroke: colorOf(i), "stroke-width": 2,
        "stroke-linejoin": "round", d: "M" + pts.map(function (q) { return q[0].toFixed(1) + " " + q[1].toFixed(1); }).join(" L") });
      var desc = r.label + "\n" + dims.map(function (d) { return d.label + ": " + text(d.values[i]); }).join("\n");
      p.appendChild(node("title", {}, desc));
      p.addEventListener("mouseenter", function () {
        svg.classList.add("pc-hovering");
        p.classList.add("pc-hot");
        readout.textContent = desc.replace(/\n/g, " · ");
      });
      p.addEventListener("mouseleave", function () { svg.classList.remove("pc-hovering"); p.classList.remove("pc-hot"); });
      lines.appendChild(p);
    });
    svg.insertBefore(lines, svg.firstChild.nextSibling);

    // legend scale of the colouring
    if (cAxis) {
      var lg = node("g", { "class": "pc-legend" }), ly = H - 34, lx = left, lw = Math.min(260, W - 2 * left);
      lg.appendChild(node("text", { x: lx, y: ly - 6, fill: fg, "font-size": 11, "class": "pc-label" }, "Colour: " + clip(o.colorBy.label, 40)));
      if (cAxis.kind === "categorical") {
        cAxis.categories.slice(0, 8).forEach(function (c, i) {
          var cx = lx + i * 90;
          lg.appendChild(node("rect", { x: cx, y: ly, width: 12, height: 10, fill: ramp(cAxis.place(c)) }));
          lg.appendChild(node("text", { x: cx + 16, y: ly + 9, fill: muted, "font-size": 10 }, clip(c, 10)));
        });
      } else {
        var grad = node("linearGradient", { id: id + "-grad", x1: "0", x2: "1", y1: "0", y2: "0" });
        RAMP.forEach(function (c, i) { grad.appendChild(node("stop", { offset: i / (RAMP.length - 1), "stop-color": c })); });
        var defs = node("defs");
        defs.appendChild(grad);
        svg.insertBefore(defs, svg.firstChild.nextSibling);
        lg.appendChild(node("rect", { x: lx, y: ly, width: lw, height: 10, fill: "url(#" + id + "-grad)", stroke: border }));
        [cAxis.min, cAxis.max].forEach(function (v, k) {
          var f = cAxis.place(v);
          lg.appendChild(node("text", { x: lx + (typeof f === "number" ? f : k) * lw, y: ly + 22,
            "text-anchor": k ? "end" : "start", fill: muted, "font-size": 10 }, (k ? "max " : "min ") + fmt(v)));
        });
        if (cAxis.specials.length) {
          lg.appendChild(node("text", { x: lx + lw + 10, y: ly + 9, fill: muted, "font-size": 10 },
            cAxis.specials.join(", ") + ": grey"));
        }
      }
      svg.appendChild(lg);
    }

    scroll.appendChild(svg);
    root.appendChild(scroll);
    root.appendChild(readout);
    root.appendChild(table(runs, dims));
    container.appendChild(root);
    return { root: root, svg: svg, destroy: function () { root.remove(); } };
  }

  tr.parcoords = { draw: draw, axis: axis, ramp: ramp, table: table, node: node, text: text, clip: clip };
})();
