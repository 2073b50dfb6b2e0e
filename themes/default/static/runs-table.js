/* trackreport runs table, part 3 of 3: the experiment page's interactive table of every run
   (runs.js), replacing the static first rows. Only the rows in view are in the DOM (virtual
   scrolling: fixed row height, spacer rows); the view is the URL fragment (runs-view.js).
   Keyboard: the grid is one tab stop (aria-activedescendant); arrows, Home/End (Ctrl: first/
   last row), PageUp/PageDown move; Space ticks the row (in the header: every run in view);
   Enter opens the run or sorts by the header; + / - open and close a parent's children.
   Classic script, needs core.js, vgrid.js, search.js, runs-columns.js, runs-view.js, runs-chooser.js,
   runs-toolbar.js.

   trackreport.runsTable.viewIds()  ordered run ids of the whole view (not only rendered rows)
   trackreport.runsTable.error()    the filter's error (MLflow's reason) or null
   trackreport.runsTable.csv()      the CSV "Download CSV of this view" saves
   trackreport.runsTable.columns()  ids of the columns shown */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var app = document.getElementById("runs-app");
  var payload = tr.get && tr.get("runs");
  if (!app || !payload || !tr.search || !tr.runsView || !tr.runsColumns || !tr.runsToolbar ||
    !tr.vgrid) return;
  var t0 = performance.now();
  var el = function (tag, attrs, text) { return tr.el(tag, attrs, text); };
  var RC = tr.runsColumns, RV = tr.runsView;
  var narrow = window.matchMedia("(max-width: 640px)");
  var runHref = app.getAttribute("data-run-href") || "runs/{run_id}/index.html";
  var compareHref = app.getAttribute("data-compare-href") || "compare.html";

  var columns = RC.all(payload), byId = Object.create(null);
  columns.forEach(function (c) { byId[c.id] = c; });
  var defaults = RC.defaults(payload, columns);
  var state = RV.parse(), view = null, shown = [];
  var hash = tr.vgrid.fragment({format: function () { return RV.format(state); },
    follow: function () { state = RV.parse(); }, update: update});
  var change = hash.change;

  // ---- the toolbar (runs-toolbar.js) ----
  var ui = tr.runsToolbar.build(app, payload);
  var input = ui.input, chips = ui.chips;

  // ---- the grid ----
  var parts = tr.vgrid.table(app, "rt-scroll", {id: "rt-grid", "class": "rt-grid", role: "grid", tabindex: "0",
    "aria-label": "Runs", "aria-multiselectable": "true"},
    "Keys in the table: arrows, Home/End, Page Up/Down move; Space selects a run (in the header: every run in view); " +
    "Enter opens a run or sorts by a column; + and − open and close a parent's child runs.");
  var scroller = parts.scroller, grid = parts.grid, colgroup = parts.colgroup, thead = parts.thead, tbody = parts.tbody;

  function visibleColumns() {
    var ids = state.columns === null ? defaults : state.columns;
    var set = new Set(ids);
    return columns.filter(function (c) { return !c.fixed && set.has(c.id); });
  }
  function gridColumns() { return [null, byId.run_name].concat(shown); }

  // ---- view ----
  function update() {
    view = RV.compute(payload, columns, state, Date.now());
    shown = visibleColumns();
    tr.runsToolbar.show(ui, state, view, {compareHref: compareHref, columns: columns, shown: shown,
      openChooser: openChooser});
    header();
    vg.refresh();
  }

  function sortState(c) {
    return tr.vgrid.sortState(c, view.sortColumn || (!state.orderByKey ? byId.created : null), state);
  }

  function header() {
    colgroup.textContent = "";
    thead.textContent = "";
    var tr0 = el("tr", {role: "row", "aria-rowindex": "1"}), width = 0;
    gridColumns().forEach(function (c, i) {
      var w = i === 0 ? 40 : i === 1 ? (narrow.matches ? 150 : 240) : c.id === "created" || c.id === "end_time" ? 175 : c.num ? 120 : c.id === "status" ? 110 : 160;
      width += w;
      var col = el("col");
      col.style.width = w + "px";
      colgroup.appendChild(col);
      var th = el("th", {role: "columnheader", id: "rt-h-" + i, "aria-colindex": String(i + 1), scope: "col",
        "class": (i === 0 ? "rt-check" : i === 1 ? "rt-name" : "") + (c && c.num ? " n" : "")});
      if (i === 0) {
        var all = el("input", {type: "checkbox", tabindex: "-1", "aria-label": "Select every run in view"});
        var inView = view.ordered.filter(function (r) { return !r.context; });
        var sel = new Set(state.selected);
        var on = inView.filter(function (r) { return sel.has(r.run.run_id); }).length;
        all.checked = on > 0 && on === inView.length;
        all.indeterminate = on > 0 && on < inView.length;
        all.addEventListener("click", function (e) { e.stopPropagation(); selectAll(); });
        th.appendChild(all);
      } else {
        var sort = sortState(c);
        if (sort) th.setAttribute("aria-sort", sort);
        th.setAttribute("title", (c.kind === "attr" ? c.label : c.group.replace(/s$/, "").toLowerCase() + " " + c.key) +
          " — sort by " + c.orderKey);
        if (c.kind !== "attr") th.appendChild(el("span", {"class": "kind"}, c.kind === "sysmetric" ? "system" : c.kind));
        th.appendChild(el("span", {"class": "rt-label"}, c.label));
        th.addEventListener("click", function () { vg.setActive(-1, i); sortBy(c); });
      }
      tr0.appendChild(th);
    });
    thead.appendChild(tr0);
    grid.style.width = width + "px";
  }

  var vg = tr.vgrid.create({scroller: scroller, grid: grid, thead: thead, tbody: tbody, prefix: "rt", pinned: 2,
    startColumn: 1, printRows: 2000, empty: "No run matches.", key: key,
    rows: function () { return view.rows; },
    columns: function () { return gridColumns().length; },
    prepare: function () { return {cols: gridColumns(), sel: new Set(state.selected)}; },
    row: function (entry, i, ctx) { return row(entry, i, ctx.cols, ctx.sel); }});
  var cellId = vg.cellId;

  function row(entry, i, cols, sel) {
    var r = entry.run, id = r.run_id;
    var tr1 = el("tr", {role: "row", "class": "rt-row" + (entry.context ? " rt-context" : "") + (entry.depth ? " rt-child" : ""),
      "data-run-id": id, "aria-rowindex": String(i + 2), "aria-selected": String(sel.has(id)),
      "data-status": String(r.status || "").toLowerCase()});
    cols.forEach(function (c, j) {
      var td = el("td", {role: "gridcell", id: cellId(i, j), "aria-colindex": String(j + 1)});
      if (j === 0) {
        td.className = "rt-check";
        var box = el("input", {type: "checkbox", tabindex: "-1", "aria-label": "Select run " + (r.run_name || id)});
        box.checked = sel.has(id);
        box.addEventListener("click", function (e) { e.stopPropagation(); toggle(id); });
        td.appendChild(box);
      } else if (j === 1) {
        td.className = "rt-name";
        td.style.setProperty("--depth", String(entry.depth));
        if (entry.kids) {
          var tg = el("button", {type: "button", tabindex: "-1", "class": "rt-twisty", "aria-expanded": String(entry.open),
            "aria-label": (entry.open ? "Hide " : "Show ") + entry.kids + " child run" + (entry.kids === 1 ? "" : "s")},
          entry.open ? "▾" : "▸");
          tg.addEventListener("click", function (e) { e.stopPropagation(); openGroup(id, !entry.open); });
          td.appendChild(tg);
        } else if (entry.depth) {
          // a grid's rows have no aria-level (a treegrid's have): the depth is said in words
          td.appendChild(el("span", {"class": "rt-tree", "aria-hidden": "true"}, "└"));
          td.appendChild(el("span", {"class": "sr-only"}, "child run "));
        }
        var name = c.value(r);
        td.appendChild(el("a", {href: runHref.replace("{run_id}", encodeURIComponent(id)), tabindex: "-1",
          title: name || id}, name || id));
        if (entry.kids) td.appendChild(el("span", {"class": "muted small"}, " (" + entry.kids + ")"));
        if (entry.context) td.appendChild(el("span", {"class": "rt-ctx small", title: "Does not match the filter: shown as the parent of runs that do"}, " parent"));
        if (r.lifecycle_stage === "deleted") td.appendChild(el("span", {"class": "badge deleted"}, "deleted"));
      } else {
        if (c.num) td.className = "n";
        if (c.id === "status") {
          var st = String(r.status || "").toLowerCase();
          td.appendChild(el("span", {"class": "badge status-" + st}, st));
        } else {
          var text = c.text(r);
          td.textContent = text;
          var title = c.title ? c.title(r) : text;
          if (title) td.title = title;
        }
      }
      tr1.appendChild(td);
    });
    return tr1;
  }

  // ---- actions ----
  function sortBy(c) {
    var cur = sortState(c);
    state.orderByKey = c.orderKey;
    state.orderByAsc = cur ? cur === "descending" : !c.num;
    if (c.id === "created" && !cur) state.orderByAsc = false;
    change(true);
  }
  function toggle(id) {
    var i = state.selected.indexOf(id);
    if (i >= 0) state.selected.splice(i, 1); else state.selected.push(id);
    change(true);
  }
  function selectAll() {
    var ids = view.ordered.filter(function (r) { return !r.context; }).map(function (r) { return r.run.run_id; });
    var sel = new Set(state.selected);
    if (ids.length && ids.every(function (x) { return sel.has(x); })) {
      ids.forEach(function (x) { sel.delete(x); });
      state.selected = state.selected.filter(function (x) { return sel.has(x); });
    } else {
      ids.forEach(function (x) { if (!sel.has(x)) { sel.add(x); state.selected.push(x); } });
    }
    change(true);
  }
  function openGroup(id, open) {
    var i = state.collapsed.indexOf(id);
    if (open && i >= 0) state.collapsed.splice(i, 1);
    else if (!open && i < 0) state.collapsed.push(id);
    else return;
    change(true);
  }
  function openChooser(opener) {
    var pushed = false;
    tr.runsChooser.open({columns: columns, shown: new Set(shown.map(function (c) { return c.id; })), defaults: defaults,
      opener: opener, onChange: function (ids) {
        state.columns = ids;
        change(!pushed);
        pushed = true;
      }});
  }

  hash.bindInput(input, function (v) { state.filter = v; });
  tr.vgrid.chipToggle(chips, "data-status", function () { return state.status; },
    function (list) { state.status = list; change(true); });
  ui.timeSel.addEventListener("change", function () { state.startTime = ui.timeSel.value; change(true); });
  ui.nestBtn.addEventListener("click", function () { state.nested = !view.nested; change(true); });
  ui.colBtn.addEventListener("click", function () { openChooser(ui.colBtn); });
  ui.clearSel.addEventListener("click", function () { state.selected = []; change(true); });
  ui.csvBtn.addEventListener("click", function () {
    var blob = new Blob([csv()], {type: "text/csv;charset=utf-8"});
    var a = el("a", {href: URL.createObjectURL(blob),
      download: String(payload.experiment_name || payload.experiment_id).replace(/[\\/:*?"<>|\s]+/g, "_") + "-runs-view.csv"});
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 60000);
  });

  // ---- CSV of the view: the runs that pass the filters, in view order, the columns shown ----
  function csvField(v) {
    var s = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(s) ? "\"" + s.replace(/"/g, "\"\"") + "\"" : s;
  }
  function csv() {
    var cols = [byId.run_name].concat(shown.filter(function (c) { return c.id !== "run_id"; }));
    var lines = [["run_id"].concat(cols.map(function (c) { return c.csv; })).map(csvField).join(",")];
    view.ordered.forEach(function (e) {
      if (e.context) return;
      lines.push([e.run.run_id].concat(cols.map(function (c) { return c.csvValue(e.run); })).map(csvField).join(","));
    });
    return lines.join("\n") + "\n";
  }

  // ---- keyboard (vgrid.js moves the active cell): Space, Enter, + and - ----
  function key(e, r, c) {
    var entry = r >= 0 ? view.rows[r] : null;
    switch (e.key) {
      case " ":
        if (r < 0) { if (c === 0) selectAll(); else sortBy(gridColumns()[c]); } else if (entry) toggle(entry.run.run_id);
        break;
      case "Enter":
        if (r < 0) { if (c === 0) selectAll(); else sortBy(gridColumns()[c]); } else if (entry) {
          if (c === 0) toggle(entry.run.run_id);
          else location.href = runHref.replace("{run_id}", encodeURIComponent(entry.run.run_id));
        }
        break;
      case "+": if (entry && entry.kids) openGroup(entry.run.run_id, true); break;
      case "-": if (entry && entry.kids) openGroup(entry.run.run_id, false); break;
      default: return false;
    }
    return true;
  }

  // ---- start: the static table gives way to this one ----
  var staticTable = document.getElementById("runs-static");
  if (staticTable) staticTable.remove();
  app.hidden = false;
  update();
  tr.runsTable = {
    viewIds: function () { return view.rows.map(function (e) { return e.run.run_id; }); },
    error: function () { return view.error; },
    csv: csv,
    columns: function () { return shown.map(function (c) { return c.id; }); },
    state: function () { return JSON.parse(JSON.stringify(state)); },
    firstRowsMs: performance.now() - t0
  };
})();
