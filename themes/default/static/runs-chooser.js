/* trackreport runs table, the column chooser: a modal <dialog> over every column (attributes,
   metrics, system metrics, params, tags), searchable, keyboard usable (the search box has the
   focus; Tab reaches the checkboxes; Space ticks; Escape or Done closes).
   Classic script, needs core.js.

   trackreport.runsChooser.open({columns, shown: Set of ids, defaults: [ids], opener,
                                 onChange(ids in column order), onClose()}) */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var el = function (tag, attrs, text) { return tr.el(tag, attrs, text); };

  function open(opts) {
    var shown = new Set(opts.shown);
    var dlg = el("dialog", {"class": "rt-chooser", id: "rt-chooser", "aria-labelledby": "rt-chooser-title"});
    var head = el("div", {"class": "rt-chooser-head"});
    head.appendChild(el("h2", {id: "rt-chooser-title"}, "Columns"));
    var count = el("span", {"class": "muted small", "aria-live": "polite"});
    head.appendChild(count);
    dlg.appendChild(head);
    var search = el("input", {type: "search", id: "rt-chooser-search", placeholder: "Search columns…",
      "aria-label": "Search columns", "aria-controls": "rt-chooser-list", autocomplete: "off"});
    dlg.appendChild(search);
    var list = el("div", {"class": "rt-chooser-list", id: "rt-chooser-list"});
    dlg.appendChild(list);
    var groups = [], boxes = [];
    opts.columns.forEach(function (c) {
      if (c.fixed) return;
      var g = groups.length && groups[groups.length - 1].name === c.group ? groups[groups.length - 1] : null;
      if (!g) {
        var fs = el("fieldset", {"class": "rt-chooser-group"});
        var legend = el("legend", null, c.group);
        var n = el("span", {"class": "muted small"});
        legend.appendChild(document.createTextNode(" "));
        legend.appendChild(n);
        fs.appendChild(legend);
        list.appendChild(fs);
        g = {name: c.group, fs: fs, n: n, boxes: []};
        groups.push(g);
      }
      var label = el("label", {"class": "rt-chooser-item"});
      var box = el("input", {type: "checkbox", value: c.id});
      box.checked = shown.has(c.id);
      box.column = c;
      label.appendChild(box);
      label.appendChild(el("span", {"class": c.kind === "attr" ? "" : "mono"}, c.label));
      g.fs.appendChild(label);
      g.boxes.push(box);
      boxes.push(box);
    });
    var foot = el("div", {"class": "rt-chooser-foot"});
    var allBtn = el("button", {type: "button"}, "Show all matching");
    var noneBtn = el("button", {type: "button"}, "Hide all matching");
    var dflt = el("button", {type: "button"}, "Default columns");
    var done = el("button", {type: "button", "class": "primary"}, "Done");
    [allBtn, noneBtn, dflt, done].forEach(function (b) { foot.appendChild(b); });
    dlg.appendChild(foot);

    function counts() {
      groups.forEach(function (g) {
        var on = g.boxes.filter(function (b) { return b.checked; }).length;
        g.n.textContent = "(" + on + " of " + g.boxes.length + ")";
      });
      count.textContent = boxes.filter(function (b) { return b.checked; }).length + " of " + boxes.length + " shown";
    }
    function changed() {
      counts();
      opts.onChange(boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
    }
    function matching() { return boxes.filter(function (b) { return !b.parentNode.hidden; }); }
    list.addEventListener("change", changed);
    search.addEventListener("input", function () {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      groups.forEach(function (g) {
        var any = false;
        g.boxes.forEach(function (b) {
          var hay = (b.column.label + " " + b.column.group + " " + b.column.id).toLowerCase();
          var ok = words.every(function (w) { return hay.indexOf(w) >= 0; });
          b.parentNode.hidden = !ok;
          any = any || ok;
        });
        g.fs.hidden = !any;
      });
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "ArrowDown" || e.key === "Enter") {
        var first = matching()[0];
        if (first) { e.preventDefault(); first.focus(); }
      }
    });
    list.addEventListener("keydown", function (e) {
      if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
      var m = matching(), i = m.indexOf(document.activeElement);
      if (i < 0) return;
      e.preventDefault();
      if (e.key === "ArrowUp" && i === 0) search.focus();
      else if (m[i + (e.key === "ArrowDown" ? 1 : -1)]) m[i + (e.key === "ArrowDown" ? 1 : -1)].focus();
    });
    allBtn.addEventListener("click", function () { matching().forEach(function (b) { b.checked = true; }); changed(); });
    noneBtn.addEventListener("click", function () { matching().forEach(function (b) { b.checked = false; }); changed(); });
    dflt.addEventListener("click", function () {
      var d = new Set(opts.defaults);
      boxes.forEach(function (b) { b.checked = d.has(b.value); });
      changed();
    });
    done.addEventListener("click", function () { dlg.close(); });
    dlg.addEventListener("close", function () {
      dlg.remove();
      if (opts.onClose) opts.onClose();
      if (opts.opener) opts.opener.focus();
    });
    counts();
    document.body.appendChild(dlg);
    dlg.showModal();
    search.focus();
    return dlg;
  }

  tr.runsChooser = {open: open};
})();
