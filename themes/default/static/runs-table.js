/* trackreport runs table, part 3 of 3: the experiment page's interactive table of every run
   (runs.js), replacing the static first rows. Only the rows in view are in the DOM (virtual
   scrolling: fixed row height, spacer rows); the view is the URL fragment (runs-view.js).
   Keyboard: the grid is one tab stop (aria-activedescendant); arrows, Home/End (Ctrl: first/
   last row), PageUp/PageDown move; Space ticks the row (in the header: every run in view);
   Enter opens the run or sorts by the header; + / - open and close a parent's children.
   Classic script, needs core.js, search.js, runs-columns.js, runs-view.js, runs-chooser.js,
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
  if (!app || !payload || !tr.search || !tr.runsView || !tr.runsColumns || !tr.runsToolbar) return;
  var t0 = performance.now();
  var el = function (tag, attrs, text) { return tr.el(tag, attrs, text); };
  var RC = tr.runsColumns, RV = tr.runsView;
  var OVERSCAN = 6;
  var PRINT_ROWS = 2000, printing = false;
  var narrow = window.matchMedia("(max-width: 640px)");
  var runHref = app.getAttribute("data-run-href") || "runs/{run_id}/index.html";
  var compareHref = app.getAttribute("data-compare-href") || "compare.html";

  var columns = RC.all(payload), byId = Object.create(null);
  columns.forEach(function (c) { byId[c.id] = c; });
  var defaults = RC.defaults(payload, columns);
  var state = RV.parse(), view = null, shown = [], rowH = 33, lastHash = location.hash;
  var active = {r: 0, c: 1}, typing = false, range = [-1, -1];

  // ---- the toolbar (runs-toolbar.js) ----
  var ui = tr.runsToolbar.build(app, payload);
  var input = ui.input, chips = ui.chips;

  // ---- the grid ----
  var scroller = el("div", {"class": "rt-scroll"});
  var grid = el("table", {id: "rt-grid", "class": "rt-grid", role: "grid", tabindex: "0", "aria-label": "Runs",
    "aria-multiselectable": "true"});
  var colgroup = el("colgroup"), thead = el("thead"), tbody = el("tbody");
  grid.appendChild(colgroup);
  grid.appendChild(thead);
  grid.appendChild(tbody);
  scroller.appendChild(grid);
  app.appendChild(scroller);
  app.appendChild(el("p", {"class": "rt-keys muted small"},
    "Keys in the table: arrows, Home/End, Page Up/Down move; Space selects a run (in the header: every run in view); " +
    "Enter opens a run or sorts by a column; + and − open and close a parent's child runs."));

  function visibleColumns() {
    var ids = state.columns === null ? defaults : state.columns;
    var set = new Set(ids);
    return columns.filter(function (c) { return !c.fixed && set.has(c.id); });
  }
  function gridColumns() { return [null, byId.run_name].concat(shown); }

  // ---- the URL fragment ----
  function writeHash(push) {
    var frag = RV.format(state);
    var url = location.href.split("#")[0] + (frag ? "#" + frag : "");
    if (url === location.href) return;
    try {
      history[push ? "pushState" : "replaceState"](null, "", url);
    } catch (e) { /* some browsers refuse history on file:// */ location.hash = frag; }
    lastHash = location.hash;
  }
  function change(push) {
    if (push) typing = false;
    writeHash(push);
    update();
  }
  function followHash() {
    if (location.hash === lastHash) return;
    lastHash = location.hash;
    typing = false;
    state = RV.parse();
    update();
  }
  window.addEventListener("hashchange", followHash);
  window.addEventListener("popstate", followHash);

  // ---- view ----
  function update() {
    view = RV.compute(payload, columns, state, Date.now());
    shown = visibleColumns();
    tr.runsToolbar.show(ui, state, view, {compareHref: compareHref, columns: columns, shown: shown,
      openChooser: openChooser});
    header();
    active.r = Math.min(active.r, view.rows.length - 1);
    active.c = Math.min(active.c, gridColumns().length - 1);
    range = [-1, -1];
    grid.setAttribute("aria-rowcount", String(view.rows.length + 1));
    grid.setAttribute("aria-colcount", String(gridColumns().length));
    renderRows();
  }

  function sortState(c) {
    var sc = view.sortColumn || (!state.orderByKey ? byId.created : null);
    if (c !== sc) return null;
    return state.orderByKey ? (state.orderByAsc ? "ascending" : "descending") : "descending";
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
        th.addEventListener("click", function () { setActive(-1, i); sortBy(c); });
      }
      tr0.appendChild(th);
    });
    thead.appendChild(tr0);
    grid.style.width = width + "px";
  }

  function cellId(r, c) { return r < 0 ? "rt-h-" + c : "rt-c-" + r + "-" + c; }

  function renderRows(force) {
    var rows = view.rows, n = rows.length;
    var top = Math.max(0, scroller.scrollTop - thead.offsetHeight);
    var h = scroller.clientHeight || 600;
    var first = Math.max(0, Math.floor(top / rowH) - OVERSCAN);
    var last = Math.min(n, Math.ceil((top + h) / rowH) + OVERSCAN);
    if (printing) { first = 0; last = Math.min(n, PRINT_ROWS); }  // on paper: the view's rows from the top
    if (!force && first === range[0] && last === range[1]) return;
    range = [first, last];
    var frag = document.createDocumentFragment();
    var cols = gridColumns(), span = String(cols.length);
    var spacer = function (px) {
      var s = el("tr", {"class": "rt-spacer", "aria-hidden": "true"});
      var td = el("td", {colspan: span});
      td.style.height = px + "px";
      s.appendChild(td);
      return s;
    };
    if (first > 0) frag.appendChild(spacer(first * rowH));
    var sel = new Set(state.selected);
    for (var i = first; i < last; i++) frag.appendChild(row(rows[i], i, cols, sel));
    if (last < n) frag.appendChild(spacer((n - last) * rowH));
    if (!n) {
      var empty = el("tr", {"class": "rt-empty"});
      empty.appendChild(el("td", {colspan: span}, "No run matches."));
      frag.appendChild(empty);
    }
    tbody.textContent = "";
    tbody.appendChild(frag);
    var measured = tbody.querySelector("tr.rt-row");
    if (measured) {
      var mh = measured.getBoundingClientRect().height;
      if (mh > 0 && Math.abs(mh - rowH) > 0.5) { rowH = mh; renderRows(true); return; }
    }
    markActive();
  }

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

  input.addEventListener("input", function () {
    state.filter = input.value;
    var push = !typing;
    typing = true;
    writeHash(push);
    update();
  });
  input.addEventListener("change", function () { typing = false; });
  chips.addEventListener("click", function (e) {
    var b = e.target.closest("button");
    if (!b) return;
    var st = b.getAttribute("data-status");
    if (!st) state.status = [];
    else if (state.status.indexOf(st) >= 0) state.status = state.status.filter(function (x) { return x !== st; });
    else state.status = state.status.concat([st]);
    change(true);
  });
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

  // ---- keyboard: one tab stop, the active cell is aria-activedescendant ----
  function markActive() {
    var old = grid.querySelector(".rt-active");
    if (old) old.classList.remove("rt-active");
    var cell = document.getElementById(cellId(active.r, active.c));
    if (cell) {
      cell.classList.add("rt-active");
      grid.setAttribute("aria-activedescendant", cell.id);
    } else grid.removeAttribute("aria-activedescendant");
  }
  function setActive(r, c) {
    var n = view.rows.length, m = gridColumns().length;
    active.r = Math.max(-1, Math.min(n - 1, r));
    active.c = Math.max(0, Math.min(m - 1, c));
    if (active.r >= 0) {
      var head = thead.offsetHeight, y = head + active.r * rowH;
      if (y < scroller.scrollTop + head) scroller.scrollTop = y - head;
      else if (y + rowH > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = y + rowH - scroller.clientHeight;
    } else scroller.scrollTop = 0;
    renderRows();
    markActive();
    var cell = document.getElementById(cellId(active.r, active.c));
    if (cell && active.c > 1) {
      var left = cell.offsetLeft, name = thead.querySelector(".rt-name"), pin = name ? name.offsetLeft + name.offsetWidth : 0;
      if (left - pin < scroller.scrollLeft) scroller.scrollLeft = left - pin;
      else if (left + cell.offsetWidth > scroller.scrollLeft + scroller.clientWidth) {
        scroller.scrollLeft = left + cell.offsetWidth - scroller.clientWidth;
      }
    } else if (cell) scroller.scrollLeft = 0;
  }
  grid.addEventListener("keydown", function (e) {
    var r = active.r, c = active.c, page = Math.max(1, Math.floor(scroller.clientHeight / rowH) - 1);
    var entry = r >= 0 ? view.rows[r] : null;
    switch (e.key) {
      case "ArrowDown": setActive(r + 1, c); break;
      case "ArrowUp": setActive(r - 1, c); break;
      case "ArrowRight": setActive(r, c + 1); break;
      case "ArrowLeft": setActive(r, c - 1); break;
      case "Home": setActive(e.ctrlKey ? 0 : r, 0); break;
      case "End": setActive(e.ctrlKey ? view.rows.length - 1 : r, gridColumns().length - 1); break;
      case "PageDown": setActive(r + page, c); break;
      case "PageUp": setActive(Math.max(0, r - page), c); break;
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
      default: return;
    }
    e.preventDefault();
  });
  grid.addEventListener("mousedown", function (e) {
    var cell = e.target.closest("td[id], th[id]");
    if (!cell) return;
    var m = /^rt-(?:c-(\d+)|h)-(\d+)$/.exec(cell.id);
    if (m) { active.r = m[1] === undefined ? -1 : Number(m[1]); active.c = Number(m[2]); markActive(); }
  });
  grid.addEventListener("focus", markActive);
  var ticking = false;
  scroller.addEventListener("scroll", function () {
    if (ticking) return;
    ticking = true;
    requestAnimationFrame(function () { ticking = false; renderRows(); });
  });
  window.addEventListener("resize", function () { renderRows(true); });
  window.addEventListener("beforeprint", function () { printing = true; renderRows(true); });
  window.addEventListener("afterprint", function () { printing = false; renderRows(true); });

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
