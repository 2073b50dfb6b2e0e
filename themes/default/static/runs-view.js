/* trackreport runs table, part 2 of 3: the view — what the URL fragment says (filter, sort,
   columns, flat/nested, selection, status chips, time range) and which runs it shows in which
   order. No DOM. Classic script, needs core.js, search.js and runs-columns.js.

   Fragment keys (absent = default; MLflow UI's names where it has them):
     searchFilter   the filter box's text (MLflow search syntax, or a run name search)
     orderByKey     MLflow's order_by key, e.g. metrics.`val_loss` (backticks optional);
                    default: attributes.start_time
     orderByAsc     true/false (default false)
     columns        column ids joined by "," (runsColumns ids; "none": run name only)
     nested         true/false (default: true when a run of the experiment has a parent in it)
     selected       run ids joined by ","        collapsed  parent run ids joined by ","
     status         statuses joined by ","       startTime  ALL | LAST_HOUR | LAST_24_HOURS |
                                                 LAST_7_DAYS | LAST_30_DAYS | LAST_YEAR
   trackreport.runsView.parse(hash) → state; .format(state) → fragment text
   trackreport.runsView.compute(payload, columns, state, now) → {rows, ordered, matched, error, applied}
     rows: [{run, depth, context, kids, open}] as shown (collapsed groups closed);
     ordered: the same with every group open; matched: how many runs pass the filters. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var RANGES = {LAST_HOUR: 3600e3, LAST_24_HOURS: 86400e3, LAST_7_DAYS: 7 * 86400e3, LAST_30_DAYS: 30 * 86400e3,
    LAST_YEAR: 365 * 86400e3};
  var RANGE_LABELS = [["ALL", "All time"], ["LAST_HOUR", "Last hour"], ["LAST_24_HOURS", "Last 24 hours"],
    ["LAST_7_DAYS", "Last 7 days"], ["LAST_30_DAYS", "Last 30 days"], ["LAST_YEAR", "Last year"]];

  function list(v) { return v ? v.split(",").filter(Boolean) : []; }

  function parse(hash) {
    var f = tr.fragment.parse(hash);
    return {
      filter: f.searchFilter || "",
      orderByKey: f.orderByKey || "",
      orderByAsc: tr.fragment.bool(f.orderByAsc, false),
      columns: f.columns === undefined || f.columns === "" ? null
        : f.columns === "none" ? [] : tr.runsColumns.parseList(f.columns),
      nested: tr.fragment.bool(f.nested, null),
      selected: list(f.selected),
      collapsed: list(f.collapsed),
      status: list(f.status).map(function (s) { return s.toUpperCase(); }),
      startTime: RANGES[f.startTime] ? f.startTime : "ALL"
    };
  }

  function format(s) {
    return tr.fragment.format({
      searchFilter: s.filter,
      orderByKey: s.orderByKey,
      orderByAsc: s.orderByKey || s.orderByAsc ? String(!!s.orderByAsc) : "",
      columns: s.columns === null ? "" : s.columns.length ? tr.runsColumns.formatList(s.columns) : "none",
      nested: s.nested === null ? "" : String(s.nested),
      selected: s.selected.join(","),
      collapsed: s.collapsed.join(","),
      status: s.status.join(","),
      startTime: s.startTime === "ALL" ? "" : s.startTime
    });
  }

  /** The column the order key names (orderByKey in any form MLflow accepts), or null. */
  function sortColumn(columns, orderKey) {
    if (!orderKey) return null;
    var want;
    try {
      var o = tr.search.parseOrderKey(orderKey);
      want = o.type + ":" + o.key;
    } catch (e) { want = null; }
    for (var i = 0; i < columns.length; i++) {
      var c = columns[i];
      if (c.orderKey === orderKey) return c;
      if (want && /^(attributes|metrics|params|tags)\./.test(c.orderKey)) {
        c.parsedOrder = c.parsedOrder || (function () {
          var p = tr.search.parseOrderKey(c.orderKey);
          return p.type + ":" + p.key;
        })();
        if (c.parsedOrder === want) return c;
      }
    }
    return null;
  }

  function hasNesting(payload) {
    var ids = Object.create(null);
    (payload.runs || []).forEach(function (r) { ids[r.run_id] = true; });
    return (payload.runs || []).some(function (r) { return r.parent_run_id && ids[r.parent_run_id]; });
  }

  function compute(payload, columns, state, now) {
    var runs = payload.runs || [];
    var text = (state.filter || "").trim(), error = null, applied = "", passed = null;
    if (text) {
      var res = tr.search.apply(payload, text);
      applied = res.filter;
      error = res.error;
      if (!error) passed = new Set(res.runs);
    }
    var statuses = state.status.length ? new Set(state.status) : null;
    var since = RANGES[state.startTime] ? (now === undefined ? Date.now() : now) - RANGES[state.startTime] : null;
    var match = new Set(), matched = 0;
    for (var i = 0; i < runs.length; i++) {
      var r = runs[i];
      if (passed && !passed.has(r)) continue;
      if (statuses && !statuses.has(r.status)) continue;
      if (since !== null && (r.start_time === null || r.start_time === undefined || r.start_time < since)) continue;
      match.add(r);
      matched++;
    }
    var col = sortColumn(columns, state.orderByKey);
    var cmp;
    if (col) cmp = tr.runsColumns.comparator(payload, col, state.orderByAsc);
    else if (state.orderByKey) {
      try { cmp = tr.search.order(payload, state.orderByKey, state.orderByAsc); } catch (e) { cmp = null; }
    }
    cmp = cmp || tr.search.defaultOrder;
    var nested = state.nested === null ? hasNesting(payload) : state.nested;
    var ordered = [], rows = [];
    if (!nested) {
      var flat = runs.filter(function (r) { return match.has(r); }).sort(cmp);
      ordered = flat.map(function (r) { return {run: r, depth: 0, context: false, kids: 0, open: false}; });
      rows = ordered;
    } else {
      var byId = Object.create(null), kids = new Map();
      runs.forEach(function (r) { byId[r.run_id] = r; });
      var roots = [];
      runs.forEach(function (r) {
        var p = r.parent_run_id && r.parent_run_id !== r.run_id ? byId[r.parent_run_id] : null;
        if (p) {
          if (!kids.has(p)) kids.set(p, []);
          kids.get(p).push(r);
        } else roots.push(r);
      });
      // best matching member of each subtree (null: none matches); a cycle of parents is cut
      var best = new Map(), seen = new Set();
      var bestOf = function (r) {
        if (best.has(r)) return best.get(r);
        if (seen.has(r)) return null;
        seen.add(r);
        var b = match.has(r) ? r : null;
        (kids.get(r) || []).forEach(function (k) {
          var kb = bestOf(k);
          if (kb && (!b || cmp(kb, b) < 0)) b = kb;
        });
        best.set(r, b);
        return b;
      };
      var byBest = function (a, b) { return cmp(best.get(a), best.get(b)); };
      var collapsed = new Set(state.collapsed), emitted = new Set();
      var emit = function (r, depth, hidden) {
        if (emitted.has(r)) return;
        emitted.add(r);
        var shown = (kids.get(r) || []).filter(bestOf).sort(byBest);
        var open = !collapsed.has(r.run_id);
        var row = {run: r, depth: depth, context: !match.has(r), kids: shown.length, open: open};
        ordered.push(row);
        if (!hidden) rows.push(row);
        shown.forEach(function (k) { emit(k, depth + 1, hidden || !open); });
      };
      roots.filter(bestOf).sort(byBest).forEach(function (r) { emit(r, 0, false); });
    }
    return {rows: rows, ordered: ordered, matched: matched, error: error, applied: applied, nested: nested,
      sortColumn: col, total: runs.length};
  }

  tr.runsView = {parse: parse, format: format, compute: compute, sortColumn: sortColumn, hasNesting: hasNesting,
    RANGE_LABELS: RANGE_LABELS};
})();
