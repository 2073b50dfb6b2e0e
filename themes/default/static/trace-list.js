/* trackreport trace list: an experiment's traces (traces.js, registered as "traces") as an
   interactive table replacing the static first rows. Only the rows in view are in the DOM
   (virtual rows: fixed row height, spacer rows, as the runs table); the view is the URL
   fragment: searchFilter (MLflow's trace search syntax, trace-search.js), orderByKey (an order
   key MLflow's search_traces accepts, e.g. attributes.execution_time_ms; or span_count,
   assessments), orderByAsc, state (states joined by ",").
   Keyboard: the grid is one tab stop (aria-activedescendant); arrows, Home/End (Ctrl: first/last
   row), PageUp/PageDown move; Enter opens the trace, or sorts by the column in the header.
   Classic script, needs core.js, vgrid.js, search.js, trace-search.js, trace-values.js.

   trackreport.traceList.viewIds()  ordered trace ids of the view     .error() the filter's error */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var app = document.getElementById("traces-app");
  var payload = tr.get && tr.get("traces");
  if (!app || !payload || !tr.traceSearch || !tr.traceValues || !tr.vgrid) return;
  var TS = tr.traceSearch, el = tr.el;
  var t0 = performance.now();
  var STATES = ["OK", "ERROR", "IN_PROGRESS"];
  var traceHref = app.getAttribute("data-trace-href") || "{trace_id}/index.html";
  var runHref = app.getAttribute("data-run-href") || "../runs/{run_id}/index.html";
  var traces = payload.traces || [];

  var fmtTime = tr.traceValues.time, fmtDur = tr.traceValues.duration;
  function assessText(a) {
    var v = a.value;
    return a.name + ": " + (typeof v === "string" ? v : JSON.stringify(v === undefined ? null : v));
  }

  // columns: id, label, order key (fragment), value for sorting, width, render
  var COLUMNS = [
    {id: "name", label: "Trace", key: "attributes.name", w: 220, value: function (t) { return t.name || null; }},
    {id: "request_time", label: "Request time", key: "attributes.timestamp_ms", w: 170,
      value: function (t) { return t.request_time; }, text: function (t) { return fmtTime(t.request_time); }},
    {id: "state", label: "State", key: "attributes.status", w: 110, value: function (t) { return t.state || null; }},
    {id: "duration", label: "Duration", key: "attributes.execution_time_ms", w: 100, num: true,
      value: function (t) { return t.execution_duration; }, text: function (t) { return fmtDur(t.execution_duration); }},
    {id: "spans", label: "Spans", key: "span_count", w: 70, num: true, value: function (t) { return t.span_count; },
      text: function (t) { return t.span_count === null || t.span_count === undefined ? "" : String(t.span_count); }},
    {id: "request", label: "Request", w: 240, text: function (t) { return t.request_preview || ""; }},
    {id: "response", label: "Response", w: 240, text: function (t) { return t.response_preview || ""; }},
    {id: "run", label: "Run", key: "attributes.run_id", w: 110, value: function (t) { return t.run_id || null; }},
    {id: "assessments", label: "Assessments", key: "assessments", w: 220,
      value: function (t) { return (t.assessments || []).length || null; },
      text: function (t) { return (t.assessments || []).map(assessText).join(" · "); }},
    {id: "tags", label: "Tags", w: 200, text: function (t) {
      var tags = t.tags || {};
      return Object.keys(tags).filter(function (k) { return k.indexOf("mlflow.") !== 0; }).sort()
        .map(function (k) { return k + "=" + tags[k]; }).join(" · ");
    }}
  ];

  function columnFor(key) {
    if (!key) return null;
    var want = null;
    try { var o = TS.parseOrderKey(key); want = o.type + ":" + o.key; } catch (e) { /* our own key */ }
    for (var i = 0; i < COLUMNS.length; i++) {
      var c = COLUMNS[i];
      if (!c.key) continue;
      if (c.key === key) return c;
      if (want && c.key.indexOf(".") > 0) {
        var p = TS.parseOrderKey(c.key);
        if (p.type + ":" + p.key === want) return c;
      }
    }
    return null;
  }

  // ---- view state (the URL fragment) ----
  function parseState() {
    var f = tr.fragment.parse();
    return {filter: f.searchFilter || "", orderByKey: f.orderByKey || "",
      orderByAsc: tr.fragment.bool(f.orderByAsc, false),
      states: f.state ? f.state.split(",").filter(Boolean).map(function (s) { return s.toUpperCase(); }) : []};
  }
  function formatState(s) {
    return tr.fragment.format({searchFilter: s.filter, orderByKey: s.orderByKey,
      orderByAsc: s.orderByKey ? String(!!s.orderByAsc) : "", state: s.states.join(",")});
  }
  var state = parseState(), view = null;
  var hash = tr.vgrid.fragment({format: function () { return formatState(state); },
    follow: function () { state = parseState(); }, update: update});

  function compute() {
    var res = TS.apply(payload, state.filter), error = res.error, rows = error ? traces : res.traces;
    var matched = rows.length;
    if (state.states.length) rows = rows.filter(function (t) { return state.states.indexOf(t.state) >= 0; });
    var col = columnFor(state.orderByKey), cmp = TS.defaultOrder;
    if (col) cmp = TS.order(col.value, state.orderByAsc);
    else if (state.orderByKey) { try { cmp = TS.order(state.orderByKey, state.orderByAsc); } catch (e) { cmp = TS.defaultOrder; } }
    rows = rows.slice().sort(cmp);
    return {rows: rows, error: error, matched: matched, sortColumn: col, text: res.text};
  }

  // ---- toolbar ----
  var present = Object.create(null);
  traces.forEach(function (t) { present[t.state] = (present[t.state] || 0) + 1; });
  var top = tr.vgrid.searchBar({prefix: "tl", placeholder: "status = 'ERROR', tags.env = 'prod', execution_time_ms > 1000, or any text",
    describedby: "tl-error tl-applied tl-count", chipsLabel: "State", attr: "data-state", counts: present, known: STATES});
  var bar = top.bar, input = top.input, chips = top.chips;
  app.appendChild(bar);
  var errorBox = el("p", {id: "tl-error", "class": "rt-error", role: "alert"});
  var applied = el("p", {id: "tl-applied", "class": "rt-applied muted small", "aria-live": "polite"});
  var count = el("p", {id: "tl-count", "class": "rt-count muted small", "aria-live": "polite"});
  app.appendChild(errorBox);
  app.appendChild(applied);
  app.appendChild(count);

  // ---- grid ----
  var parts = tr.vgrid.table(app, "rt-scroll tl-scroll", {id: "tl-grid", "class": "rt-grid tl-grid", role: "grid",
    tabindex: "0", "aria-label": "Traces"},
    "Keys in the table: arrows, Home/End, Page Up/Down move; Enter opens a trace or sorts by a column.");
  var scroller = parts.scroller, grid = parts.grid, colgroup = parts.colgroup, thead = parts.thead, tbody = parts.tbody;

  function sortState(c) {
    return tr.vgrid.sortState(c, view.sortColumn || (!state.orderByKey ? COLUMNS[1] : null), state);
  }
  function header() {
    colgroup.textContent = "";
    thead.textContent = "";
    var row = el("tr", {role: "row", "aria-rowindex": "1"}), width = 0;
    COLUMNS.forEach(function (c, i) {
      width += c.w;
      var col = el("col");
      col.style.width = c.w + "px";
      colgroup.appendChild(col);
      var th = el("th", {role: "columnheader", id: "tl-h-" + i, "aria-colindex": String(i + 1), scope: "col",
        "class": (c.num ? "n" : "") + (c.key ? " tl-sortable" : "") + (c.id === "name" ? " tl-name" : "")});
      th.appendChild(el("span", {"class": "rt-label"}, c.label));
      if (c.key) {
        var s = sortState(c);
        if (s) th.setAttribute("aria-sort", s);
        th.title = "Sort by " + c.key;
        th.addEventListener("click", function () { vg.setActive(-1, i); sortBy(c); });
      }
      row.appendChild(th);
    });
    thead.appendChild(row);
    grid.style.width = width + "px";
  }
  function href(t) { return traceHref.replace("{trace_id}", encodeURIComponent(t.trace_id)); }

  function rowEl(t, i) {
    var row = el("tr", {role: "row", "class": "rt-row tl-row", "data-trace-id": t.trace_id, "aria-rowindex": String(i + 2),
      "data-state": String(t.state || "").toLowerCase()});
    COLUMNS.forEach(function (c, j) {
      var td = el("td", {role: "gridcell", id: cellId(i, j), "aria-colindex": String(j + 1)});
      if (c.num) td.className = "n";
      if (c.id === "name") {
        td.className = "tl-name";
        td.appendChild(el("a", {href: href(t), tabindex: "-1", title: t.trace_id}, t.name || t.trace_id));
      } else if (c.id === "state") {
        var st = String(t.state || "").toLowerCase();
        td.appendChild(el("span", {"class": "badge trace-state-" + st}, st.replace("_", " ")));
      } else if (c.id === "run") {
        if (t.run_id) {
          td.appendChild(el("a", {href: runHref.replace("{run_id}", encodeURIComponent(t.run_id)), tabindex: "-1",
            "class": "mono", title: t.run_id}, t.run_id.slice(0, 8)));
        }
      } else {
        var text = c.text ? c.text(t) : String(c.value(t) === null ? "" : c.value(t));
        td.textContent = text;
        if (text) td.title = text.length > 2000 ? text.slice(0, 2000) + "…" : text;
        if (c.id === "request_time") { var d = tr.date(t.request_time); td.title = d ? d.toISOString() : text; }
      }
      row.appendChild(td);
    });
    return row;
  }

  var vg = tr.vgrid.create({scroller: scroller, grid: grid, thead: thead, tbody: tbody, prefix: "tl",
    empty: "No trace matches.", key: key, rows: function () { return view.rows; },
    columns: function () { return COLUMNS.length; }, row: rowEl});
  var cellId = vg.cellId;

  function update() {
    view = compute();
    if (input.value.trim() !== state.filter.trim()) input.value = state.filter;
    errorBox.textContent = view.error ? "Invalid filter: " + view.error + " — showing every trace." : "";
    errorBox.hidden = !view.error;
    applied.textContent = view.text ? "Not a filter: searching trace names, ids, requests, responses, runs and tags for “" +
      state.filter.trim() + "”" : "";
    input.setAttribute("aria-invalid", view.error ? "true" : "false");
    count.textContent = view.rows.length === traces.length ? traces.length + " traces"
      : view.rows.length + " of " + traces.length + " traces";
    Array.prototype.forEach.call(chips.children, function (b) {
      var st = b.getAttribute("data-state");
      b.setAttribute("aria-pressed", String(st ? state.states.indexOf(st) >= 0 : !state.states.length));
    });
    header();
    vg.refresh();
  }

  function sortBy(c) {
    var cur = sortState(c);
    state.orderByKey = c.key;
    state.orderByAsc = cur ? cur === "descending" : !c.num && c.id !== "request_time";
    hash.change(true);
  }
  hash.bindInput(input, function (v) { state.filter = v; });
  tr.vgrid.chipToggle(chips, "data-state", function () { return state.states; },
    function (list) { state.states = list; hash.change(true); });

  // ---- keyboard (vgrid.js moves the active cell): Enter and Space ----
  function key(e, r, c) {
    if (e.key !== "Enter" && e.key !== " ") return false;
    if (r < 0) { if (COLUMNS[c].key) sortBy(COLUMNS[c]); } else if (e.key === "Enter" && view.rows[r]) {
      var link = COLUMNS[c].id === "run" ? document.querySelector("#" + cellId(r, c) + " a") : null;
      location.href = link ? link.getAttribute("href") : href(view.rows[r]);
    }
    return true;
  }

  var staticTable = document.getElementById("traces-static");
  if (staticTable) staticTable.remove();
  app.hidden = false;
  update();
  app.setAttribute("data-state", "ready");
  tr.traceList = {
    viewIds: function () { return view.rows.map(function (t) { return t.trace_id; }); },
    error: function () { return view.error; },
    firstRowsMs: performance.now() - t0
  };
})();
