/* trackreport runs table, its toolbar: the filter box (MLflow search syntax), the inline error
   and the filter applied, status chips, the time range, flat/nested, Columns…, Compare (n),
   Download CSV of this view, the run count and the note on hidden columns.
   Classic script, needs core.js, vgrid.js and runs-view.js.

   trackreport.runsToolbar.build(app, payload) → the controls (elements), appended to app
   trackreport.runsToolbar.show(ui, state, view, {compareHref, columns, shown, openChooser}) */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var el = function (tag, attrs, text) { return tr.el(tag, attrs, text); };
  var STATUSES = ["RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED"];

  function build(app, payload) {
    var RV = tr.runsView;
    var present = Object.create(null);
    payload.runs.forEach(function (r) { present[r.status] = (present[r.status] || 0) + 1; });
    var top = tr.vgrid.searchBar({prefix: "rt", placeholder: "metrics.val_loss < 0.5 and params.model = 'tree', or a run name",
      describedby: "rt-error rt-applied", chipsLabel: "Status", attr: "data-status", counts: present, known: STATUSES});
    var bar = top.bar, input = top.input, chips = top.chips;
    var timeLabel = el("label", {"class": "rt-time", title: "Runs started within this time of now, by your clock"}, "Created ");
    var timeSel = el("select", {id: "rt-time"});
    RV.RANGE_LABELS.forEach(function (o) { timeSel.appendChild(el("option", {value: o[0]}, o[1])); });
    timeLabel.appendChild(timeSel);
    timeLabel.appendChild(el("span", {"class": "muted small"}, " (your clock)"));
    bar.appendChild(timeLabel);
    var nestBtn = el("button", {type: "button", id: "rt-nested", "aria-pressed": "false",
      title: "Child runs under their parent runs"}, "Nested");
    bar.appendChild(nestBtn);
    var colBtn = el("button", {type: "button", id: "rt-columns", "aria-haspopup": "dialog"}, "Columns…");
    bar.appendChild(colBtn);
    var compare = el("a", {id: "rt-compare", "class": "button", role: "link"}, "Compare (0)");
    bar.appendChild(compare);
    var csvBtn = el("button", {type: "button", id: "rt-csv"}, "Download CSV of this view");
    bar.appendChild(csvBtn);
    var clearSel = el("button", {type: "button", id: "rt-clear", hidden: "hidden"}, "Clear selection");
    bar.appendChild(clearSel);
    app.appendChild(bar);
    var errorBox = el("p", {id: "rt-error", "class": "rt-error", role: "alert"});
    var applied = el("p", {id: "rt-applied", "class": "rt-applied muted small", "aria-live": "polite"});
    var status = el("p", {id: "rt-count", "class": "rt-count muted small", "aria-live": "polite"});
    var note = el("p", {id: "rt-hidden-note", "class": "rt-hidden-note small"});
    [errorBox, applied, status, note].forEach(function (p) { app.appendChild(p); });
    return {input: input, chips: chips, timeSel: timeSel, nestBtn: nestBtn, colBtn: colBtn, compare: compare,
      csvBtn: csvBtn, clearSel: clearSel, errorBox: errorBox, applied: applied, status: status, note: note};
  }

  function show(ui, state, view, opts) {
    var input = ui.input, errorBox = ui.errorBox, applied = ui.applied, status = ui.status, chips = ui.chips;
    var timeSel = ui.timeSel, nestBtn = ui.nestBtn, compare = ui.compare, clearSel = ui.clearSel;
    var compareHref = opts.compareHref;
    if (input.value.trim() !== state.filter.trim()) input.value = state.filter;
    errorBox.textContent = view.error ? "Invalid filter: " + view.error + " — showing every run." : "";
    errorBox.hidden = !view.error;
    input.setAttribute("aria-invalid", view.error ? "true" : "false");
    applied.textContent = view.applied && view.applied !== state.filter.trim() && !view.error
      ? "Searching run names: " + view.applied : "";
    var s = view.matched === view.total ? view.total + " runs" : view.matched + " of " + view.total + " runs";
    var ctx = view.ordered.filter(function (r) { return r.context; }).length;
    if (ctx) s += " (and " + ctx + " parent run" + (ctx === 1 ? "" : "s") + " shown for context)";
    if (state.selected.length) s += " · " + state.selected.length + " selected";
    status.textContent = s;
    Array.prototype.forEach.call(chips.children, function (b) {
      var st = b.getAttribute("data-status");
      b.setAttribute("aria-pressed", String(st ? state.status.indexOf(st) >= 0 : !state.status.length));
    });
    timeSel.value = state.startTime;
    nestBtn.setAttribute("aria-pressed", String(view.nested));
    var n = state.selected.length;
    compare.textContent = "Compare (" + n + ")";
    if (n >= 2) {
      compare.setAttribute("href", compareHref + "#runs=" + state.selected.map(encodeURIComponent).join(","));
      compare.removeAttribute("aria-disabled");
      compare.removeAttribute("title");
    } else {
      compare.removeAttribute("href");
      compare.setAttribute("aria-disabled", "true");
      compare.setAttribute("title", "Select two runs or more to compare them");
    }
    clearSel.hidden = !n;
    hiddenNote(ui.note, opts.columns, opts.shown, opts.openChooser);
  }

  function hiddenNote(note, columns, shown, openChooser) {
    var parts = [];
    [["metric", "metrics"], ["sysmetric", "system metrics"], ["param", "params"], ["tag", "tags"]].forEach(function (k) {
      var total = columns.filter(function (c) { return c.kind === k[0]; }).length;
      var on = shown.filter(function (c) { return c.kind === k[0]; }).length;
      if (total && on < total) parts.push(on + " of " + total + " " + k[1] + " shown");
    });
    note.textContent = "";
    if (!parts.length) { note.hidden = true; return; }
    note.hidden = false;
    note.appendChild(document.createTextNode(parts.join(", ") + " — "));
    var b = el("button", {type: "button", "class": "linkish"}, "Columns…");
    b.addEventListener("click", function () { openChooser(b); });
    note.appendChild(b);
    note.appendChild(document.createTextNode(" shows the rest; the filter searches every key."));
  }

  tr.runsToolbar = {build: build, show: show};
})();
