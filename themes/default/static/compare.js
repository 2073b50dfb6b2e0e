/* trackreport compare page: experiments/<id>/compare.html#runs=<id>,<id>,… — MLflow's "Compare
   runs" offline. Reads runs.js ("runs", loaded by the page) and each chosen run's series.js
   (loaded here); draws with compare-tables.js, charts.js, parcoords.js and scatter.js.
   Classic script.

   The view is the URL fragment (docs/design.md §2), followed on hashchange:
     runs=<id>,<id>     the runs, in this order (unknown ids are named in a note)
     metrics=<k>,<k>    metrics charted (default: those with a history; "metrics=" none)
     diffOnly=true      params and tags: only the rows whose values differ
     axes=<dim>,<dim>   parallel-coordinates axes; a dim is params.<key> or metrics.<key>
     colorBy=<dim>      colour of its lines (default: the experiment's compare metric)
     x=<dim>, y=<dim>   the scatter's axes
   Registers trackreport.compare = {view, charts: {metric key: chart handle}, go(patch),
   render()}; #compare-app gets data-state="ready" once the chosen runs' series are drawn. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var app = document.getElementById("compare-app");
  var api = tr.compare = { view: null, charts: {}, go: go, render: render };
  if (!app) return;
  var data = tr.get("runs");
  var ORDER = ["runs", "metrics", "diffOnly", "axes", "colorBy", "x", "y"];
  var LOSSY = /loss|error|err$|^err|mse|mae|rmse|perplexity|wer$|cer$/i;
  var byId = {}, last = {}, series = {}, handles = [], fresh = false;
  var el = tr.el, T = tr.compareTables;

  function section(id, title) {
    var s = el("section", { "class": "card cmp-section", id: id, "aria-labelledby": id + "-h", hidden: "hidden" });
    s.appendChild(el("h2", { id: id + "-h" }, title));
    s.controls = s.appendChild(el("div", { "class": "toolbar cmp-controls" }));
    s.body = s.appendChild(el("div", { "class": "cmp-body" }));
    app.appendChild(s);
    return s;
  }
  var notes = app.appendChild(el("div", { "class": "cmp-notes", "aria-live": "polite" }));
  var S = {};
  if (data) {
    data.runs.forEach(function (r) { byId[r.run_id] = r; });
    S.runs = section("cmp-runs", "Runs");
    S.params = section("cmp-params", "Parameters");
    S.metrics = section("cmp-metrics", "Metrics");
    S.charts = section("cmp-charts", "Metric histories");
    S.parcoords = section("cmp-parcoords", "Parallel coordinates");
    S.scatter = section("cmp-scatter", "Scatter");
    S.tags = section("cmp-tags", "Tags");
  }

  // ---- the view in the fragment ----
  function list(v) { return v === undefined ? null : v.split(",").map(function (s) { return s.trim(); }).filter(Boolean); }
  function readView() {
    var f = tr.fragment.parse(), seen = {}, ids = (list(f.runs) || []).filter(function (id) {
      return seen[id] ? false : (seen[id] = true);
    });
    return { raw: f, ids: ids, known: ids.filter(function (id) { return byId[id]; }),
      unknown: ids.filter(function (id) { return !byId[id]; }), metrics: list(f.metrics), axes: list(f.axes),
      diffOnly: tr.fragment.bool(f.diffOnly, false), colorBy: f.colorBy || null, x: f.x || null, y: f.y || null };
  }
  /** Change the view: keys set to null are dropped (their default); lists are joined by ",". */
  function go(patch) {
    var f = tr.fragment.parse();
    Object.keys(patch).forEach(function (k) {
      var v = patch[k];
      if (v === null || v === undefined) delete f[k];
      else f[k] = Array.isArray(v) ? v.join(",") : String(v);
    });
    var keys = ORDER.filter(function (k) { return k in f; }).concat(Object.keys(f).filter(function (k) { return ORDER.indexOf(k) < 0; }));
    window.location.hash = keys.map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(f[k]).replace(/%2C/gi, ",").replace(/%2F/gi, "/");
    }).join("&");
  }

  // ---- what the chosen runs hold ----
  function present(field, keys, runs) {
    return keys.map(function (k, i) { return { key: k, i: i }; }).filter(function (c) {
      return runs.some(function (r) { return r[field][c.i] !== null; });
    });
  }
  function dims(ctx) {
    var out = {};
    ctx.params.forEach(function (c) {
      out["params." + c.key] = { id: "params." + c.key, kind: "param", key: c.key, label: c.key,
        values: ctx.runs.map(function (r) { return r.params[c.i]; }) };
    });
    ctx.metrics.forEach(function (c) {
      out["metrics." + c.key] = { id: "metrics." + c.key, kind: "metric", key: c.key, label: c.key,
        values: ctx.runs.map(function (r) { return tr.num(r.metrics[c.i]); }) };
    });
    return out;
  }
  function dim(ctx, id) {
    if (!id) return null;
    return ctx.dims[id] || ctx.dims["metrics." + id] || ctx.dims["params." + id] || null;
  }
  function order(key) {
    if (data.compare && data.compare.metric === key) return data.compare.order === "max" ? "max" : "min";
    return LOSSY.test(key) ? "min" : "max";
  }
  function context(v) {
    var runs = v.known.map(function (id) { return byId[id]; });
    var ctx = { runs: runs, params: present("params", data.params, runs), metrics: present("metrics", data.metrics, runs),
      tags: present("tags", data.tags, runs).filter(function (c) { return c.key.indexOf("mlflow.") !== 0; }) };
    ctx.color = runs.map(function (r, i) { return tr.charts ? tr.charts.color(i) : "#3b82f6"; });
    ctx.label = runs.map(function (r) { return r.run_name || r.run_id; });
    ctx.plotRuns = runs.map(function (r, i) { return { id: r.run_id, label: ctx.label[i], color: ctx.color[i] }; });
    ctx.varying = ctx.params.filter(function (c) { return T.differs(c, "params", runs); });
    var user = ctx.metrics.filter(function (c) { return c.key.indexOf("system/") !== 0; });
    ctx.history = function (c) { return data.metric_points[c.i] > 1; };
    ctx.metricOrder = ctx.metrics.filter(ctx.history).concat(ctx.metrics.filter(function (c) { return !ctx.history(c); }));
    var hist = user.filter(ctx.history);
    ctx.defaultMetrics = (hist.length ? hist : user.length ? user : ctx.metrics).slice(0, 12).map(function (c) { return c.key; });
    ctx.dims = dims(ctx);
    var cm = data.compare && data.compare.metric && ctx.dims["metrics." + data.compare.metric] ? "metrics." + data.compare.metric : null;
    var ms = user.map(function (c) { return "metrics." + c.key; }).filter(function (d) { return d !== cm; });
    ctx.defaultAxes = ctx.varying.slice(0, 8).map(function (c) { return "params." + c.key; })
      .concat((cm ? [cm] : []).concat(ms).slice(0, 6));
    ctx.defaultColor = cm || ms[0] || null;
    var full = function (c) { return runs.every(function (r) { return r.params[c.i] !== null; }); };
    var px = ctx.varying.filter(full).concat(ctx.varying.filter(function (c) { return !full(c); }));
    if (!px.length) px = ctx.params;
    var numeric = px.filter(function (c) { return tr.parcoords.axis(ctx.dims["params." + c.key].values).kind !== "categorical"; });
    ctx.defaultX = (numeric[0] || px[0]) ? "params." + (numeric[0] || px[0]).key : ms[0] || cm;
    ctx.defaultY = cm && cm !== ctx.defaultX ? cm : ms.filter(function (d) { return d !== ctx.defaultX; })[0] || cm;
    return ctx;
  }

  // ---- sections ----
  function drawRuns(ctx) {
    S.runs.body.replaceChildren(T.runs(ctx, function (id) {
      go({ runs: readView().ids.filter(function (k) { return k !== id; }) });
    }));
  }
  function drawKeyed(sec, ctx, cols, field, what) {
    sec.body.replaceChildren.apply(sec.body, T.keyed(ctx, cols, field, what));
  }
  function stat(r, key) {
    var p = series[r.run_id], m = p && p.metrics && p.metrics[key];
    return m || null;
  }
  function drawMetrics(ctx) {
    S.metrics.body.replaceChildren.apply(S.metrics.body, T.metrics(ctx, function (r, c, which) {
      if (which === "latest") return tr.num(r.metrics[c.i]);
      var s = stat(r, c.key);
      return s ? tr.num(s[which]) : series[r.run_id] === undefined && r.metrics[c.i] !== null ? undefined : null;
    }, order));
  }

  function checkboxes(box, legend, items, chosen, onChange) {
    var fs = box.appendChild(el("fieldset", { "class": "cmp-checks" }));
    fs.appendChild(el("legend", null, legend));
    items.forEach(function (it) {
      var l = fs.appendChild(el("label"));
      var cb = l.appendChild(el("input", { type: "checkbox", value: it.value }));
      cb.checked = chosen.indexOf(it.value) >= 0;
      cb.addEventListener("change", onChange);
      l.appendChild(el("span", { "class": "mono" }, it.label));
      if (it.hint) l.appendChild(el("span", { "class": "muted small" }, " " + it.hint));
    });
  }
  /** A checkbox list of keys; built anew only for new runs, else synced (focus stays put). */
  function picker(sec, name, groups, chosen, key) {
    var total = groups.reduce(function (n, g) { return n + g[1].length; }, 0), old = sec.controls.querySelector("details");
    var summary = name + " (" + chosen.length + " of " + total + ")";
    if (old && !fresh) {
      old.querySelector("summary").textContent = summary;
      Array.prototype.forEach.call(old.querySelectorAll("input"), function (cb) { cb.checked = chosen.indexOf(cb.value) >= 0; });
      return;
    }
    var det = el("details", { "class": "cmp-picker" });
    det.appendChild(el("summary", null, summary));
    var body = det.appendChild(el("div", { "class": "cmp-picker-body" }));
    var change = function () {
      var out = Array.prototype.map.call(body.querySelectorAll("input:checked"), function (i) { return i.value; });
      var p = {};
      p[key] = out;
      go(p);
    };
    groups.forEach(function (g) { if (g[1].length) checkboxes(body, g[0], g[1], chosen, change); });
    if (old && old.open) det.open = true;
    if (old) old.replaceWith(det); else sec.controls.insertBefore(det, sec.controls.firstChild);
  }
  function select(sec, cls, label, ctx, value, key, none) {
    var old = document.getElementById("cmp-" + cls), s = el("select", { "class": cls, id: "cmp-" + cls });
    if (old && !fresh) { old.value = value || ""; return; }
    if (none) s.appendChild(el("option", { value: "" }, none));
    [["Metrics", ctx.metricOrder, "metrics."], ["Params", ctx.params, "params."]].forEach(function (g) {
      if (!g[1].length) return;
      var og = s.appendChild(el("optgroup", { label: g[0] }));
      g[1].forEach(function (c) { og.appendChild(el("option", { value: g[2] + c.key }, c.key)); });
    });
    s.value = value || "";
    s.addEventListener("change", function () { var p = {}; p[key] = s.value || "none"; go(p); });
    var l = el("label", { "for": s.id }, label);
    l.appendChild(s);
    if (old) old.parentNode.replaceWith(l); else sec.controls.appendChild(l);
  }

  function drawCharts(ctx, chosen) {
    handles.forEach(function (h) { h.destroy(); });
    handles = [];
    api.charts = {};
    var grid = el("div", { "class": "chart-grid cmp-chart-grid" }), lost = [];
    chosen.forEach(function (key) {
      var c = ctx.metrics.filter(function (m) { return m.key === key; })[0];
      if (!c) { lost.push(key); return; }
      var card = grid.appendChild(el("div", { "class": "chart-card cmp-chart", "data-metric": key }));
      var box = card.appendChild(el("div", { "class": "ichart-host" }));
      var withSeries = [], without = [], points = 0;
      ctx.runs.forEach(function (r, i) {
        var m = stat(r, key);
        if (m && (m.value || []).length) {
          points = Math.max(points, m.points || m.value.length);
          withSeries.push({ label: ctx.label[i], color: ctx.color[i], runId: r.run_id, key: key, step: m.step, time: m.time,
            value: m.value, points: m.points, start: r.start_time, decimated: m.decimated,
            history: m.history ? "runs/" + r.run_id + "/" + m.history : null });
        } else if (r.metrics[c.i] === null) without.push(ctx.label[i]);
      });
      if (!tr.charts || !window.uPlot) {
        box.appendChild(el("p", { "class": "muted small" }, "The charting scripts did not load."));
      } else if (points > 1) {
        api.charts[key] = tr.charts.line(box, { title: key, series: withSeries, x: "auto", height: 240 });
      } else {
        api.charts[key] = tr.charts.bars(box, { title: key, bars: ctx.runs.map(function (r, i) {
          return { label: ctx.label[i], value: r.metrics[c.i], color: ctx.color[i], runId: r.run_id };
        }).filter(function (b) { return b.value !== null; }) });
      }
      if (api.charts[key]) handles.push(api.charts[key]);
      if (without.length) card.appendChild(el("p", { "class": "muted small cmp-missing" }, "Not logged by: " + without.join(", ")));
    });
    var kids = [grid];
    if (!chosen.length) kids.unshift(el("p", { "class": "muted" }, "No metric chosen: pick some above."));
    if (lost.length) kids.unshift(el("p", { "class": "cmp-note" }, "Not logged by these runs: " + lost.join(", ")));
    S.charts.body.replaceChildren.apply(S.charts.body, kids);
  }

  function drawParcoords(ctx, axes, colorBy) {
    var ds = axes.map(function (a) { return dim(ctx, a); }).filter(Boolean);
    S.parcoords.body.replaceChildren();
    if (!ds.length) { S.parcoords.body.appendChild(el("p", { "class": "muted" }, "No axis chosen: pick some above.")); return; }
    var cb = dim(ctx, colorBy);
    tr.parcoords.draw(S.parcoords.body, { title: "Parallel coordinates", runs: ctx.plotRuns, dims: ds,
      colorBy: cb ? { label: cb.label, values: cb.values } : null });
  }

  function drawScatter(ctx, x, y) {
    S.scatter.body.replaceChildren();
    var dx = dim(ctx, x), dy = dim(ctx, y);
    if (!dx || !dy) { S.scatter.body.appendChild(el("p", { "class": "muted" }, "Choose a param or metric for each axis.")); return; }
    tr.scatter.draw(S.scatter.body, { title: dy.label + " against " + dx.label, runs: ctx.plotRuns, x: dx, y: dy });
  }

  // ---- series files ----
  function loadSeries(ctx, sig) {
    var jobs = ctx.runs.map(function (r) {
      if (series[r.run_id] !== undefined) return null;
      if (!r.metrics.some(function (v) { return v !== null; })) { series[r.run_id] = null; return null; }
      return tr.load("runs/" + encodeURIComponent(r.run_id) + "/series.js", "series/" + r.run_id)
        .then(function (p) { series[r.run_id] = p; }, function () { series[r.run_id] = null; });
    }).filter(Boolean);
    if (!jobs.length) return null;
    return Promise.all(jobs).then(function () { if (last.runs === sig) render(); });
  }

  // ---- render: each section redrawn only when what it shows changed ----
  var pending = null;  // the notes of this render; shown if they differ (a screen reader hears news only)
  function note(text, link) {
    var p = pending.appendChild(el("p", { "class": "cmp-note", role: "note" }, text));
    if (link) { p.appendChild(document.createTextNode(" ")); p.appendChild(el("a", { href: "index.html" }, link)); }
    return p;
  }
  function render() {
    pending = el("div");
    update();
    if (pending.textContent !== notes.textContent) notes.replaceChildren.apply(notes, Array.prototype.slice.call(pending.childNodes));
  }
  function update() {
    var v = api.view = readView();
    if (!data) { note("This experiment's runs.js did not load, so there is nothing to compare.", "Back to the experiment page"); return; }
    if (v.unknown.length) {
      note("Not in this experiment (deleted, left out of this site, or mistyped): " + v.unknown.join(", ") + ".")
        .setAttribute("data-unknown", v.unknown.join(","));
    }
    Object.keys(S).forEach(function (k) { S[k].hidden = !v.known.length; });
    if (!v.known.length) {
      note("No runs chosen. Select runs on the experiment page (tick their boxes, then Compare), or list run ids in this " +
        "page's address: compare.html#runs=<run id>,<run id>.", "Choose runs on the experiment page");
      app.setAttribute("data-state", "empty");
      last = {};
      return;
    }
    var ctx = context(v), sig = v.known.join(",");
    S.tags.hidden = !ctx.tags.length;
    var metrics = v.metrics || ctx.defaultMetrics, axes = v.axes || ctx.defaultAxes;
    var colorBy = v.colorBy === "none" ? null : v.colorBy || ctx.defaultColor;
    var x = v.x || ctx.defaultX, y = v.y || ctx.defaultY;
    fresh = last.runs !== sig;
    if (fresh) {
      last = { runs: sig };
      drawRuns(ctx);
      drawKeyed(S.params, ctx, ctx.params, "params", "params");
      drawKeyed(S.tags, ctx, ctx.tags, "tags", "tags");
      var diff = el("label", { "class": "cmp-diff" });
      S.params.controls.replaceChildren(diff);
      var box = diff.appendChild(el("input", { type: "checkbox", id: "cmp-diff-only" }));
      diff.appendChild(document.createTextNode(" Differences only"));
      box.addEventListener("change", function () { go({ diffOnly: box.checked ? "true" : null }); });
      app.setAttribute("data-state", "loading");
      loadSeries(ctx, sig);
    }
    app.classList.toggle("diff-only", v.diffOnly);
    document.getElementById("cmp-diff-only").checked = v.diffOnly;
    var sseries = ctx.runs.map(function (r) { return series[r.run_id] === undefined ? "" : "1"; }).join("");
    var want = { metrics: sig + sseries, charts: sig + sseries + "|" + metrics.join(","),
      parcoords: sig + "|" + axes.join(",") + "|" + colorBy, scatter: sig + "|" + x + "|" + y };
    if (last.metricsTable !== want.metrics) { last.metricsTable = want.metrics; drawMetrics(ctx); }
    if (last.charts !== want.charts) {
      last.charts = want.charts;
      picker(S.charts, "Metrics", [["With a history", ctx.metrics.filter(ctx.history)],
        ["Single values", ctx.metrics.filter(function (c) { return !ctx.history(c); })]].map(function (g) {
        return [g[0], g[1].map(function (c) { return { value: c.key, label: c.key }; })];
      }), metrics, "metrics");
      drawCharts(ctx, metrics);
    }
    if (last.parcoords !== want.parcoords) {
      last.parcoords = want.parcoords;
      var varying = {};
      ctx.varying.forEach(function (c) { varying[c.key] = true; });
      picker(S.parcoords, "Axes", [["Params", ctx.params.map(function (c) {
        return { value: "params." + c.key, label: c.key, hint: varying[c.key] ? "(differs)" : "" };
      })], ["Metrics", ctx.metricOrder.map(function (c) { return { value: "metrics." + c.key, label: c.key }; })]], axes, "axes");
      select(S.parcoords, "pc-color", "Colour by ", ctx, colorBy, "colorBy", "run colours");
      drawParcoords(ctx, axes, colorBy);
    }
    if (last.scatter !== want.scatter) {
      last.scatter = want.scatter;
      select(S.scatter, "sc-x", "X axis ", ctx, (dim(ctx, x) || {}).id, "x");
      select(S.scatter, "sc-y", "Y axis ", ctx, (dim(ctx, y) || {}).id, "y");
      drawScatter(ctx, x, y);
    }
    if (ctx.runs.every(function (r) { return series[r.run_id] !== undefined; })) app.setAttribute("data-state", "ready");
  }

  window.addEventListener("hashchange", render);
  render();
})();
