/* trackreport scatter plot (compare page): any param or metric against another, one point per
   run in the run's colour. Hand-written SVG on the axis scales of parcoords.js (loaded first):
   numeric, log or ordered categories, with ticks below the scale for missing and non-finite
   values. Classic script; registers trackreport.scatter.

   trackreport.scatter.draw(container, {
       title: "…",
       runs: [{id, label, color}],
       x: {label, values: [per run]}, y: {label, values: [per run]}
   }) → {root, svg, destroy()}
   Each point is a <circle class="sc-point" data-run-id> with a <title> (run, x, y); hovering
   or focusing one shows the same text under the plot. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};

  function cssVar(name, dflt) {
    var v = window.getComputedStyle(document.documentElement).getPropertyValue(name);
    return (v && v.trim()) || dflt;
  }

  function draw(container, o) {
    var pc = tr.parcoords, node = pc.node, text = pc.text, clip = pc.clip;
    var runs = o.runs || [], xa = pc.axis(o.x.values), ya = pc.axis(o.y.values);
    var fg = cssVar("--fg", "#1d2330"), muted = cssVar("--muted", "#5f6b7d"), border = cssVar("--border", "#e2e6ed");
    var W = Math.max(320, Math.min(container.clientWidth || 640, 760)), H = 360;
    var left = 78, top = 16, sxEnd = W - 20 - xa.specials.length * 46, syEnd = H - 44 - ya.specials.length * 18;
    var bottom = H - 44;
    function px(v) {
      var p = xa.place(v);
      return typeof p === "object" ? sxEnd + 46 * (p.special + 1) - 10 : left + 10 + p * (sxEnd - left - 20);
    }
    function py(v) {
      var p = ya.place(v);
      return typeof p === "object" ? syEnd + 18 * (p.special + 1) - 8 : syEnd - 10 - p * (syEnd - top - 20);
    }
    var root = tr.el("div", { "class": "sc" });
    var readout = tr.el("p", { "class": "sc-readout muted small", "aria-live": "polite" });
    var svg = node("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "class": "sc-svg",
      "aria-label": (o.title || "Scatter") + ": " + o.y.label + " against " + o.x.label + ", " + runs.length + " runs" });
    svg.appendChild(node("title", {}, o.title || o.y.label + " against " + o.x.label));
    svg.appendChild(node("rect", { x: left, y: top, width: sxEnd - left, height: syEnd - top, fill: "none", stroke: border, "class": "sc-frame" }));

    var gx = node("g", { "class": "sc-axis sc-x", "data-kind": xa.kind });
    var every = Math.max(1, Math.ceil(xa.ticks.length / 8));
    xa.ticks.forEach(function (t, i) {
      if (i % every && i !== xa.ticks.length - 1) return;
      var x = left + 10 + t.frac * (sxEnd - left - 20);
      gx.appendChild(node("line", { x1: x, x2: x, y1: top, y2: syEnd, stroke: border, "stroke-dasharray": "2 3" }));
      var tl = node("text", { x: x, y: bottom + 14, "text-anchor": "middle", fill: muted, "font-size": 10 }, clip(t.label, 12));
      tl.appendChild(node("title", {}, t.label));
      gx.appendChild(tl);
    });
    xa.specials.forEach(function (s, i) {
      gx.appendChild(node("text", { x: sxEnd + 46 * (i + 1) - 10, y: bottom + 14, "text-anchor": "middle", fill: muted,
        "font-size": 10, "font-style": "italic" }, s));
    });
    gx.appendChild(node("text", { x: (left + sxEnd) / 2, y: H - 8, "text-anchor": "middle", fill: fg, "font-size": 12,
      "font-weight": 600, "class": "sc-label" }, clip(o.x.label, 60) + (xa.kind === "log" ? " (log)" : "")));
    svg.appendChild(gx);

    var gy = node("g", { "class": "sc-axis sc-y", "data-kind": ya.kind });
    every = Math.max(1, Math.ceil(ya.ticks.length / 8));
    ya.ticks.forEach(function (t, i) {
      if (i % every && i !== ya.ticks.length - 1) return;
      var y = syEnd - 10 - t.frac * (syEnd - top - 20);
      gy.appendChild(node("line", { x1: left, x2: sxEnd, y1: y, y2: y, stroke: border, "stroke-dasharray": "2 3" }));
      var tl = node("text", { x: left - 6, y: y + 4, "text-anchor": "end", fill: muted, "font-size": 10 }, clip(t.label, 11));
      tl.appendChild(node("title", {}, t.label));
      gy.appendChild(tl);
    });
    ya.specials.forEach(function (s, i) {
      gy.appendChild(node("text", { x: left - 6, y: syEnd + 18 * (i + 1) - 4, "text-anchor": "end", fill: muted,
        "font-size": 10, "font-style": "italic" }, s));
    });
    var yl = node("text", { x: 14, y: (top + syEnd) / 2, "text-anchor": "middle", fill: fg, "font-size": 12, "font-weight": 600, "class": "sc-label",
      transform: "rotate(-90 14 " + (top + syEnd) / 2 + ")" }, clip(o.y.label, 40) + (ya.kind === "log" ? " (log)" : ""));
    gy.appendChild(yl);
    svg.appendChild(gy);

    var pts = node("g", { "class": "sc-points" });
    runs.forEach(function (r, i) {
      var xv = o.x.values[i], yv = o.y.values[i];
      var desc = r.label + " — " + o.x.label + ": " + text(xv) + ", " + o.y.label + ": " + text(yv);
      var c = node("circle", { "class": "sc-point", "data-run-id": r.id, cx: px(xv).toFixed(1), cy: py(yv).toFixed(1), r: 6,
        fill: r.color, stroke: cssVar("--card", "#fff"), "stroke-width": 1.5, tabindex: "0", "aria-label": desc });
      c.appendChild(node("title", {}, desc));
      var show = function () { readout.textContent = desc; c.classList.add("sc-hot"); };
      var hide = function () { c.classList.remove("sc-hot"); };
      c.addEventListener("mouseenter", show);
      c.addEventListener("focus", show);
      c.addEventListener("mouseleave", hide);
      c.addEventListener("blur", hide);
      pts.appendChild(c);
    });
    svg.appendChild(pts);

    var scroll = tr.el("div", { "class": "sc-scroll" });
    scroll.appendChild(svg);
    root.appendChild(scroll);
    root.appendChild(readout);
    root.appendChild(pc.table(runs, [{ label: o.x.label, values: o.x.values }, { label: o.y.label, values: o.y.values }]));
    container.appendChild(root);
    return { root: root, svg: svg, destroy: function () { root.remove(); } };
  }

  tr.scatter = { draw: draw };
})();
