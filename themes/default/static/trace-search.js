/* trackreport trace search: MLflow's trace search syntax (MlflowClient.search_traces(
   filter_string=…), SearchTraceUtils) and its order_by on the traces.js payload (the
   experiment's trace list). Classic script, needs core.js and search.js (whose sqlparse-like
   tokenizer it shares: a filter is split and grouped as MLflow splits and groups it).

   trackreport.traceSearch.parse(filter)            → {clauses}, or throws SearchError (MLflow's reason)
   trackreport.traceSearch.filter(payload, filter)  → the matching traces, in payload order
   trackreport.traceSearch.apply(payload, input)    → what the search box shows: {traces, error, text}
   trackreport.traceSearch.parseOrderKey(key)       → {key, ascending}, or throws SearchError
   trackreport.traceSearch.order(key, asc)          → comparator of trace records
   trackreport.traceSearch.defaultOrder             → request time descending, then trace id

   What the list carries decides what can be searched: attributes (request_id, timestamp_ms,
   execution_time_ms, end_time_ms, status, name, run_id), tags, feedback and expectation values.
   Span filters (span.*, text) and request metadata other than the source run need every
   trace's spans or metadata, which the list does not load: they are refused with a reason. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var S = tr.search;
  if (!S || !S.comparisons) return;
  var fail = S.fail;

  var SEARCH_ATTRS = ["request_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms", "end_time",
    "end_time_ms", "status", "client_request_id", "name", "run_id", "prompt", "text"];
  var ORDER_ATTRS = ["experiment_id", "timestamp", "timestamp_ms", "execution_time", "execution_time_ms", "end_time",
    "end_time_ms", "status", "request_id", "name", "run_id"];
  var NUMERIC = ["timestamp_ms", "timestamp", "execution_time_ms", "execution_time", "end_time_ms", "end_time"];
  var IN_KEYS = ["name", "status", "request_id", "run_id", "client_request_id"];
  var C = {
    tag: ["!=", "=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"],
    string: ["!=", "=", "IN", "NOT IN", "LIKE", "ILIKE", "RLIKE"],
    numeric: [">", ">=", "!=", "=", "<", "<="],
    metadata: ["!=", "=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"],
    assessment: ["!=", "=", ">", ">=", "<", "<=", "LIKE", "ILIKE", "RLIKE", "IS NULL", "IS NOT NULL"]
  };
  var ALTERNATE = {tags: "tag", attributes: "attribute", trace: "attribute", metadata: "request_metadata"};
  var IDENTIFIERS = ["tag", "request_metadata", "attribute", "span", "feedback", "expectation", "issue"];
  var KEY_TO_TAG = {name: "mlflow.traceName", prompt: "mlflow.linkedPrompts"};
  var KEY_TO_METADATA = {run_id: "mlflow.sourceRun"};
  var KEY_TO_ATTR = {timestamp: "timestamp_ms", execution_time: "execution_time_ms", end_time: "end_time_ms"};
  var SOURCE_RUN = "mlflow.sourceRun";

  function pySet(list) { return "{" + list.map(function (v) { return "'" + v + "'"; }).join(", ") + "}"; }

  function identifier(text, validAttrs) {
    var dot = text.indexOf(".");
    var entity = dot < 0 ? "attribute" : text.slice(0, dot), key = dot < 0 ? text : text.slice(dot + 1);
    entity = S.trimBackticks(entity);
    var all = IDENTIFIERS.concat(Object.keys(ALTERNATE));
    if (all.indexOf(entity) < 0) fail("Invalid entity type '" + entity + "'. Valid values are " + pySet(all));
    var type = ALTERNATE[entity] || entity;
    key = S.trimBackticks(S.stripQuotes(key));
    if (type === "attribute" && validAttrs.indexOf(key) < 0) {
      fail("Invalid attribute key '" + key + "' specified. Valid keys are '" + pySet(validAttrs) + "'");
    }
    return {type: type, key: key};
  }

  // SearchTraceUtils._replace_key_to_tag_or_metadata
  function remap(id) {
    if (id.type === "span") return id;
    var k = id.key.toLowerCase();
    if (KEY_TO_TAG[k]) return {type: "tag", key: KEY_TO_TAG[k]};
    if (KEY_TO_METADATA[k]) return {type: "request_metadata", key: KEY_TO_METADATA[k]};
    if (k === "text") return {type: "span", key: "content"};
    if (KEY_TO_ATTR[k]) return {type: id.type, key: KEY_TO_ATTR[k]};
    return id;
  }

  function value(type, key, comparator, tok) {
    var numeric = tok.t === "int" || tok.t === "float", string = tok.t === "string" || tok.t === "ident";
    if (type === "feedback" || type === "expectation") {
      var wantNum = ["<", "<=", ">", ">="].indexOf(comparator) >= 0;
      if (wantNum ? !numeric : !string) {
        fail(wantNum ? "Expected a numeric value for " + type + " when using comparator '" + comparator + "'. Got value " + tok.v
          : "Expected a quoted string value for " + type + " (e.g. 'my-value'). Got value " + tok.v);
      }
      return numeric ? Number(tok.v) : S.stripQuotes(tok.v, true);
    }
    if (string) return S.stripQuotes(tok.v, true);
    if (tok.t === "paren" && type !== "request_metadata" && type !== "issue") {
      if (type === "attribute" && IN_KEYS.indexOf(key) < 0) {
        fail("Only attributes in " + pySet(IN_KEYS) + " supports comparison with a list of quoted string values.");
      }
      return S.literalList(tok.v);
    }
    if (type === "attribute" && numeric) {
      if (NUMERIC.indexOf(key) < 0) fail("Only the '" + pySet(NUMERIC) + "' attributes support comparison with numeric values.");
      return Number(tok.v);
    }
    if (type === "attribute") {
      fail("Expected a quoted string value or a list of quoted string values for attributes. Got value " + tok.v);
    }
    fail("Expected a quoted string value for " + type + " (e.g. 'my-value'). Got value " + tok.v);
  }

  function checkComparator(list, comparator, what) {
    if (list.indexOf(comparator) < 0) fail("Invalid comparator '" + comparator + "' not one of '" + pySet(list) + "'" + (what || ""));
  }

  function clause(cmp) {
    var parts = cmp.parts;
    if (parts[0].t !== "ident") fail("Invalid comparison clause. Expected 'Identifier' found '" + parts[0].v + "'");
    var id = identifier(parts[0].v, SEARCH_ATTRS);
    var comparator = parts[1].v.toUpperCase();
    var val = parts.length === 2 ? null : value(id.type, id.key, comparator, parts[2]);
    id = remap(id);
    if (id.type === "tag") checkComparator(C.tag, comparator);
    else if (id.type === "request_metadata") {
      checkComparator(C.metadata, comparator);
      if (id.key !== SOURCE_RUN) {
        fail("Filters on request metadata other than " + SOURCE_RUN + " (run_id) need each trace's metadata, " +
          "which this list does not load: open a trace to see its metadata.");
      }
    } else if (id.type === "attribute") {
      checkComparator(NUMERIC.indexOf(id.key) >= 0 ? C.numeric : C.string, comparator);
      if (id.key === "client_request_id") fail("This list does not carry client request ids.");
    } else if (id.type === "span") {
      fail("Span filtering requires database support and cannot be performed on in-memory trace data " +
        "(this list does not load every trace's spans).");
    } else if (id.type === "issue") {
      fail("Issue filters are not supported by this list.");
    } else {
      if (!id.key) fail("Assessment field name cannot be empty");
      checkComparator(C.assessment, comparator);
    }
    if (val === null && comparator !== "IS NULL" && comparator !== "IS NOT NULL") {
      fail("Invalid comparison clause. Expected a value after '" + comparator + "'");
    }
    return {type: id.type, key: id.key, comparator: comparator, value: val};
  }

  /** The clauses of a trace filter; throws SearchError for what MLflow rejects (and for what
      this list cannot search, saying why). */
  function parse(filterString) {
    if (!filterString || !String(filterString).trim()) return {clauses: []};
    return {clauses: S.comparisons(String(filterString)).map(clause)};
  }

  // ---- evaluation on traces.js records ----
  function attr(t, key) {
    switch (key) {
      case "request_id": return t.trace_id;
      case "timestamp_ms": return t.request_time;
      case "execution_time_ms": return t.execution_duration;
      case "end_time_ms":
        return t.request_time === null || t.request_time === undefined ? null : t.request_time + (t.execution_duration || 0);
      case "status": return t.state;
      case "experiment_id": return null;
    }
    return null;
  }
  function tag(t, key) {
    var tags = t.tags || {};
    if (Object.prototype.hasOwnProperty.call(tags, key)) return tags[key];
    if (key === "mlflow.traceName") return t.name === undefined ? null : t.name;
    return null;
  }
  function assessmentValues(t, kind, name) {
    return (t.assessments || []).filter(function (a) { return a.kind === kind && a.name === name; })
      .map(function (a) { return a.value; });
  }
  function jsonText(v) { return typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v === undefined ? null : v); }

  function compare(c, lhs, rhs) {
    if (c === "RLIKE") {
      try { return new RegExp(rhs).test(lhs); } catch (e) { return false; }
    }
    return S.compare(c, lhs, rhs, "file");
  }

  function clauseMatches(c, t) {
    var lhs;
    if (c.type === "feedback" || c.type === "expectation") {
      var values = assessmentValues(t, c.type, c.key);
      if (c.comparator === "IS NULL") return !values.length;
      if (c.comparator === "IS NOT NULL") return values.length > 0;
      return values.some(function (v) {
        var text = jsonText(v);
        if (c.comparator === "=" || c.comparator === "!=") {
          var eq = text === String(c.value) || text === JSON.stringify(c.value);
          return c.comparator === "=" ? eq : !eq;
        }
        if (typeof c.value === "number") return typeof v === "number" && compare(c.comparator, v, c.value);
        return compare(c.comparator, text, c.value);
      });
    }
    if (c.type === "tag") lhs = tag(t, c.key);
    else if (c.type === "request_metadata") lhs = t.run_id === undefined ? null : t.run_id;
    else lhs = attr(t, c.key);
    if (c.comparator === "IS NULL") return lhs === null;
    if (c.comparator === "IS NOT NULL") return lhs !== null;
    if (lhs === null || lhs === undefined) return false;
    if (Array.isArray(c.value) && c.comparator !== "IN" && c.comparator !== "NOT IN") return false;
    return compare(c.comparator, lhs, c.value);
  }

  function filter(payload, filterString) {
    var f = typeof filterString === "object" && filterString ? filterString : parse(filterString);
    return (payload.traces || []).filter(function (t) {
      for (var i = 0; i < f.clauses.length; i++) if (!clauseMatches(f.clauses[i], t)) return false;
      return true;
    });
  }

  // ---- the search box: a filter MLflow accepts, else (text not meant as a filter) a search ----
  var MEANT_AS_FILTER = new RegExp("[=<>]|^\\s*(attributes?|trace|tags?|metadata|request_metadata|span|feedback|" +
    "expectation|issue)\\.\\S|\\bIN\\s*\\(|\\bIS\\s+(NOT\\s+)?NULL\\b|\\b[IR]?LIKE\\s+['\"]", "i");

  function haystack(t) {
    var tags = t.tags || {};
    return [t.trace_id, t.name, t.request_preview, t.response_preview, t.run_id].concat(
      Object.keys(tags).map(function (k) { return k + "=" + tags[k]; })).join("\n").toLowerCase();
  }

  /** What the search box shows: {traces, error: MLflow's reason or null, text: true when the
      input was not a filter and was searched for in trace ids, names, request and response
      previews, run ids and tags (case-insensitive) instead}. Blank input: every trace. */
  function apply(payload, input) {
    var text = input === undefined || input === null ? "" : String(input);
    var all = payload.traces || [];
    if (!text.trim()) return {traces: all.slice(), error: null, text: false};
    try {
      return {traces: filter(payload, text), error: null, text: false};
    } catch (e) {
      if (!(e instanceof S.SearchError)) throw e;
      if (MEANT_AS_FILTER.test(text)) return {traces: [], error: e.message, text: false};
      var needle = text.trim().toLowerCase();
      return {traces: all.filter(function (t) { return haystack(t).indexOf(needle) >= 0; }), error: null, text: true};
    }
  }

  // ---- order_by (SearchTraceUtils._get_sort_key: ties by timestamp descending, then id) ----
  function parseOrderKey(orderKey) {
    var text = String(orderKey || "").trim(), ascending = true;
    var dir = /\s+(ASC|DESC)$/i.exec(text);
    if (dir) { ascending = dir[1].toUpperCase() === "ASC"; text = text.slice(0, dir.index); }
    var id = remap(identifier(text, ORDER_ATTRS));
    if (id.type !== "attribute" && !(id.type === "tag" && id.key === "mlflow.traceName") &&
        !(id.type === "request_metadata" && id.key === SOURCE_RUN)) {
      fail("Invalid order_by entity `" + id.type + "` with key `" + id.key + "`");
    }
    return {type: id.type, key: id.key, ascending: ascending};
  }

  function defaultOrder(a, b) {
    var ta = a.request_time, tb = b.request_time;
    if (ta !== tb) {
      if (ta === null || ta === undefined) return 1;
      if (tb === null || tb === undefined) return -1;
      return tb - ta;
    }
    return S.cmpStr(String(a.trace_id), String(b.trace_id));
  }

  /** A comparator: `key` an order key MLflow accepts or a value function (t → value);
      values missing last in both directions, ties in the default order. */
  function order(key, ascending) {
    var get = key;
    if (typeof key !== "function") {
      var o = parseOrderKey(key);
      get = o.type === "tag" ? function (t) { return tag(t, o.key); }
        : o.type === "request_metadata" ? function (t) { return t.run_id; }
        : function (t) { return attr(t, o.key); };
    }
    var sign = ascending ? 1 : -1;
    return function (a, b) {
      var va = get(a), vb = get(b);
      var na = va === null || va === undefined, nb = vb === null || vb === undefined;
      if (na !== nb) return na ? 1 : -1;
      var c = 0;
      if (!na) c = typeof va === "string" && typeof vb === "string" ? S.cmpStr(va, vb) : va < vb ? -1 : va > vb ? 1 : 0;
      return sign * c || defaultOrder(a, b);
    };
  }

  tr.traceSearch = {parse: parse, filter: filter, apply: apply, parseOrderKey: parseOrderKey, order: order, defaultOrder: defaultOrder,
    matches: function (f, t) { return clauseMatchesAll(f, t); }};
  function clauseMatchesAll(f, t) {
    var parsed = typeof f === "object" && f ? f : parse(f);
    return parsed.clauses.every(function (c) { return clauseMatches(c, t); });
  }
})();
