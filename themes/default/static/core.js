/* trackreport core: the one global (window.trackreport), data files, and the view in the URL
   fragment. Loaded first by every page; classic script, no dependencies, works from file://.

   Data files (docs/design.md §1-2) are classic scripts that call
       trackreport.data("<name>", {...JSON...});
   A page either lists them in <script src> tags (loaded before the page's own scripts) or
   loads one when needed with trackreport.load(src, name) → Promise of the payload. */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};

  /* What went wrong on this page, for anyone who looks (tests read them in each browser):
     trackreport.cspViolations [{directive, blocked, source}] — what the page's CSP refused
     (core.js is the first script, so later scripts' violations are caught); trackreport.errors
     [{message, source, line}] — uncaught errors and unhandled promise rejections. */
  var violations = tr.cspViolations = tr.cspViolations || [];
  var errors = tr.errors = tr.errors || [];
  document.addEventListener("securitypolicyviolation", function (e) {
    violations.push({directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
      source: e.sourceFile + ":" + e.lineNumber});
  });
  window.addEventListener("error", function (e) {
    errors.push({message: String(e.message), source: e.filename || "", line: e.lineno || 0});
  });
  window.addEventListener("unhandledrejection", function (e) {
    var r = e.reason;
    errors.push({message: "unhandled rejection: " + String(r && r.message || r), source: "", line: 0});
  });

  var store = {};
  var waiting = {};
  var pending = {};

  /** Register a data file's payload under its name (called by the data file itself). */
  tr.data = function (name, payload) {
    store[name] = payload;
    (waiting[name] || []).forEach(function (resolve) { resolve(payload); });
    delete waiting[name];
  };

  /** The payload registered under `name`, or undefined. */
  tr.get = function (name) { return store[name]; };

  /** Load the data file at `src` (relative to the page) that registers `name`; resolves with
      its payload, rejects with an Error naming the file when it cannot be loaded. A file
      is requested once, however often it is asked for. */
  tr.load = function (src, name) {
    if (store[name] !== undefined) return Promise.resolve(store[name]);
    if (pending[name]) return pending[name];
    pending[name] = new Promise(function (resolve, reject) {
      (waiting[name] = waiting[name] || []).push(resolve);
      var el = document.createElement("script");
      el.src = src;
      el.async = true;
      el.onload = function () {
        if (store[name] === undefined) {
          delete pending[name];
          reject(new Error(src + " did not register " + name));
        }
      };
      el.onerror = function () {
        delete pending[name];
        reject(new Error("could not load " + src));
      };
      document.head.appendChild(el);
    });
    return pending[name];
  };

  /** JSON numbers that cannot be JSON: the data files write NaN and ±inf as strings. */
  tr.num = function (v) {
    if (typeof v === "number" || v === null || v === undefined) return v;
    if (v === "NaN") return NaN;
    if (v === "Infinity") return Infinity;
    if (v === "-Infinity") return -Infinity;
    return Number(v);
  };

  /** The view in the URL fragment: "key=value&key=value", values percent-encoded,
      booleans true/false. parse() gives {key: string}; format({...}) drops keys whose value
      is undefined, null or "" (an absent key means its default). */
  tr.fragment = {
    parse: function (hash) {
      var out = {};
      var text = (hash === undefined ? window.location.hash : hash).replace(/^#/, "");
      if (!text) return out;
      text.split("&").forEach(function (pair) {
        if (!pair) return;
        var i = pair.indexOf("=");
        var k = i < 0 ? pair : pair.slice(0, i), v = i < 0 ? "" : pair.slice(i + 1);
        try {
          out[decodeURIComponent(k)] = decodeURIComponent(v.replace(/\+/g, "%20"));
        } catch (e) { /* a malformed escape: ignore that pair */ }
      });
      return out;
    },
    format: function (view) {
      return Object.keys(view).filter(function (k) {
        var v = view[k];
        return v !== undefined && v !== null && v !== "";
      }).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(String(view[k]));
      }).join("&");
    },
    bool: function (v, dflt) { return v === "true" ? true : v === "false" ? false : dflt; }
  };

  /** A time in ms since the epoch as a Date, or null when no Date can hold it (a damaged
      store's year 0 or 10^20 ms: Date methods would throw). */
  tr.date = function (ms) {
    if (ms === null || ms === undefined) return null;
    var d = new Date(Number(ms));
    return isNaN(d.getTime()) ? null : d;
  };

  /** A duration in ms as people say it: "42 s", "3 min 07 s", "5 h 02 min", "3 d 04 h" (the
      live runs' elapsed time, app.js and runs-columns.js). */
  tr.human = function (ms) {
    var s = Math.max(0, Math.floor(ms / 1000)), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    if (h >= 48) return Math.floor(h / 24) + " d " + (h % 24 < 10 ? "0" : "") + h % 24 + " h";
    return h ? h + " h " + (m < 10 ? "0" : "") + m + " min" : m ? m + " min " + (s % 60 < 10 ? "0" : "") + s % 60 + " s" : s + " s";
  };

  /** Text for the DOM: never HTML. */
  tr.el = function (tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] !== undefined && attrs[k] !== null && attrs[k] !== false) e.setAttribute(k, attrs[k]);
    });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  };
})();
