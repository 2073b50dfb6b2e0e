/* trackreport compare page: its tables (runs, params and tags side by side, metrics), built
   from the chosen runs' rows of runs.js; compare.js places them. Classic script; registers
   trackreport.compareTables. ctx = {runs: [runs.js run], label: [display name], color: [css]}.

   runs(ctx, onRemove(runId)) → a table of the runs: swatch, link to the run page, status,
     start, run id, a button taking the run out of the comparison
   keyed(ctx, cols, field, what) → nodes: one column per run, one row per key
     (cols: [{key, i}], i the key's index in runs.js), <tr data-key data-differs> where the
     runs' values differ (a run lacking the key differs from one holding it)
   metrics(ctx, value(run, col, "latest"|"min"|"max"|"last_step"), order(key) → "min"|"max")
     → nodes: per metric a <tbody data-metric> of four rows; value() gives undefined while a
     run's series file is loading; the best latest value is marked (td.best)
   differs(col, field, runs) → whether the runs' values of the key differ */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var el = tr.el;
  var dateFmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit" });
  var STATS = [["latest", "latest"], ["min", "min"], ["max", "max"], ["last step", "last_step"]];

  function fmt(v) { return v === null || v === undefined ? "—" : tr.charts ? tr.charts.fmtNum(v) : String(v); }
  function differs(col, field, runs) {
    var first = runs[0][field][col.i];
    return runs.some(function (r) { return r[field][col.i] !== first; });
  }
  function runLink(r, label) {
    return el("a", { href: "runs/" + encodeURIComponent(r.run_id) + "/index.html", "class": "breakable" }, label);
  }
  function swatch(color, cls) {
    return el("span", { "class": "swatch " + (cls || ""), style: "background:" + color, "aria-hidden": "true" });
  }
  /** A key as a header cell that wraps at its word boundaries (<wbr> after / _ . : - =), never
      one letter per line on a phone; the text itself is unchanged (text nodes only). */
  function keyCell(attrs, key) {
    var th = el("th", attrs);
    String(key).replace(/([\/_.:\-=]+)(?=[^\/_.:\-=])/g, "$1\u0000").split("\u0000").forEach(function (part, i) {
      if (i) th.appendChild(document.createElement("wbr"));
      th.appendChild(document.createTextNode(part));
    });
    return th;
  }
  /** A table in its wrapper; ``pinned``: a tall one scrolls in place, its header row and key column in view. */
  function table(head, className, pinned) {
    var wrap = el("div", { "class": pinned ? "table-wrap scroll pin" : "table-wrap", "data-table": pinned || null });
    var t = wrap.appendChild(el("table", { "class": "grid " + className }));
    t.appendChild(el("thead")).appendChild(head);
    return { wrap: wrap, table: t, body: t.appendChild(el("tbody")) };
  }
  /** A column header; one without a visible title ({sr: "…"}) still names its column to screen readers. */
  function colHead(h) {
    var th = el("th", { scope: "col" }, typeof h === "string" ? h : null);
    if (typeof h !== "string") th.appendChild(el("span", { "class": "sr-only" }, h.sr));
    return th;
  }
  /** A header row: the given first cells, then a column per run (swatch and link). */
  function runHeads(ctx, first) {
    var row = el("tr");
    first.forEach(function (h) { row.appendChild(colHead(h)); });
    ctx.runs.forEach(function (r, i) {
      var th = row.appendChild(el("th", { scope: "col", "data-run-id": r.run_id, "class": "cmp-run-col" }));
      th.appendChild(swatch(ctx.color[i]));
      th.appendChild(runLink(r, ctx.label[i]));
    });
    return row;
  }

  function runs(ctx, onRemove) {
    var head = el("tr");
    [{ sr: "Colour" }, "Run", "Status", "Started", "Run ID", { sr: "Remove" }].forEach(function (h) { head.appendChild(colHead(h)); });
    var t = table(head, "cmp-runs-table");
    ctx.runs.forEach(function (r, i) {
      var row = t.body.appendChild(el("tr", { "data-run-id": r.run_id }));
      row.appendChild(el("td")).appendChild(swatch(ctx.color[i], "cmp-swatch"));
      row.appendChild(el("td")).appendChild(runLink(r, ctx.label[i]));
      row.appendChild(el("td")).appendChild(el("span", { "class": "badge status-" + String(r.status).toLowerCase() }, r.status));
      var when = row.appendChild(el("td"));
      var started = tr.date(r.start_time);
      if (started) {
        when.appendChild(el("time", { datetime: started.toISOString() }, dateFmt.format(started)));
      } else when.textContent = r.start_time ? String(r.start_time) : "—";
      row.appendChild(el("td", { "class": "mono small" }, r.run_id));
      var rm = row.appendChild(el("td")).appendChild(el("button", { type: "button", "class": "cmp-remove",
        "aria-label": "Remove " + ctx.label[i] + " from the comparison", title: "Remove from the comparison" }, "×"));
      rm.addEventListener("click", function () { onRemove(r.run_id); });
    });
    return t.wrap;
  }

  function keyed(ctx, cols, field, what) {
    if (!cols.length) return [el("p", { "class": "muted" }, "These runs have no " + what + ".")];
    var t = table(runHeads(ctx, [what === "params" ? "Param" : "Tag"]), "cmp-" + what, what === "params" ? "Params" : "Tags"), n = 0;
    cols.forEach(function (c) {
      var diff = ctx.runs.length > 1 && differs(c, field, ctx.runs);
      var row = t.body.appendChild(el("tr", { "data-key": c.key, "data-differs": diff ? "true" : null }));
      row.appendChild(keyCell({ scope: "row", "class": "key" }, c.key));
      ctx.runs.forEach(function (r) {
        var v = r[field][c.i];
        row.appendChild(el("td", { "class": "val" + (v === null ? " missing" : "") }))
          .appendChild(el("div", { "class": "clip" }, v === null ? "—" : v));
      });
      if (diff) n++;
    });
    var out = [el("p", { "class": "muted small cmp-count" },
      n + " of " + cols.length + " " + what + " differ" + (n === 1 ? "s" : "") + " across these runs."), t.wrap];
    if (!n) out.push(el("p", { "class": "muted cmp-none-differ" }, "No " + what.replace(/s$/, "") + " differs."));
    return out;
  }

  function metrics(ctx, value, order) {
    var t = table(runHeads(ctx, ["Metric", { sr: "Statistic" }]), "cmp-metrics-table", "Metrics");
    t.body.remove();
    ctx.metricOrder.forEach(function (c) {
      var tb = t.table.appendChild(el("tbody", { "data-metric": c.key })), dir = order(c.key);
      STATS.forEach(function (spec, k) {
        var row = tb.appendChild(el("tr", { "data-stat": spec[1] }));
        if (!k) row.appendChild(keyCell({ scope: "rowgroup", rowspan: String(STATS.length), "class": "key" }, c.key));
        row.appendChild(el("th", { scope: "row", "class": "muted small" }, spec[0]));
        var vals = ctx.runs.map(function (r) { return value(r, c, spec[1]); });
        var finite = vals.filter(function (v) { return typeof v === "number" && isFinite(v); });
        var best = spec[1] === "latest" && finite.length > 1 ? Math[dir].apply(null, finite) : undefined;
        vals.forEach(function (v) {
          var td = row.appendChild(el("td", { "class": "n" }, v === undefined ? "…" : fmt(v)));
          if (best === undefined || v !== best) return;
          td.classList.add("best");
          td.setAttribute("title", "best (" + (dir === "min" ? "lowest" : "highest") + ")");
          td.appendChild(el("span", { "class": "sr-only" }, " (best)"));
        });
      });
    });
    return [el("p", { "class": "muted small" }, "The best latest value is marked ★: the lowest for losses and errors " +
      "(and for the experiment's compare metric when it is minimised), else the highest."), t.wrap];
  }

  tr.compareTables = { runs: runs, keyed: keyed, metrics: metrics, differs: differs };
})();
