/* trackreport virtual grid: what the runs table (runs-table.js) and the trace list
   (trace-list.js) share. Only the rows in view are in the DOM (virtual rows: fixed row height,
   measured; spacer rows above and below); the grid is one tab stop, its active cell named by
   aria-activedescendant; the view lives in the URL fragment (replaceState while typing,
   pushState otherwise; back/forward and edited fragments are followed).
   Classic script, needs core.js.

   trackreport.vgrid.searchBar({prefix, placeholder, describedby, chipsLabel, attr, counts, known})
       → {bar, input, chips}: the filter box and one chip per value counted (known ones first)
   trackreport.vgrid.chipToggle(chips, attr, get(), set(list))  the chips' clicks as a new list
   trackreport.vgrid.table(app, scrollClass, gridAttrs, keysText) → {scroller, grid, colgroup, thead, tbody}
   trackreport.vgrid.sortState(column, sortedColumn, state) → "ascending", "descending" or null
   trackreport.vgrid.create({scroller, grid, thead, tbody, prefix, rows(), columns(), prepare(),
       row(item, i, ctx), empty, pinned, startColumn, printRows,
       key(e, r, c) → handled})
       → {render(force), refresh(), setActive(r, c), markActive(), active}
   trackreport.vgrid.fragment({format(), follow(), update()})
       → {write(push), change(push), bindInput(input, setFilter)} */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var el = function (tag, attrs, text) { return tr.el(tag, attrs, text); };
  var OVERSCAN = 6;

  function searchBar(o) {
    var bar = el("div", {"class": "rt-toolbar"});
    var searchWrap = el("div", {"class": "rt-search"});
    searchWrap.appendChild(el("label", {"for": o.prefix + "-filter"}, "Filter"));
    var input = el("input", {type: "search", id: o.prefix + "-filter", spellcheck: "false", autocomplete: "off",
      placeholder: o.placeholder, "aria-describedby": o.describedby});
    searchWrap.appendChild(input);
    bar.appendChild(searchWrap);
    var chips = el("div", {"class": "rt-chips", role: "group", "aria-label": o.chipsLabel});
    var present = o.counts, known = o.known;
    var all = {type: "button", "class": "chip"};
    all[o.attr] = "";
    chips.appendChild(el("button", all, "All"));
    known.filter(function (s) { return present[s]; })
      .concat(Object.keys(present).filter(function (s) { return known.indexOf(s) < 0; }).sort())
      .forEach(function (s) {
        var attrs = {type: "button", "class": "chip"};
        attrs[o.attr] = s;
        chips.appendChild(el("button", attrs, s.toLowerCase() + " " + present[s]));
      });
    bar.appendChild(chips);
    return {bar: bar, input: input, chips: chips};
  }

  // a chip clicked: "All" (no value) clears the list, another adds or drops its value
  function chipToggle(chips, attr, get, set) {
    chips.addEventListener("click", function (e) {
      var b = e.target.closest("button");
      if (!b) return;
      var st = b.getAttribute(attr), list = get();
      if (!st) set([]);
      else if (list.indexOf(st) >= 0) set(list.filter(function (x) { return x !== st; }));
      else set(list.concat([st]));
    });
  }

  // the grid in its scroll box, then the keys it takes; the grid's parts
  function table(app, scrollClass, gridAttrs, keys) {
    var scroller = el("div", {"class": scrollClass});
    var grid = el("table", gridAttrs);
    var colgroup = el("colgroup"), thead = el("thead"), tbody = el("tbody");
    grid.appendChild(colgroup);
    grid.appendChild(thead);
    grid.appendChild(tbody);
    scroller.appendChild(grid);
    app.appendChild(scroller);
    app.appendChild(el("p", {"class": "rt-keys muted small"}, keys));
    return {scroller: scroller, grid: grid, colgroup: colgroup, thead: thead, tbody: tbody};
  }

  // a header's aria-sort: the column sorted by (sc; no key: the default order, newest first)
  function sortState(c, sc, state) {
    if (c !== sc) return null;
    return state.orderByKey ? (state.orderByAsc ? "ascending" : "descending") : "descending";
  }

  function create(o) {
    var scroller = o.scroller, grid = o.grid, thead = o.thead, tbody = o.tbody;
    var rowH = 33, range = [-1, -1], active = {r: 0, c: o.startColumn || 0}, printing = false;
    var pattern = new RegExp("^" + o.prefix + "-(?:c-(\\d+)|h)-(\\d+)$");
    function cellId(r, c) { return r < 0 ? o.prefix + "-h-" + c : o.prefix + "-c-" + r + "-" + c; }

    function render(force) {
      var rows = o.rows(), n = rows.length;
      var top = Math.max(0, scroller.scrollTop - thead.offsetHeight);
      var h = scroller.clientHeight || 600;
      var first = Math.max(0, Math.floor(top / rowH) - OVERSCAN);
      var last = Math.min(n, Math.ceil((top + h) / rowH) + OVERSCAN);
      if (printing) { first = 0; last = Math.min(n, o.printRows); }  // on paper: the view's rows from the top
      if (!force && first === range[0] && last === range[1]) return;
      range = [first, last];
      var frag = document.createDocumentFragment(), span = String(o.columns());
      var spacer = function (px) {
        var s = el("tr", {"class": "rt-spacer", "aria-hidden": "true"});
        var td = el("td", {colspan: span});
        td.style.height = px + "px";
        s.appendChild(td);
        return s;
      };
      if (first > 0) frag.appendChild(spacer(first * rowH));
      var ctx = o.prepare ? o.prepare() : null;
      for (var i = first; i < last; i++) frag.appendChild(o.row(rows[i], i, ctx));
      if (last < n) frag.appendChild(spacer((n - last) * rowH));
      if (!n) {
        var empty = el("tr", {"class": "rt-empty"});
        empty.appendChild(el("td", {colspan: span}, o.empty));
        frag.appendChild(empty);
      }
      tbody.textContent = "";
      tbody.appendChild(frag);
      var measured = tbody.querySelector("tr.rt-row");
      if (measured) {
        var mh = measured.getBoundingClientRect().height;
        if (mh > 0 && Math.abs(mh - rowH) > 0.5) { rowH = mh; render(true); return; }
      }
      markActive();
    }

    // after the view changed (the header already drawn): clamp the active cell, draw the rows
    function refresh() {
      var n = o.rows().length, m = o.columns();
      active.r = Math.min(active.r, n - 1);
      active.c = Math.min(active.c, m - 1);
      range = [-1, -1];
      grid.setAttribute("aria-rowcount", String(n + 1));
      grid.setAttribute("aria-colcount", String(m));
      render(true);
    }

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
      active.r = Math.max(-1, Math.min(o.rows().length - 1, r));
      active.c = Math.max(0, Math.min(o.columns() - 1, c));
      if (active.r >= 0) {
        var head = thead.offsetHeight, y = head + active.r * rowH;
        if (y < scroller.scrollTop + head) scroller.scrollTop = y - head;
        else if (y + rowH > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = y + rowH - scroller.clientHeight;
      } else scroller.scrollTop = 0;
      render();
      markActive();
      // horizontally: the cell in view right of the pinned columns (a pinned one: scrolled home)
      var cell = document.getElementById(cellId(active.r, active.c)), pinned = o.pinned || 0;
      if (cell && active.c >= pinned) {
        var pinEl = pinned ? document.getElementById(cellId(-1, pinned - 1)) : null;
        var left = cell.offsetLeft, pin = pinEl ? pinEl.offsetLeft + pinEl.offsetWidth : 0;
        if (left - pin < scroller.scrollLeft) scroller.scrollLeft = left - pin;
        else if (left + cell.offsetWidth > scroller.scrollLeft + scroller.clientWidth) {
          scroller.scrollLeft = left + cell.offsetWidth - scroller.clientWidth;
        }
      } else if (cell) scroller.scrollLeft = 0;
    }

    grid.addEventListener("keydown", function (e) {
      var r = active.r, c = active.c, page = Math.max(1, Math.floor(scroller.clientHeight / rowH) - 1);
      switch (e.key) {
        case "ArrowDown": setActive(r + 1, c); break;
        case "ArrowUp": setActive(r - 1, c); break;
        case "ArrowRight": setActive(r, c + 1); break;
        case "ArrowLeft": setActive(r, c - 1); break;
        case "Home": setActive(e.ctrlKey ? 0 : r, 0); break;
        case "End": setActive(e.ctrlKey ? o.rows().length - 1 : r, o.columns() - 1); break;
        case "PageDown": setActive(r + page, c); break;
        case "PageUp": setActive(Math.max(0, r - page), c); break;
        default: if (!o.key(e, r, c)) return;
      }
      e.preventDefault();
    });
    grid.addEventListener("mousedown", function (e) {
      var cell = e.target.closest("td[id], th[id]");
      var m = cell && pattern.exec(cell.id);
      if (m) { active.r = m[1] === undefined ? -1 : Number(m[1]); active.c = Number(m[2]); markActive(); }
    });
    grid.addEventListener("focus", markActive);
    var ticking = false;
    scroller.addEventListener("scroll", function () {
      if (ticking) return;
      ticking = true;
      requestAnimationFrame(function () { ticking = false; render(); });
    });
    window.addEventListener("resize", function () { render(true); });
    if (o.printRows) {
      window.addEventListener("beforeprint", function () { printing = true; render(true); });
      window.addEventListener("afterprint", function () { printing = false; render(true); });
    }
    return {render: render, refresh: refresh, setActive: setActive, markActive: markActive, active: active,
      cellId: cellId};
  }

  function fragment(o) {
    var typing = false, lastHash = location.hash;
    function write(push) {
      var frag = o.format();
      var url = location.href.split("#")[0] + (frag ? "#" + frag : "");
      if (url === location.href) return;
      try {
        history[push ? "pushState" : "replaceState"](null, "", url);
      } catch (e) { /* some browsers refuse history on file:// */ location.hash = frag; }
      lastHash = location.hash;
    }
    function change(push) {
      if (push) typing = false;
      write(push);
      o.update();
    }
    function follow() {
      if (location.hash === lastHash) return;
      lastHash = location.hash;
      typing = false;
      o.follow();
      o.update();
    }
    window.addEventListener("hashchange", follow);
    window.addEventListener("popstate", follow);
    // the filter box: one history entry for a run of keystrokes, replaced as it grows
    function bindInput(input, setFilter) {
      input.addEventListener("input", function () {
        setFilter(input.value);
        var push = !typing;
        typing = true;
        write(push);
        o.update();
      });
      input.addEventListener("change", function () { typing = false; });
    }
    return {write: write, change: change, bindInput: bindInput};
  }

  tr.vgrid = {searchBar: searchBar, chipToggle: chipToggle, table: table, sortState: sortState, create: create, fragment: fragment};
})();
