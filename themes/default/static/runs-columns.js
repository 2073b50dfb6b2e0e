/* trackreport runs table, part 1 of 3: the columns of an experiment's runs (runs.js payload,
   docs/design.md §2) — every attribute, param, metric and tag — their default choice, how a
   cell shows a value, how it sorts (MLflow's order_by through trackreport.search) and how the
   CSV of the view names it (as runs.csv does). Classic script, needs core.js and search.js.

   trackreport.runsColumns.all(payload)          → [column], the chooser's order
   trackreport.runsColumns.defaults(payload, cols) → [column id] shown when the URL names none
   trackreport.runsColumns.parseList(text) / formatList(ids)   the `columns` fragment value
   trackreport.runsColumns.comparator(payload, col, asc)  → comparator of run records
   column: {id, kind: "attr"|"metric"|"sysmetric"|"param"|"tag", key, label, group,
            orderKey (the URL's orderByKey), csv (CSV header), value(run), text(run), num} */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var MAX_METRICS = 20, MAX_PARAMS = 12;

  function q(key) { return "`" + String(key).replace(/`/g, "``") + "`"; }

  function tagIndex(payload, key) { return (payload.tags || []).indexOf(key); }
  function tagGetter(payload, key) {
    var i = tagIndex(payload, key);
    return function (run) { return i < 0 || !run.tags ? null : run.tags[i] === undefined ? null : run.tags[i]; };
  }

  var numFmt = {};
  // "" for a missing value, NaN and ±inf as runs.csv writes them; null for a finite number
  function special(v) {
    if (v === null || v === undefined) return "";
    if (isNaN(v)) return "NaN";
    if (v === Infinity) return "inf";
    return v === -Infinity ? "-inf" : null;
  }
  function fmtNum(v) {
    v = tr.num(v);
    if (special(v) !== null) return special(v);
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    var a = Math.abs(v);
    if (a !== 0 && (a < 1e-3 || a >= 1e7)) return v.toExponential(3).replace(/\.?0+e/, "e");
    return String(Number(v.toPrecision(5)));
  }
  function fmtTime(ms) {
    if (ms === null || ms === undefined) return "";
    numFmt.time = numFmt.time || new Intl.DateTimeFormat(undefined,
      {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit"});
    var d = tr.date(ms);
    return d ? numFmt.time.format(d) : String(ms);
  }
  function fmtDuration(ms) {
    if (ms === null || ms === undefined) return "";
    var s = ms / 1000;
    if (ms < 1000) return Math.round(ms) + " ms";
    if (s < 60) return (s < 10 ? s.toFixed(1) : Math.round(s)) + " s";
    var m = Math.floor(s / 60);
    if (m < 60) return m + " min " + Math.round(s % 60) + " s";
    var h = Math.floor(m / 60);
    if (h < 48) return h + " h " + (m % 60) + " min";
    return Math.floor(h / 24) + " d " + (h % 24) + " h";
  }
  // A run without an end: live while it did something within a day of the reader's clock (as
  // app.js judges the static pages) and not judged stale by the build (`stale`: silent for a
  // day before the store's newest activity); without a last activity the cell only says no
  // end was recorded.
  var STALE_MS = 24 * 3600 * 1000;
  var human = function (ms) { return tr.human(ms); };
  function running(r) {
    var last = r.last_activity;
    if (r.start_time === null || r.start_time === undefined || !last) return "no end recorded";
    if (r.stale || Date.now() - last > STALE_MS) return "at least " + human(last - r.start_time) + " (no end recorded)";
    return "running for " + human(Date.now() - r.start_time);
  }
  // As runs.csv writes times (pandas' UTC datetimes) and numbers.
  function csvTime(ms) {
    if (ms === null || ms === undefined) return "";
    var d = tr.date(ms);
    return d ? d.toISOString().replace("T", " ").replace("Z", "+00:00") : String(ms);
  }
  function csvNum(v) {
    v = tr.num(v);
    if (special(v) !== null) return special(v);
    var s = String(v);
    return Number.isInteger(v) && !/e/.test(s) ? s + ".0" : s;
  }
  function str(v) { return v === null || v === undefined ? "" : String(v); }

  /** Every column of the payload. Attributes first, then metrics (those with a history
      first), system metrics, params and tags — each group in key order. */
  function all(payload) {
    var cols = [];
    var user = tagGetter(payload, "mlflow.user"), source = tagGetter(payload, "mlflow.source.name");
    var commit = tagGetter(payload, "mlflow.source.git.commit"), runName = tagGetter(payload, "mlflow.runName");
    function attr(id, label, value, extra) {
      var c = {id: id, kind: "attr", key: id, label: label, group: "Attributes", value: value};
      Object.keys(extra || {}).forEach(function (k) { c[k] = extra[k]; });
      c.text = c.text || function (run) { return str(value(run)); };
      c.csvValue = c.csvValue || function (run) { return str(value(run)); };
      cols.push(c);
    }
    attr("run_name", "Run name", function (r) { return r.run_name === null || r.run_name === undefined ? runName(r) : r.run_name; },
      {orderKey: "attributes.run_name", csv: "tags.mlflow.runName", fixed: true});
    attr("status", "Status", function (r) { return r.status; }, {orderKey: "attributes.status", csv: "status"});
    attr("created", "Created", function (r) { return r.start_time; },
      {orderKey: "attributes.start_time", csv: "start_time", text: function (r) { return fmtTime(r.start_time); },
        title: function (r) { var d = tr.date(r.start_time); return d ? d.toISOString() : ""; },
        csvValue: function (r) { return csvTime(r.start_time); }, num: true});
    function duration(r) {
      return r.start_time !== null && r.start_time !== undefined && r.end_time !== null && r.end_time !== undefined
        ? r.end_time - r.start_time : null;
    }
    attr("duration", "Duration", duration, {orderKey: "duration", csv: "duration_ms", num: true,
      text: function (r) { return r.status === "RUNNING" && duration(r) === null ? running(r) : fmtDuration(duration(r)); }});
    attr("user", "User", function (r) { return r.user_id === null || r.user_id === undefined ? user(r) : r.user_id; },
      {orderKey: "attributes.user_id", csv: "tags.mlflow.user"});
    attr("source", "Source", source, {orderKey: "tags." + q("mlflow.source.name"), csv: "tags.mlflow.source.name",
      text: function (r) { return str(source(r)).split("/").pop(); }, title: function (r) { return str(source(r)); }});
    attr("version", "Version", commit, {orderKey: "tags." + q("mlflow.source.git.commit"), csv: "tags.mlflow.source.git.commit",
      text: function (r) { return str(commit(r)).slice(0, 8); }, title: function (r) { return str(commit(r)); }});
    function datasets(r) {
      return (r.datasets || []).map(function (d) { return d[0] + (d[2] ? " (" + d[2] + ")" : ""); }).join(", ") || null;
    }
    attr("datasets", "Datasets", datasets, {orderKey: "datasets", csv: "datasets"});
    attr("end_time", "Ended", function (r) { return r.end_time; },
      {orderKey: "attributes.end_time", csv: "end_time", text: function (r) { return fmtTime(r.end_time); },
        csvValue: function (r) { return csvTime(r.end_time); }, num: true});
    attr("run_id", "Run ID", function (r) { return r.run_id; }, {orderKey: "attributes.run_id", csv: "run_id"});
    attr("parent", "Parent run", function (r) { return r.parent_run_id; },
      {orderKey: "tags." + q("mlflow.parentRunId"), csv: "tags.mlflow.parentRunId"});
    attr("artifact_uri", "Artifact URI", function (r) { return r.artifact_uri; },
      {orderKey: "attributes.artifact_uri", csv: "artifact_uri"});
    attr("lifecycle_stage", "Lifecycle stage", function (r) { return r.lifecycle_stage; },
      {orderKey: "lifecycle_stage", csv: "lifecycle_stage"});

    function keyed(kind, list, prefix, group, i) {
      var key = list[i], values = kind === "param" ? "params" : kind === "tag" ? "tags" : "metrics";
      var c = {id: prefix + "." + q(key), kind: kind, key: key, label: key, group: group,
        orderKey: prefix + "." + q(key), csv: prefix + "." + key, num: values === "metrics",
        value: function (r) { var v = r[values] ? r[values][i] : null; return v === undefined ? null : v; }};
      if (c.num) {
        c.text = function (r) { return fmtNum(c.value(r)); };
        c.title = function (r) { var v = c.value(r); return v === null ? "" : String(tr.num(v)); };
        c.csvValue = function (r) { return csvNum(c.value(r)); };
        c.points = (payload.metric_points || [])[i] || 0;
      } else {
        c.text = c.csvValue = function (r) { return str(c.value(r)); };
      }
      return c;
    }
    var metrics = (payload.metrics || []).map(function (k, i) {
      var sys = k.indexOf("system/") === 0;
      return keyed(sys ? "sysmetric" : "metric", payload.metrics, "metrics", sys ? "System metrics" : "Metrics", i);
    });
    // metrics with a history (points > 1) first, each part in key order (stable sort)
    var mine = metrics.filter(function (c) { return c.kind === "metric"; });
    mine = mine.filter(function (c) { return c.points > 1; }).concat(mine.filter(function (c) { return c.points <= 1; }));
    cols = cols.concat(mine, metrics.filter(function (c) { return c.kind === "sysmetric"; }));
    (payload.params || []).forEach(function (k, i) { cols.push(keyed("param", payload.params, "params", "Params", i)); });
    (payload.tags || []).forEach(function (k, i) { cols.push(keyed("tag", payload.tags, "tags", "Tags", i)); });
    return cols;
  }

  /** How many distinct values a param takes (a run lacking it counts as one more value). */
  function distinct(payload, i) {
    var seen = Object.create(null), n = 0, missing = 0;
    var runs = payload.runs || [];
    for (var r = 0; r < runs.length; r++) {
      var v = runs[r].params ? runs[r].params[i] : null;
      if (v === null || v === undefined) { missing = 1; continue; }
      if (!seen[v]) { seen[v] = true; n++; }
    }
    return {values: n, missing: missing};
  }

  /** The columns shown when the URL names none: Status, Created, Duration, User, Source,
      Version (and Datasets when a run has one); metrics with a history then the others (up
      to 20); params that vary across runs — different values first, then present in some runs
      only (up to 12). System metrics and tags: chosen in the chooser. */
  function defaults(payload, cols) {
    // Few attributes, so that the metrics come right after them (user, source and version are
    // one click away in the chooser); then metrics (with a history first) and varying params.
    var ids = ["status", "created", "duration"];
    if ((payload.runs || []).some(function (r) { return r.datasets && r.datasets.length; })) ids.push("datasets");
    ids = ids.concat(cols.filter(function (c) { return c.kind === "metric"; }).slice(0, MAX_METRICS)
      .map(function (c) { return c.id; }));
    var varied = [], partly = [];
    (payload.params || []).forEach(function (k, i) {
      var d = distinct(payload, i);
      if (d.values > 1) varied.push(i);
      else if (d.missing && d.values) partly.push(i);
    });
    var params = cols.filter(function (c) { return c.kind === "param"; });
    ids = ids.concat(varied.concat(partly).slice(0, MAX_PARAMS).map(function (i) { return params[i].id; }));
    return ids;
  }

  /** The `columns` fragment value: ids joined by commas (commas inside backticks kept). */
  function parseList(text) {
    var out = [], cur = "", inTick = false;
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      if (ch === "`") inTick = !inTick;
      if (ch === "," && !inTick) { if (cur) out.push(cur); cur = ""; } else cur += ch;
    }
    if (cur) out.push(cur);
    return out.map(normalizeId);
  }
  function formatList(ids) { return ids.join(","); }
  /** "metrics.val_loss" → "metrics.`val_loss`" (the key form MLflow's UI writes). */
  function normalizeId(id) {
    var m = /^(metrics|params|tags)\.(.*)$/.exec(id);
    if (!m || /^`[\s\S]*`$/.test(m[2])) return id;
    return m[1] + "." + q(m[2]);
  }

  function defaultOrder(a, b) { return tr.search.defaultOrder(a, b); }
  /** A comparator with MLflow's order_by semantics (trackreport.search.order) for the
      columns MLflow can order by; the others (duration, datasets, lifecycle stage) the same
      way: missing values last in both directions, ties in MLflow's default order. */
  function comparator(payload, col, asc) {
    if (!col) return defaultOrder;
    if (/^(attributes|metrics|params|tags)\./.test(col.orderKey)) return tr.search.order(payload, col.orderKey, asc);
    var sign = asc ? 1 : -1;
    return function (a, b) {
      var x = col.value(a), y = col.value(b);
      if ((x === null) !== (y === null)) return x === null ? 1 : -1;
      var c = x === null || x === y ? 0 : sign * (x < y ? -1 : 1);
      return c || defaultOrder(a, b);
    };
  }

  tr.runsColumns = {
    all: all, defaults: defaults, parseList: parseList, formatList: formatList, normalizeId: normalizeId,
    comparator: comparator, fmtNum: fmtNum, quote: q, MAX_METRICS: MAX_METRICS, MAX_PARAMS: MAX_PARAMS
  };
})();
