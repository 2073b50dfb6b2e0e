/* trackreport default theme: dark-mode toggle, local times, sortable tables (the runs table:
   runs-table.js).
   No network, no dependencies; everything works from file://. */
(function () {
  "use strict";
  var root = document.documentElement;

  // ---- light / dark toggle (remembered per browser) ----
  try {
    var saved = localStorage.getItem("trackreport-theme");
    if (saved === "dark" || saved === "light") root.setAttribute("data-theme", saved);
  } catch (e) { /* storage may be disabled for file:// */ }
  var toggle = document.getElementById("theme-toggle");
  var systemDark = window.matchMedia("(prefers-color-scheme: dark)");
  function isDark() {
    return root.getAttribute("data-theme") ? root.getAttribute("data-theme") === "dark" : systemDark.matches;
  }
  // the button says its state: "Dark theme", pressed or not (aria-pressed), and in its tooltip
  function showState() {
    if (!toggle) return;
    var dark = isDark();
    toggle.setAttribute("aria-pressed", String(dark));
    toggle.title = "Dark theme: " + (dark ? "on" : "off");
  }
  if (toggle) {
    toggle.addEventListener("click", function () {
      var next = isDark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      try { localStorage.setItem("trackreport-theme", next); } catch (e) { /* ignore */ }
      showState();
    });
    if (systemDark.addEventListener) systemDark.addEventListener("change", showState);
    // data-theme set by anything else (another tab's choice is not shared; a test, a theme's script)
    new MutationObserver(showState).observe(root, { attributes: true, attributeFilter: ["data-theme"] });
    showState();
  }

  // ---- scrolling regions reachable by keyboard: a table or text box that scrolls and holds
  // nothing focusable becomes a tab stop itself (arrow keys then scroll it) ----
  var FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";
  function scrollStops() {
    Array.prototype.forEach.call(document.querySelectorAll(".table-wrap, pre, .clip"), function (box) {
      var style = getComputedStyle(box), can = /auto|scroll/;
      var scrolls = can.test(style.overflowY) && box.scrollHeight > box.clientHeight + 1
        || can.test(style.overflowX) && box.scrollWidth > box.clientWidth + 1;
      if (box.getAttribute("data-scroll-stop") === null && box.hasAttribute("tabindex")) return;  // not ours
      if (scrolls && !box.querySelector(FOCUSABLE) && box.getClientRects().length) {
        box.tabIndex = 0;
        box.setAttribute("data-scroll-stop", "");
      } else if (box.hasAttribute("data-scroll-stop")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("data-scroll-stop");
      }
    });
  }
  scrollStops();
  var resizing = false;
  window.addEventListener("resize", function () {
    if (resizing) return;
    resizing = true;
    requestAnimationFrame(function () { resizing = false; scrollStops(); });
  });
  document.addEventListener("toggle", function () { scrollStops(); }, true);  // a <details> opened
  window.trackreport = window.trackreport || {};
  window.trackreport.scrollStops = scrollStops;

  // ---- times in the reader's own time zone (UTC stays in the title) ----
  var fmt = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit" });
  var short = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  Array.prototype.forEach.call(document.querySelectorAll("time[datetime]"), function (el) {
    var d = new Date(el.getAttribute("datetime"));
    if (!isNaN(d.getTime())) el.textContent = (el.closest("table") ? short : fmt).format(d);
  });

  // ---- live runs: elapsed time since start, ticking (the page itself is static) ----
  // A run counts as live while it did something within a day of the reader's clock; the
  // build already judged it against the store's newest activity (a published snapshot).
  var live = document.querySelectorAll("[data-elapsed-since]");
  var STALE_MS = 24 * 3600 * 1000;
  var human = window.trackreport.human;
  function quiet(el) {
    var last = Number(el.getAttribute("data-last-activity"));
    return last > 0 && Date.now() - last > STALE_MS ? last : 0;
  }
  Array.prototype.forEach.call(document.querySelectorAll(".live[data-last-activity]"), function (el) {
    var last = quiet(el);
    if (last) el.textContent = "no activity for " + human(Date.now() - last) + ": not live";
  });
  function tick() {
    Array.prototype.forEach.call(live, function (el) {
      var start = Number(el.getAttribute("data-elapsed-since")), last = quiet(el);
      el.textContent = last ? "at least " + human(last - start) + " (no end recorded)"
        : "running for " + human(Date.now() - start);
    });
  }
  if (live.length) { tick(); setInterval(tick, 1000); }

  // ---- sortable tables ----
  function cellValue(row, index) {
    var cell = row.children[index];
    if (!cell) return "";
    var v = cell.getAttribute("data-v");
    return v === null ? cell.textContent.trim() : v;
  }
  function compare(a, b, type) {
    if (a === "" && b === "") return 0;
    if (a === "") return 1;           // empty cells last, whatever the direction
    if (b === "") return -1;
    if (type !== "text") {
      var x = parseFloat(a), y = parseFloat(b);
      if (!isNaN(x) && !isNaN(y) && (type === "num" || (String(x) === a.trim() || /^[-+0-9.eE]+$/.test(a)) && /^[-+0-9.eE]+$/.test(b))) {
        return x < y ? -1 : x > y ? 1 : 0;
      }
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }
  function sortTable(table, index, type, dir) {
    var sign = dir === "ascending" ? 1 : -1;
    var bodies = Array.prototype.slice.call(table.tBodies);
    function byRow(r1, r2) {
      var a = cellValue(r1, index), b = cellValue(r2, index);
      if (a === "" || b === "") return compare(a, b, type);
      return sign * compare(a, b, type);
    }
    bodies.forEach(function (body) {
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(byRow);
      rows.forEach(function (r) { body.appendChild(r); });
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      if (!th.hasAttribute("data-type")) return;
      th.tabIndex = 0;
      th.setAttribute("role", "columnheader");
      function activate() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        sortTable(table, index, th.getAttribute("data-type"), dir);
      }
      th.addEventListener("click", activate);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); activate(); }
      });
    });
  });
})();
