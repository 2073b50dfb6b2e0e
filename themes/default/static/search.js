/* trackreport search: MLflow's run search syntax (MlflowClient.search_runs(filter_string=…))
   and MLflow's run order (order_by=[…]) in the browser, on the runs.js payload
   (docs/design.md §2). Classic script, needs core.js. One test matrix
   (tests/search_matrix.py) checks it against MLflow's own client on a file and a SQLite store.

   trackreport.search.parse(filter)              → compiled filter, or throws SearchError
   trackreport.search.matches(compiled, run, payload) → boolean
   trackreport.search.filter(payload, filter)    → the matching runs, in payload order
   trackreport.search.toFilter(userInput)        → the filter MLflow's UI sends for a search box text
   trackreport.search.apply(payload, userInput)  → {filter, runs, error}: what the search box shows
   trackreport.search.parseOrderKey(key)         → {type, key, ascending}, or throws SearchError
   trackreport.search.order(payload, key, asc)   → comparator of run records (MLflow's order_by)
   trackreport.search.sort(payload, runs, key, asc) → sorted copy (runs default: payload.runs)

   The string is split into tokens as sqlparse (which MLflow uses) splits it, and the tokens are
   grouped as sqlparse groups them, so what MLflow rejects is rejected here too, with its reason.
   Rules that differ by store follow payload.store_kind (see likeRegex and runName below). */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};

  function SearchError(message) {
    this.message = message;
    this.stack = new Error(message).stack;
  }
  SearchError.prototype = Object.create(Error.prototype);
  SearchError.prototype.constructor = SearchError;
  SearchError.prototype.name = "SearchError";
  function fail(message) { throw new SearchError(message); }

  // ---- sqlparse's lexer (sqlparse/keywords.py SQL_REGEX, flags IGNORECASE|UNICODE), the rules
  // that can occur in a filter; every other token ("other") makes the filter invalid ----
  var W = "[\\p{L}\\p{N}_]";      // Python's \w on str
  var NW = "(?!" + W + ")";       // Python's \b after a word (JS's \b is ASCII only)
  var L1 = "[A-ZÀ-Ü]";            // with the i flag as with re.I
  var RULES = [
    ["other", "(?:--|# ).*?(?:\\r\\n|\\r|\\n|$)"],
    ["ws", "\\r\\n|\\r|\\n|\\s"],
    ["other", "/\\*|:=|::|\\$"],
    ["wild", "\\*"],
    ["name", "`(?:``|[^`])*`|´(?:´´|[^´])*´"],
    ["other", "\\?|%(?:\\(" + W + "+\\))?s|(?<!" + W + ")[:?]" + W + "+|\\\\" + W + "+"],
    ["kw", "(?:CASE|IN|VALUES|USING|FROM|AS)" + NW],
    ["name", "(?:@|##|#)" + L1 + W + "+"],
    ["name", L1 + W + "*(?=\\s*\\.(?![0-9]))"],
    ["name", "(?<=\\.)" + L1 + W + "*"],
    ["other", L1 + W + "*(?=\\()"],
    ["other", "-?0x[0-9A-F]+"],  // hexadecimal: never a valid value
    ["float", "-?[0-9]+(?:\\.[0-9]+)?E-?[0-9]+"],
    ["float", "(?![_A-ZÀ-Ü])-?(?:[0-9]+\\.[0-9]*|\\.[0-9]+)(?![_A-ZÀ-Ü])"],
    ["int", "(?![_A-ZÀ-Ü])-?[0-9]+(?![_A-ZÀ-Ü])"],
    ["string", "'(?:''|\\\\'|[^'])*'"],
    ["symbol", "\"(?:\"\"|\\\\\"|[^\"])*\"|\"\"|\".*?[^\\\\]\""],
    ["name", "(?<![\\p{L}\\p{N}_\\])])\\[[^\\]\\[]+\\]"],
    ["kw", "NOT\\s+NULL" + NW],
    ["op", "(?:NOT\\s+)?(?:LIKE|ILIKE|RLIKE)" + NW + "|(?:NOT\\s+)?REGEXP(?:\\s+BINARY)?" + NW],
    ["word", W + "[$#\\p{L}\\p{N}_]*"],
    ["punct", "[;:()\\[\\],.]"],
    ["op", "[<>=~!]+"],
    ["other", "[\\s\\S]"]
  ].map(function (r) { return [r[0], new RegExp(r[1], "iuy")]; });
  // Words that are sqlparse keywords and matter here (any other keyword ends up invalid too).
  var KEYWORDS = /^(AND|OR|NOT|IS|NULL|IN|TRUE|FALSE|BETWEEN|EXISTS|SELECT|WHERE|ASC|DESC)$/i;

  function lex(text) {
    var out = [], pos = 0;
    while (pos < text.length) {
      for (var i = 0; i < RULES.length; i++) {
        var re = RULES[i][1];
        re.lastIndex = pos;
        var m = re.exec(text);
        if (!m || !m[0]) continue;
        var type = RULES[i][0];
        if (type === "word") type = KEYWORDS.test(m[0]) ? "kw" : "name";
        if (type !== "ws") out.push({t: type, v: m[0], s: pos, e: pos + m[0].length});
        pos += m[0].length;
        break;
      }
    }
    return out;
  }

  // ---- sqlparse's grouping: parentheses, identifiers (a.b.c), comparisons, aliases ----
  function span(text, a, b, type) { return {t: type, v: text.slice(a.s, b.e), s: a.s, e: b.e}; }

  function groupParens(text, toks) {
    var out = [], stack = [];
    toks.forEach(function (tok) {
      if (tok.t === "punct" && tok.v === "(") { stack.push(out.length); out.push(tok); return; }
      if (tok.t === "punct" && tok.v === ")" && stack.length) {
        var at = stack.pop();
        out.splice(at, out.length - at, span(text, out[at], tok, "paren"));
        return;
      }
      out.push(tok);
    });
    return out;
  }

  function groupIdentifiers(text, toks) {
    var out = [];
    for (var i = 0; i < toks.length; i++) {
      var tok = toks[i];
      if (tok.t !== "name" && tok.t !== "symbol") { out.push(tok); continue; }
      var first = tok, last = tok;
      while (toks[i + 1] && toks[i + 1].t === "punct" && toks[i + 1].v === ".") {
        last = toks[++i];
        var next = toks[i + 1];
        if (next && /^(name|symbol|wild|string)$/.test(next.t)) last = toks[++i];
      }
      out.push(span(text, first, last, "ident"));
    }
    return out;
  }

  var OPERAND = /^(ident|paren|int|float|string|symbol|name)$/;
  function groupComparisons(text, toks) {
    var out = [];
    for (var i = 0; i < toks.length; i++) {
      var prev = out[out.length - 1], op = toks[i], next = toks[i + 1];
      var valid = function (t) { return t && (OPERAND.test(t.t) || (t.t === "kw" && /^NULL$/i.test(t.v))); };
      if (op.t === "op" && valid(prev) && valid(next)) {
        out[out.length - 1] = span(text, prev, next, "cmp");
        out[out.length - 1].parts = [prev, op, next];
        i++;
      } else out.push(op);
    }
    // group_aliased: a comparison, identifier, parenthesis or number followed by an identifier
    // becomes one identifier (so "metrics.a = 1 foo" is invalid, as in MLflow)
    var merged = [];
    for (var j = 0; j < out.length; j++) {
      var tok = out[j];
      if (/^(cmp|ident|paren|int|float)$/.test(tok.t) && out[j + 1] && out[j + 1].t === "ident") {
        tok = span(text, tok, out[++j], "ident");
      }
      merged.push(tok);
    }
    return merged;
  }

  // MLflow's _join_in_comparison_tokens: IN (...), NOT IN (...), IS NULL, IS NOT NULL
  function joinComparisons(text, toks) {
    var out = [];
    for (var i = 0; i < toks.length; i++) {
      var a = toks[i], b = toks[i + 1], c = toks[i + 2], d = toks[i + 3];
      var kw = function (t, v) { return t && t.t === "kw" && t.v.toUpperCase() === v; };
      if (a.t === "ident" && b && c) {
        if (kw(b, "IN") && c.t === "paren") {
          out.push({t: "cmp", v: text.slice(a.s, c.e), parts: [a, {v: b.v}, c]}); i += 2; continue;
        }
        if (kw(b, "IS") && kw(c, "NULL")) { out.push({t: "cmp", parts: [a, {v: "IS NULL"}]}); i += 2; continue; }
        if (kw(b, "IS") && kw(c, "NOT NULL")) {
          out.push({t: "cmp", parts: [a, {v: "IS NOT NULL"}]}); i += 2; continue;
        }
        if (kw(b, "NOT") && kw(c, "IN") && d && d.t === "paren") {
          out.push({t: "cmp", parts: [a, {v: "NOT IN"}, d]}); i += 3; continue;
        }
      }
      out.push(a);
    }
    return out;
  }

  // ---- MLflow's SearchUtils rules ----
  var TYPES = {
    metric: "metric", metrics: "metric", parameter: "param", parameters: "param", param: "param",
    params: "param", tag: "tag", tags: "tag", attribute: "attribute", attributes: "attribute",
    attr: "attribute", run: "attribute", dataset: "dataset", datasets: "dataset"
  };
  var STRING_ATTRS = ["run_id", "run_name", "status", "user_id", "artifact_uri", "run name", "Run name", "Run Name"];
  var NUMERIC_ATTRS = ["start_time", "end_time", "created", "Created"];
  var ALIASES = {created: "start_time", Created: "start_time", "run name": "run_name", "Run name": "run_name",
    "Run Name": "run_name"};
  var COMPARATORS = {
    metric: [">", ">=", "!=", "=", "<", "<="],
    param: ["!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"],
    tag: ["!=", "=", "LIKE", "ILIKE", "IS NULL", "IS NOT NULL"],
    string: ["!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"],
    numeric: [">", ">=", "!=", "=", "<", "<="],
    dataset: ["!=", "=", "LIKE", "ILIKE", "IN", "NOT IN"]
  };
  var ENTITY_NAMES = "['metric', 'parameter', 'tag', 'attribute', 'dataset']";

  function quoted(v, q) { return v.length >= 2 && v[0] === q && v[v.length - 1] === q; }
  function trimBackticks(v) { return quoted(v, "`") ? v.slice(1, -1) : v; }
  function stripQuotes(v, required) {
    if (quoted(v, "'") || quoted(v, "\"")) return v.slice(1, -1);
    if (required) {
      fail("Parameter value is either not quoted or unidentified quote types used for string value " + v +
        ". Use either single or double quotes.");
    }
    return v;
  }

  function identifier(text, validAttributes) {
    var dot = text.indexOf(".");
    var entity = dot < 0 ? "attribute" : text.slice(0, dot), key = dot < 0 ? text : text.slice(dot + 1);
    var type = TYPES[trimBackticks(entity)];
    if (!Object.prototype.hasOwnProperty.call(TYPES, trimBackticks(entity))) {
      fail("Invalid entity type '" + trimBackticks(entity) + "'. Valid values are " + ENTITY_NAMES);
    }
    key = trimBackticks(stripQuotes(key));
    if (type === "attribute" && validAttributes.indexOf(key) < 0) fail("Invalid attribute key '" + key + "' specified.");
    if (type === "dataset" && ["name", "digest", "context"].indexOf(key) < 0) {
      fail("Invalid dataset key '" + key + "' specified.");
    }
    return {type: type, key: key};
  }

  // ast.literal_eval of "('a', 'b')": a tuple (or one value) of Python string literals
  var PY_ESCAPES = {"\\": "\\", "'": "'", "\"": "\"", a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t",
    v: "\v", "\n": ""};
  function pyString(body) {
    return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|[\s\S])/g, function (m, e) {
      if (/^[xuU]/.test(e) && e.length > 1) return String.fromCodePoint(parseInt(e.slice(1), 16));
      if (/^[0-7]/.test(e)) return String.fromCodePoint(parseInt(e, 8));
      return Object.prototype.hasOwnProperty.call(PY_ESCAPES, e) ? PY_ESCAPES[e] : m;
    });
  }
  function literalList(text) {
    var ill = "While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.";
    var re = /\s*(?:'((?:[^'\\\n]|\\[\s\S])*)'|"((?:[^"\\\n]|\\[\s\S])*)"|(,)|([\s\S]))/y;
    var items = [], current = null, commas = 0, m, pos = 1, inner = text.slice(0, -1);
    re.lastIndex = pos;
    while (re.lastIndex < inner.length && (m = re.exec(inner))) {
      if (m[4] !== undefined) {
        if (/\s/.test(m[4])) continue;
        fail(ill);
      }
      if (m[3] !== undefined) {
        if (current === null) fail(ill);
        items.push(current); current = null; commas++;
        continue;
      }
      current = (current || "") + pyString(m[1] !== undefined ? m[1] : m[2]);
    }
    if (current !== null) items.push(current);
    if (!items.length) {
      fail("While parsing a list in the query, expected a non-empty list of string values, but got empty list");
    }
    return items;
  }

  function value(type, key, tok) {
    var numeric = tok.t === "int" || tok.t === "float";
    var string = tok.t === "string" || tok.t === "ident";
    if (type === "metric") {
      if (!numeric) fail("Expected numeric value type for metric. Found " + tok.v);
      return Number(tok.v);
    }
    if (type === "param" || type === "tag") {
      if (string) return stripQuotes(tok.v, true);
      fail("Expected a quoted string value for " + (type === "param" ? "parameter" : "tag") +
        " (e.g. 'my-value'). Got value " + tok.v);
    }
    if (type === "attribute" && NUMERIC_ATTRS.indexOf(key) >= 0) {
      if (!numeric) fail("Expected numeric value type for numeric attribute: " + key + ". Found " + tok.v);
      return Number(tok.v);
    }
    if (string) return stripQuotes(tok.v, true);
    if (tok.t === "paren") {
      if (type === "attribute" && key !== "run_id") {
        fail("Only ['run_id'] attributes support comparison with a list of quoted string values.");
      }
      return literalList(tok.v);
    }
    fail("Expected a quoted string value for " + (type === "dataset" ? "dataset " : "") + "attributes. Got value " + tok.v);
  }

  function clause(cmp, options) {
    var parts = cmp.parts;
    if (parts[0].t !== "ident") fail("Invalid comparison clause. Expected 'Identifier' found '" + parts[0].v + "'");
    var id = identifier(parts[0].v, STRING_ATTRS.concat(NUMERIC_ATTRS));
    var comparator = parts[1].v.toUpperCase();
    var val = null;
    if (parts.length === 2) {
      if (id.type !== "tag" && id.type !== "param") {
        fail("IS NULL / IS NOT NULL is only supported for tags and params, not for '" +
          (id.type === "param" ? "parameter" : id.type) + "' '" + id.key + "'");
      }
    } else val = value(id.type, id.key, parts[2]);
    var group = id.type !== "attribute" ? id.type : NUMERIC_ATTRS.indexOf(id.key) >= 0 ? "numeric" : "string";
    var valid = COMPARATORS[group];
    if (options && options.rlike && group === "string") valid = valid.concat(["RLIKE"]);
    if (valid.indexOf(comparator) < 0) {
      fail("Invalid comparator '" + comparator + "' not one of '" + JSON.stringify(valid) + "'");
    }
    return {type: id.type, key: ALIASES[id.key] || id.key, comparator: comparator, value: val};
  }

  /** The clauses of an MLflow run filter ([{type, key, comparator, value}]); throws SearchError for
      what MLflow's client rejects. `options.rlike` admits RLIKE on string attributes (the quick
      search of MLflow's UI, see toFilter). */
  function parse(filterString, options) {
    if (!filterString) return {clauses: []};
    return {clauses: comparisons(String(filterString)).map(function (t) { return clause(t, options); })};
  }

  /** The comparisons of a filter as sqlparse groups them ([{t: "cmp", parts: [identifier,
      comparator, value?]}]), MLflow's statement checks passed (one statement, nothing but
      comparisons joined by AND); throws SearchError with MLflow's reason. Shared with the trace
      search (trace-search.js), whose SearchTraceUtils parses the same way. */
  function comparisons(text) {
    var toks = lex(text);
    if (!toks.length) fail("Invalid filter '" + text + "'. Could not be parsed.");  // only whitespace
    if (toks.some(function (t) { return t.t === "punct" && t.v === ";"; })) {
      fail("Search filter contained multiple expression '" + text + "'. Provide AND-ed expression list.");
    }
    toks = joinComparisons(text, groupComparisons(text, groupIdentifiers(text, groupParens(text, toks))));
    var invalid = toks.filter(function (t) { return t.t !== "cmp" && !(t.t === "kw" && t.v.toUpperCase() === "AND"); });
    if (invalid.length) {
      fail("Invalid clause(s) in filter string: " + invalid.map(function (t) { return "'" + t.v + "'"; }).join(", "));
    }
    return toks.filter(function (t) { return t.t === "cmp"; });
  }

  // ---- evaluation on runs.js records ----
  var indexes = typeof WeakMap === "function" ? new WeakMap() : null;
  function keyIndex(payload) {
    var idx = indexes && indexes.get(payload);
    if (idx) return idx;
    idx = {};
    ["params", "metrics", "tags"].forEach(function (kind) {
      var map = idx[kind] = Object.create(null);
      (payload[kind] || []).forEach(function (k, i) { map[k] = i; });
    });
    if (indexes) indexes.set(payload, idx);
    return idx;
  }
  function lookup(payload, run, kind, key) {
    var i = keyIndex(payload)[kind][key];
    var v = i === undefined || !run[kind] ? null : run[kind][i];
    return v === undefined ? null : v;
  }

  var SQL_KINDS = {sqlite: true, database: true};
  function isSql(payload) { return !!(payload && SQL_KINDS[payload.store_kind]); }

  // LIKE / ILIKE as each store evaluates them:
  // - file (and rest): Python's re.match of the pattern with % → ".*" and _ → "." — neither
  //   crosses a newline, and "$" also matches before a final newline; ILIKE is re.IGNORECASE.
  // - sqlite: SQL LIKE (% and _ cross newlines), case-sensitive (MLflow sets case_sensitive_like);
  //   ILIKE is lower(x) LIKE lower(pattern), and SQLite's lower() folds ASCII letters only.
  // - database (PostgreSQL, MySQL): SQL LIKE; ILIKE folds every letter.
  var likeCache = Object.create(null);
  function likeRegex(pattern, insensitive, kind) {
    var id = kind + (insensitive ? "i" : "s") + pattern;
    if (likeCache[id]) return likeCache[id];
    var sql = SQL_KINDS[kind];
    var body = pattern.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&")
      .replace(/%/g, sql ? "[^]*" : "[^\\n]*").replace(/_/g, sql ? "[^]" : "[^\\n]");
    var source = "^" + body + (sql ? "$" : pattern[pattern.length - 1] === "%" ? "" : "\\n?$");
    var flags = "u" + (insensitive && kind !== "sqlite" ? "i" : "");
    return (likeCache[id] = new RegExp(source, flags));
  }
  function asciiLower(s) { return s.replace(/[A-Z]+/g, function (m) { return m.toLowerCase(); }); }

  function compare(c, lhs, rhs, kind) {
    switch (c) {
      case "=": return lhs === rhs;
      case "!=": return lhs !== rhs;
      case ">": return lhs > rhs;
      case ">=": return lhs >= rhs;
      case "<": return lhs < rhs;
      case "<=": return lhs <= rhs;
      case "LIKE": return likeRegex(rhs, false, kind).test(lhs);
      case "ILIKE":
        if (kind === "sqlite") return likeRegex(asciiLower(rhs), false, kind).test(asciiLower(lhs));
        return likeRegex(rhs, true, kind).test(lhs);
      case "IN": return rhs.indexOf(lhs) >= 0;
      case "NOT IN": return rhs.indexOf(lhs) < 0;
      case "RLIKE":
        try { return new RegExp(rhs).test(lhs); } catch (e) { return false; }  // as MLflow's REGEXP
    }
    return false;
  }

  // The SQL stores search attributes.run_name in the mlflow.runName tag; the file store reads
  // the run's name.
  function runName(payload, run) {
    if (isSql(payload) && keyIndex(payload).tags["mlflow.runName"] !== undefined) {
      return lookup(payload, run, "tags", "mlflow.runName");
    }
    return run.run_name === undefined ? null : run.run_name;
  }

  function clauseMatches(c, run, payload) {
    var kind = (payload && payload.store_kind) || "file";
    var lhs;
    if (c.type === "dataset") {
      var col = {name: 0, digest: 1, context: 2}[c.key];
      return (run.datasets || []).some(function (d) {
        return d[col] !== null && d[col] !== undefined && compare(c.comparator, d[col], c.value, kind);
      });
    }
    if (c.type === "metric") {
      lhs = tr.num(lookup(payload, run, "metrics", c.key));
    } else if (c.type === "param" || c.type === "tag") {
      lhs = lookup(payload, run, c.type === "param" ? "params" : "tags", c.key);
      if (c.comparator === "IS NULL") return lhs === null;
      if (c.comparator === "IS NOT NULL") return lhs !== null;
    } else {
      lhs = c.key === "run_name" ? runName(payload, run) : run[c.key];
    }
    if (lhs === null || lhs === undefined) return false;
    if (Array.isArray(c.value) && c.comparator !== "IN" && c.comparator !== "NOT IN") return false;
    return compare(c.comparator, lhs, c.value, kind);
  }

  function compiled(filter, options) { return typeof filter === "string" || !filter ? parse(filter, options) : filter; }

  /** Does one run record of runs.js match the compiled filter (or filter string)? */
  function matches(filter, run, payload) {
    var clauses = compiled(filter).clauses;
    for (var i = 0; i < clauses.length; i++) if (!clauseMatches(clauses[i], run, payload)) return false;
    return true;
  }

  /** The runs of the payload the filter selects, in payload order. Throws SearchError. */
  function filter(payload, filterString, options) {
    var f = compiled(filterString, options);
    if (isSql(payload) && f.clauses.some(function (c) {
      return Array.isArray(c.value) && c.comparator !== "IN" && c.comparator !== "NOT IN";
    })) fail("A list of values needs IN or NOT IN");  // SQL stores fail; the file store matches nothing
    return (payload.runs || []).filter(function (run) { return matches(f, run, payload); });
  }

  // ---- the search box of MLflow's UI (experimentPage.fetch-utils.ts): text that does not look
  // like a filter (detectSqlSyntaxInSearchQuery) is sent as createQuickRegexpSearchFilter(text) ----
  var SQL_SYNTAX = new RegExp("(attribute|attributes|attr|run|metric|metrics|param|params|parameter|tag|tags|" +
    "dataset|datasets|model|models)\\.\\S+\\s*(>|<|>=|<=|=|!=| like| ilike| rlike| in)", "i");

  /** The MLflow filter MLflow's UI sends for a search box text: the text itself when it looks
      like a filter, else a regular-expression search of run names. */
  function toFilter(userInput) {
    var text = userInput === undefined || userInput === null ? "" : String(userInput);
    if (!text.length || SQL_SYNTAX.test(text)) return text;
    return "attributes.run_name RLIKE '" + text.replace(/'/g, "\\'") + "'";
  }

  // Text that is meant as a filter even when MLflow rejects it: a comparison, an entity prefix
  // ("metrics.acc"), IN (…), IS [NOT] NULL, LIKE '…'. A run name such as "lr0.001-bs64" is not.
  var MEANT_AS_FILTER = new RegExp("[=<>]|^\\s*(attributes?|attr|run|metrics?|params?|parameters?|tags?|datasets?)\\.\\S|" +
    "\\bIN\\s*\\(|\\bIS\\s+(NOT\\s+)?NULL\\b|\\b[IR]?LIKE\\s+['\"]", "i");

  /** The search box: {filter: the filter that ran, runs, error: MLflow's reason or null}.
      What MLflow's client accepts is that filter, with its answer (so every expression gives
      what search_runs gives — MLflow UI's SQL_SYNTAX test alone would send a valid
      `metrics.\`train loss\` >= 1` or `status = 'KILLED'` to the run-name search); text it
      rejects becomes MLflow UI's run-name search (toFilter), unless it is meant as a filter
      (MEANT_AS_FILTER): then MLflow's reason is the answer. Blank text is no filter. */
  function apply(payload, userInput) {
    var text = userInput === undefined || userInput === null ? "" : String(userInput);
    if (!text.trim()) return {filter: "", runs: (payload.runs || []).slice(), error: null};
    try {
      return {filter: text, runs: filter(payload, text), error: null};
    } catch (e) {
      if (!(e instanceof SearchError)) throw e;
      var quick = toFilter(text);
      if (quick === text || MEANT_AS_FILTER.test(text)) return {filter: text, runs: [], error: e.message};
      return {filter: quick, runs: filter(payload, quick, {rlike: true}), error: null};
    }
  }

  // ---- order_by ----
  var ORDER_ATTRS = ["artifact_uri", "end_time", "run_id", "run_name", "start_time", "status", "user_id",
    "created", "Created"];

  /** An order_by key ("metrics.`val/loss`", "params.lr", "start_time", optionally "… DESC"). */
  function parseOrderKey(orderKey) {
    var text = String(orderKey || "").trim(), ascending = true;
    var dir = /\s+(ASC|DESC)$/i.exec(text);
    if (dir) {
      ascending = dir[1].toUpperCase() === "ASC";
      text = text.slice(0, dir.index);
    }
    var dot = text.indexOf(".");
    var id = identifier(dot < 0 ? text : text.slice(0, dot + 1) + trimBackticks(text.slice(dot + 1)), ORDER_ATTRS);
    if (id.type === "dataset") fail("Invalid order_by entity type 'dataset'");
    return {type: id.type, key: ALIASES[id.key] || id.key, ascending: ascending};
  }

  // Strings in code point order (Python's and SQLite's BINARY collation), not UTF-16's.
  function cmpStr(a, b) {
    if (a === b) return 0;
    var n = Math.min(a.length, b.length);
    for (var i = 0; i < n; i++) {
      var x = a.charCodeAt(i), y = b.charCodeAt(i);
      if (x === y) continue;
      if (x >= 0xD800 && y >= 0xD800) {
        x += x < 0xE000 ? 0x2000 : -0x800;
        y += y < 0xE000 ? 0x2000 : -0x800;
      }
      return x - y;
    }
    return a.length - b.length;
  }
  function cmpValues(a, b) {
    if (typeof a === "string" && typeof b === "string") return cmpStr(a, b);
    return a < b ? -1 : a > b ? 1 : 0;
  }

  // MLflow's default order: start_time descending, then run_id.
  function defaultOrder(a, b) {
    var sa = a.start_time, sb = b.start_time;
    if (sa !== sb) {
      if (sa === null || sa === undefined) return 1;
      if (sb === null || sb === undefined) return -1;
      return sb - sa;
    }
    return cmpStr(a.run_id, b.run_id);
  }

  /** A comparator of run records with MLflow's order_by semantics: metrics as numbers, params and
      tags as strings; the runs with a NaN value then those lacking the key come last in both
      directions (file store: _get_value_for_sort; SQL stores: the is_nan / IS NULL CASE of
      _get_orderby_clauses — the same order); ties in the default order. */
  function order(payload, orderKey, ascending) {
    var o = typeof orderKey === "object" && orderKey ? orderKey : parseOrderKey(orderKey);
    var sign = (ascending === undefined ? o.ascending !== false : ascending) ? 1 : -1;
    var kind = {metric: "metrics", param: "params", tag: "tags"}[o.type];
    function value(run) {
      if (kind) {
        var v = lookup(payload, run, kind, o.key);
        return kind === "metrics" ? tr.num(v) : v;
      }
      var a = run[o.key];
      return a === undefined ? null : a;
    }
    function rank(v) { return v === null ? 2 : typeof v === "number" && isNaN(v) ? 1 : 0; }
    return function (a, b) {
      var va = value(a), vb = value(b), ra = rank(va), rb = rank(vb);
      if (ra !== rb) return ra - rb;
      var c = ra === 0 ? sign * cmpValues(va, vb) : 0;
      return c || defaultOrder(a, b);
    };
  }

  /** A sorted copy of `runs` (default: every run of the payload). */
  function sort(payload, runs, orderKey, ascending) {
    var list = (runs || payload.runs || []).slice();
    return list.sort(orderKey ? order(payload, orderKey, ascending) : defaultOrder);
  }

  tr.search = {
    SearchError: SearchError, parse: parse, matches: matches, filter: filter, toFilter: toFilter,
    apply: apply, comparisons: comparisons, fail: fail, literalList: literalList, stripQuotes: stripQuotes,
    trimBackticks: trimBackticks, compare: compare, cmpStr: cmpStr, parseOrderKey: parseOrderKey, order: order,
    sort: sort, defaultOrder: defaultOrder
  };
})();
