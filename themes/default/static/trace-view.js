/* trackreport trace page: one trace (trace.js, registered as "trace/<trace_id>": MLflow's
   get_trace(...).to_dict()) as a span tree with a timing waterfall, the selected span's details
   (type, status, inputs, outputs — chat messages as a conversation —, attributes, events with
   exceptions), the trace's assessments, tags and metadata. Replaces the static span list.
   The selected span is the URL fragment: span=<span_id>.
   Keyboard in the span tree (one tab stop, aria-activedescendant): Up/Down move (the selection
   follows), Right opens a span or goes to its first child, Left closes it or goes to its parent,
   Home/End, Enter or Space toggles open. Trace content is untrusted: text only (trace-values.js).
   Classic script, needs core.js and trace-values.js.

   trackreport.traceView.select(spanId)   trackreport.traceView.selected() → span id */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var app = document.getElementById("trace-app");
  var TV = tr.traceValues;
  if (!app || !TV) return;
  var el = tr.el, traceId = app.getAttribute("data-trace-id") || "";
  var payload = tr.get("trace/" + traceId);
  if (!payload || !payload.data) {
    app.hidden = false;
    app.appendChild(el("p", {"class": "note"}, "The trace's data file (trace.js) did not load."));
    return;
  }
  var info = payload.info || {}, raw = (payload.data && payload.data.spans) || [];
  var SPECIAL = {"mlflow.spanInputs": 1, "mlflow.spanOutputs": 1, "mlflow.spanType": 1};

  // ---- spans: decoded, in a tree, times relative to the trace's start ----
  // to_dict() writes OpenTelemetry's ids in base64; MLflow's client (Span.span_id) and UI show hex
  function hexId(v) {
    if (v === null || v === undefined || v === "") return null;
    v = String(v);
    if (!/^[A-Za-z0-9+/]{11}=$|^[A-Za-z0-9+/]{22}==$/.test(v)) return v;
    try {
      var b = atob(v), out = "";
      for (var i = 0; i < b.length; i++) out += (b.charCodeAt(i) < 16 ? "0" : "") + b.charCodeAt(i).toString(16);
      return out;
    } catch (e) { return v; }
  }
  function ns(v) { return v === null || v === undefined || v === "" ? null : Number(v); }
  function code(status) {
    var c = String(status && (status.code || status.status_code) || "").toUpperCase().replace("STATUS_CODE_", "");
    return c === "OK" || c === "ERROR" ? c : "UNSET";
  }
  var spans = raw.map(function (s, i) {
    var attrs = s.attributes || {};
    var type = TV.decode(attrs["mlflow.spanType"]);
    // MLflow 3's Span.to_dict(); MLflow 2's (context.span_id, parent_id, start_time, status_code) too
    var status = s.status && typeof s.status === "object" ? s.status : {code: s.status_code || s.status, message: s.status_message};
    return {i: i, raw: s, id: hexId(s.span_id || s.context && s.context.span_id), name: String(s.name),
      parent: hexId(s.parent_span_id || s.parent_id), type: type === undefined || type === null || type === "" ? "UNKNOWN" : String(type),
      start: ns(s.start_time_unix_nano !== undefined ? s.start_time_unix_nano : s.start_time),
      end: ns(s.end_time_unix_nano !== undefined ? s.end_time_unix_nano : s.end_time), status: code(status),
      message: status.message || "", attrs: attrs, events: s.events || [], kids: [], depth: 0};
  });
  var byId = Object.create(null);
  spans.forEach(function (s) { if (!byId[s.id]) byId[s.id] = s; });
  var roots = [];
  spans.forEach(function (s) {
    var p = s.parent && s.parent !== s.id ? byId[s.parent] : null;
    if (p) p.kids.push(s); else roots.push(s);
  });
  var byStart = function (a, b) { return (a.start === null ? Infinity : a.start) - (b.start === null ? Infinity : b.start) || a.i - b.i; };
  var order = [], seen = new Set();
  (function walk(list, depth) {
    list.sort(byStart).forEach(function (s) {
      if (seen.has(s)) return;
      seen.add(s);
      s.depth = depth;
      order.push(s);
      walk(s.kids, depth + 1);
    });
  })(roots, 0);
  spans.forEach(function (s) { if (!seen.has(s)) { s.depth = 0; order.push(s); } });  // cycles: shown flat
  var starts = spans.map(function (s) { return s.start; }).filter(function (v) { return v !== null; });
  var ends = spans.map(function (s) { return s.end; }).filter(function (v) { return v !== null; });
  var t0 = starts.length ? Math.min.apply(null, starts) : 0;
  var t1 = ends.length ? Math.max.apply(null, ends) : t0;
  if (starts.length) t1 = Math.max(t1, Math.max.apply(null, starts));
  var total = Math.max(t1 - t0, 1);
  function ms(nsv) { return nsv / 1e6; }
  var fmtDur = TV.duration;
  function durText(s) {
    if (s.end === null || s.start === null) return "no end recorded";
    var d = ms(s.end - s.start);
    return d < 1 ? d.toFixed(2) + " ms" : d < 10 ? d.toFixed(1) + " ms" : fmtDur(d);
  }

  // ---- layout ----
  var main = el("div", {"class": "tv-main"});
  var treePane = el("section", {"class": "tv-tree-pane card", "aria-labelledby": "tv-tree-h"});
  treePane.appendChild(el("h2", {id: "tv-tree-h"}, "Spans (" + spans.length + ")"));
  var scale = el("div", {"class": "tv-scale", "aria-hidden": "true"});
  scale.appendChild(el("span", null, "0"));
  scale.appendChild(el("span", null, fmtDur(ms(total) / 2)));
  scale.appendChild(el("span", null, fmtDur(ms(total))));
  treePane.appendChild(scale);
  var tree = el("ul", {id: "tv-tree", "class": "tv-tree", role: "tree", tabindex: "0", "aria-labelledby": "tv-tree-h"});
  treePane.appendChild(tree);
  treePane.appendChild(el("p", {"class": "muted small"},
    "Keys: Up/Down choose a span, Right/Left open and close, Home/End. Bars: when each span ran within the trace."));
  var detail = el("section", {id: "tv-detail", "class": "tv-detail card", "aria-live": "polite", "aria-labelledby": "tv-detail-h"});
  main.appendChild(treePane);
  main.appendChild(detail);
  app.appendChild(main);

  var closed = new Set(), visible = [], selected = null;

  function rowFor(s, idx) {
    var li = el("li", {role: "treeitem", id: "tv-s-" + s.i, "class": "tv-span tv-status-" + s.status.toLowerCase(),
      "aria-level": String(s.depth + 1), "aria-selected": String(s === selected), "data-span-id": s.id,
      "data-index": String(idx)});
    if (s.kids.length) li.setAttribute("aria-expanded", String(!closed.has(s)));
    var label = el("div", {"class": "tv-label"});
    label.style.paddingLeft = (s.depth * 1.1) + "rem";
    var tw = el("span", {"class": "tv-twisty", "aria-hidden": "true"}, s.kids.length ? (closed.has(s) ? "▸" : "▾") : "");
    label.appendChild(tw);
    label.appendChild(el("span", {"class": "tv-type tv-type-" + s.type.toLowerCase().replace(/[^a-z_]/g, "")}, s.type));
    label.appendChild(el("span", {"class": "tv-name", title: s.name}, s.name));
    if (s.status === "ERROR") label.appendChild(el("span", {"class": "badge trace-state-error"}, "error"));
    li.appendChild(label);
    var wf = el("div", {"class": "tv-wf"});
    var bar = el("span", {"class": "tv-bar"});
    var left = s.start === null ? 0 : (s.start - t0) / total * 100;
    var width = s.start === null ? 0 : ((s.end === null ? t1 : s.end) - s.start) / total * 100;
    bar.style.left = left.toFixed(3) + "%";
    bar.style.width = Math.max(width, 0.25).toFixed(3) + "%";
    if (s.end === null) bar.classList.add("tv-open-end");
    wf.appendChild(bar);
    var d = el("span", {"class": "tv-dur"}, durText(s));
    var right = left + Math.max(width, 0.25);
    if (right < 75) d.style.left = right.toFixed(3) + "%";  // after the bar
    else if (left > 25) d.style.right = (100 - left).toFixed(3) + "%";  // before it
    else { d.classList.add("tv-dur-in"); d.style.left = left.toFixed(3) + "%"; }  // on it
    wf.appendChild(d);
    li.appendChild(wf);
    return li;
  }

  function renderTree() {
    visible = [];
    var hidden = function (s) {
      for (var p = s.parent && byId[s.parent]; p; p = p.parent && p.parent !== p.id ? byId[p.parent] : null) {
        if (closed.has(p)) return true;
        if (p.depth === 0) break;
      }
      return false;
    };
    order.forEach(function (s) { if (!hidden(s)) visible.push(s); });
    tree.textContent = "";
    var frag = document.createDocumentFragment();
    visible.forEach(function (s, i) { frag.appendChild(rowFor(s, i)); });
    tree.appendChild(frag);
    if (selected) tree.setAttribute("aria-activedescendant", "tv-s-" + selected.i);
  }

  // ---- the selected span ----
  function section(parent, title, cls) {
    var sec = el("section", {"class": "tv-section" + (cls ? " " + cls : "")});
    sec.appendChild(el("h3", null, title));
    parent.appendChild(sec);
    return sec;
  }
  function valueView(parent, value, label) {
    var msgs = TV.chat(value);
    if (msgs) {
      parent.appendChild(TV.conversation(msgs));
      var d = el("details", {"class": "tv-raw"});
      d.appendChild(el("summary", null, "Raw " + label + " (JSON, " + TV.size(TV.asText(value)) + ")"));
      d.appendChild(TV.block(value));
      parent.appendChild(d);
    } else parent.appendChild(TV.block(value, label));
  }
  function kvTable(obj, keys, cls) {
    var table = el("table", {"class": "tv-kv" + (cls ? " " + cls : "")});
    var body = el("tbody");
    keys.forEach(function (k) {
      var row = el("tr");
      row.appendChild(el("th", {scope: "row", "class": "key"}, k));
      var td = el("td", {"class": "val"});
      var v = TV.decode(obj[k]);
      if (v !== null && typeof v === "object" || typeof v === "string" && (v.length > 200 || v.indexOf("\n") >= 0)) td.appendChild(TV.block(v, k));
      else td.textContent = TV.inline(v);
      row.appendChild(td);
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }
  function eventTime(e) {
    var t = ns(e.time_unix_nano || e.timestamp);
    return t === null ? "" : "at " + fmtDur(ms(t - t0));
  }

  function showDetail(s) {
    detail.textContent = "";
    var h = el("h2", {id: "tv-detail-h"});
    h.appendChild(el("span", {"class": "tv-type tv-type-" + s.type.toLowerCase().replace(/[^a-z_]/g, "")}, s.type));
    h.appendChild(document.createTextNode(" "));
    h.appendChild(el("span", {"class": "tv-detail-name"}, s.name));
    detail.appendChild(h);
    var facts = el("dl", {"class": "tv-facts"});
    [["Status", s.status + (s.message ? " — " + s.message : "")], ["Duration", durText(s)],
      ["Started", s.start === null ? "—" : "+" + fmtDur(ms(s.start - t0)) + " into the trace"],
      ["Span id", s.id], ["Parent", s.parent ? (byId[s.parent] ? byId[s.parent].name : s.parent) : "— (root span)"]]
      .forEach(function (f) {
        var w = el("div");
        w.appendChild(el("dt", null, f[0]));
        w.appendChild(el("dd", {"class": f[0] === "Span id" ? "mono" : f[0] === "Status" ? "tv-status-" + s.status.toLowerCase() : null}, f[1]));
        facts.appendChild(w);
      });
    detail.appendChild(facts);
    var exceptions = s.events.filter(function (e) { return e && e.name === "exception"; });
    exceptions.forEach(function (e) {
      var a = e.attributes || {};
      var box = el("div", {"class": "tv-exception", role: "note"});
      box.appendChild(el("strong", null, String(TV.decode(a["exception.type"]) || "Exception") + ": "));
      box.appendChild(el("span", {"class": "tv-exception-message"}, String(TV.inline(TV.decode(a["exception.message"]) || ""))));
      var stack = TV.decode(a["exception.stacktrace"]);
      if (stack) {
        var d = el("details", {"class": "tv-stack"});
        d.appendChild(el("summary", null, "Stack trace (" + String(stack).split("\n").length + " lines)"));
        d.appendChild(el("pre", null, String(stack)));
        box.appendChild(d);
      }
      detail.appendChild(box);
    });
    var hasIn = Object.prototype.hasOwnProperty.call(s.attrs, "mlflow.spanInputs");
    var hasOut = Object.prototype.hasOwnProperty.call(s.attrs, "mlflow.spanOutputs");
    var inSec = section(detail, "Inputs", "tv-inputs");
    if (hasIn) valueView(inSec, TV.decode(s.attrs["mlflow.spanInputs"]), "inputs");
    else inSec.appendChild(el("p", {"class": "muted small"}, "None recorded."));
    var outSec = section(detail, "Outputs", "tv-outputs");
    if (hasOut) valueView(outSec, TV.decode(s.attrs["mlflow.spanOutputs"]), "outputs");
    else outSec.appendChild(el("p", {"class": "muted small"}, "None recorded."));
    var keys = Object.keys(s.attrs).filter(function (k) { return !SPECIAL[k]; }).sort(function (a, b) {
      return (a.indexOf("mlflow.") === 0) - (b.indexOf("mlflow.") === 0) || (a < b ? -1 : a > b ? 1 : 0);
    });
    var attrSec = section(detail, "Attributes (" + keys.length + ")", "tv-attributes");
    if (keys.length) attrSec.appendChild(kvTable(s.attrs, keys));
    else attrSec.appendChild(el("p", {"class": "muted small"}, "None."));
    var evSec = section(detail, "Events (" + s.events.length + ")", "tv-events");
    if (!s.events.length) evSec.appendChild(el("p", {"class": "muted small"}, "None."));
    var ol = el("ol", {"class": "tv-event-list"});
    s.events.forEach(function (e) {
      var li = el("li");
      li.appendChild(el("strong", null, String(e && e.name)));
      li.appendChild(el("span", {"class": "muted small"}, " " + eventTime(e || {})));
      var a = e && e.attributes || {};
      var ak = Object.keys(a).sort();
      if (ak.length) li.appendChild(kvTable(a, ak));
      ol.appendChild(li);
    });
    if (s.events.length) evSec.appendChild(ol);
  }

  function select(s, opts) {
    if (!s) return;
    var prev = selected, reopened = false;
    selected = s;
    // its ancestors open (bounded: a damaged trace's parents may form a cycle)
    for (var p = byId[s.parent], n = 0; p && p !== s && n < spans.length; p = byId[p.parent], n++) {
      if (closed.delete(p)) reopened = true;
    }
    var row = document.getElementById("tv-s-" + s.i);
    if (reopened || !row) renderTree();
    else {  // only the selection moves: no new rows
      var old = prev && document.getElementById("tv-s-" + prev.i);
      if (old) old.setAttribute("aria-selected", "false");
      row.setAttribute("aria-selected", "true");
      tree.setAttribute("aria-activedescendant", row.id);
    }
    showDetail(s);
    row = document.getElementById("tv-s-" + s.i);
    if (row && row.scrollIntoView && !(opts && opts.noScroll)) row.scrollIntoView({block: "nearest"});
    if (!(opts && opts.fromHash)) {
      var frag = tr.fragment.format({span: s.id});
      var url = location.href.split("#")[0] + "#" + frag;
      if (url !== location.href) {
        try { history.replaceState(null, "", url); } catch (e) { location.hash = frag; }
      }
    }
    lastHash = location.hash;
  }
  var lastHash = location.hash;
  function fromHash() {
    var want = tr.fragment.parse().span;
    return want && (byId[want] || byId[hexId(want)]) || order[0];
  }
  window.addEventListener("hashchange", function () {
    if (location.hash === lastHash) return;
    select(fromHash(), {fromHash: true});
  });

  function toggle(s, open) {
    if (!s.kids.length) return;
    if (open === undefined) open = closed.has(s);
    if (open) closed.delete(s); else closed.add(s);
    renderTree();
  }
  tree.addEventListener("click", function (e) {
    var li = e.target.closest("li[data-index]");
    if (!li) return;
    var s = visible[Number(li.getAttribute("data-index"))];
    if (e.target.closest(".tv-twisty")) { toggle(s); return; }
    select(s, {noScroll: true});
  });
  tree.addEventListener("keydown", function (e) {
    var i = visible.indexOf(selected), s = selected;
    switch (e.key) {
      case "ArrowDown": select(visible[Math.min(visible.length - 1, i + 1)]); break;
      case "ArrowUp": select(visible[Math.max(0, i - 1)]); break;
      case "Home": select(visible[0]); break;
      case "End": select(visible[visible.length - 1]); break;
      case "ArrowRight":
        if (s.kids.length && closed.has(s)) toggle(s, true); else if (s.kids.length) select(visible[i + 1]);
        break;
      case "ArrowLeft":
        if (s.kids.length && !closed.has(s)) toggle(s, false); else if (byId[s.parent]) select(byId[s.parent]);
        break;
      case "Enter": case " ": toggle(s); break;
      default: return;
    }
    e.preventDefault();
  });

  // ---- assessments, tags, metadata ----
  function assessments() {
    var list = info.assessments || [];
    var sec = el("section", {id: "tv-assessments", "class": "card"});
    sec.appendChild(el("h2", null, "Assessments (" + list.length + ")"));
    if (!list.length) { sec.appendChild(el("p", {"class": "muted small"}, "None.")); return sec; }
    var wrap = el("div", {"class": "table-wrap"});
    var table = el("table", {"class": "tv-assess"});
    var head = el("tr");
    ["Name", "Kind", "Value", "Source", "Rationale", "Span", "Time"].forEach(function (h) { head.appendChild(el("th", {scope: "col"}, h)); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    list.forEach(function (a) {
      var kind = a.feedback ? "feedback" : a.expectation ? "expectation" : "assessment";
      var part = a.feedback || a.expectation || {};
      var value = "value" in part ? part.value : part.serialized_value ? TV.decode(part.serialized_value.value) : undefined;
      var row = el("tr", {"class": "tv-assessment" + (a.valid === false ? " tv-invalid" : ""), "data-kind": kind});
      row.appendChild(el("th", {scope: "row"}, String(a.assessment_name || a.name || "")));
      row.appendChild(el("td", null, kind + (a.valid === false ? " (overridden)" : "")));
      var v = el("td", {"class": "val"});
      if (part.error) v.appendChild(el("span", {"class": "tv-status-error"}, "error: " + TV.inline(part.error.error_message || part.error)));
      else if (value !== null && typeof value === "object") v.appendChild(TV.block(value));
      else v.textContent = TV.inline(value === undefined ? null : value);
      row.appendChild(v);
      var src = a.source || {};
      row.appendChild(el("td", null, [src.source_type, src.source_id].filter(Boolean).join(" · ")));
      var r = el("td", {"class": "tv-rationale"});
      if (a.rationale) r.appendChild(TV.block(String(a.rationale)));
      row.appendChild(r);
      var sp = el("td");
      var aspan = a.span_id && (byId[a.span_id] || byId[hexId(a.span_id)]);
      if (aspan) {
        var b = el("button", {type: "button", "class": "linkish"}, aspan.name);
        b.addEventListener("click", function () { select(aspan); tree.focus(); });
        sp.appendChild(b);
      } else if (a.span_id) sp.textContent = a.span_id;
      row.appendChild(sp);
      var when = a.create_time ? tr.date(typeof a.create_time === "number" ? a.create_time : Date.parse(a.create_time)) : null;
      row.appendChild(el("td", {"class": "small"}, when ? TV.time(when.getTime()) : ""));
      body.appendChild(row);
    });
    table.appendChild(body);
    wrap.appendChild(table);
    sec.appendChild(wrap);
    return sec;
  }
  function keyValues(id, title, obj, systemTitle) {
    var sec = el("section", {id: id, "class": "card"});
    var keys = Object.keys(obj || {}).sort();
    sec.appendChild(el("h2", null, title + " (" + keys.length + ")"));
    var mine = keys.filter(function (k) { return k.indexOf("mlflow.") !== 0; });
    var sys = keys.filter(function (k) { return k.indexOf("mlflow.") === 0; });
    if (mine.length) sec.appendChild(kvTable(obj, mine));
    if (sys.length) {
      var d = el("details", {"class": "system-tags"});
      d.appendChild(el("summary", null, systemTitle + " (" + sys.length + ")"));
      d.appendChild(kvTable(obj, sys));
      sec.appendChild(d);
    }
    if (!keys.length) sec.appendChild(el("p", {"class": "muted small"}, "None."));
    return sec;
  }
  app.appendChild(assessments());
  app.appendChild(keyValues("tv-tags", "Tags", info.tags, "MLflow's tags"));
  app.appendChild(keyValues("tv-metadata", "Metadata", info.trace_metadata || info.request_metadata, "MLflow's metadata"));

  var fallback = document.getElementById("trace-static");
  if (fallback) fallback.remove();
  app.hidden = false;
  if (order.length) select(fromHash(), {fromHash: true, noScroll: true});
  else detail.appendChild(el("p", {"class": "muted"}, "This trace has no spans."));
  app.setAttribute("data-state", "ready");
  tr.traceView = {
    select: function (id) { select(byId[id]); },
    selected: function () { return selected && selected.id; }
  };
})();
