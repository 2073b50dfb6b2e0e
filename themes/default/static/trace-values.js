/* trackreport trace values: how the trace page shows a value from a trace (span inputs,
   outputs, attributes, event attributes, assessment values, metadata). Everything in a trace
   is untrusted text: it only ever reaches the DOM as textContent or an attribute value, never
   as HTML, and nothing in it is run. Long values are folded (details/summary with their size),
   never cut. Classic script, needs core.js.

   trackreport.traceValues.decode(text)     MLflow 3's JSON-encoded attribute value → the value
                                            (the text itself when it is not JSON)
   trackreport.traceValues.block(value)     an element showing the value (text or pretty JSON)
   trackreport.traceValues.inline(value)    short text for a table cell or a list
   trackreport.traceValues.chat(value)      the chat messages in the value ([{role, content,
                                            tool_calls, name, tool_call_id}]) or null
   trackreport.traceValues.conversation(messages) an element: the messages as a conversation
   trackreport.traceValues.size(text)       "1.2 kB"
   trackreport.traceValues.time(ms), .duration(ms)   local date and time; "850 ms", "2.35 s" */
(function () {
  "use strict";
  var tr = window.trackreport = window.trackreport || {};
  var el = tr.el;
  var FOLD_CHARS = 1200, FOLD_LINES = 24;

  function decode(v) {
    if (typeof v !== "string") return v;
    try { return JSON.parse(v); } catch (e) { return v; }
  }

  function size(text) {
    var n = typeof TextEncoder === "function" ? new TextEncoder().encode(text).length : text.length;
    if (n < 1024) return n + " B";
    if (n < 1024 * 1024) return (n / 1024).toFixed(1) + " kB";
    return (n / 1048576).toFixed(1) + " MB";
  }

  function asText(v) {
    if (typeof v === "string") return v;
    if (v === undefined) return "";
    try { return JSON.stringify(v, null, 2); } catch (e) { return String(v); }
  }

  function lines(text) {
    var n = 1;
    for (var i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) n++;
    return n;
  }

  /** A <pre> of the value, inside a details element (closed) with its size when it is long. */
  function block(value, label) {
    var text = asText(value);
    var pre = el("pre", {"class": "tv-pre" + (typeof value === "string" ? " tv-text" : " tv-json")}, text);
    var n = lines(text);
    if (text.length <= FOLD_CHARS && n <= FOLD_LINES) return pre;
    var d = el("details", {"class": "tv-fold"});
    var first = text.slice(0, 160).split("\n")[0];
    d.appendChild(el("summary", null, (label ? label + " — " : "") + (typeof value === "string" ? "text" : "JSON") +
      ", " + size(text) + ", " + n + " line" + (n === 1 ? "" : "s") + ": " + first + (first.length < text.length ? " …" : "")));
    d.appendChild(pre);
    return d;
  }

  function inline(value) {
    if (value === null) return "null";
    if (typeof value === "string") return value;
    return asText(value).replace(/\s*\n\s*/g, " ");
  }

  // ---- chat messages (OpenAI-style, and MLflow's ChatCompletion / ChatAgent shapes) ----
  function isMessage(m) {
    return m && typeof m === "object" && !Array.isArray(m) && typeof m.role === "string" &&
      ("content" in m || "tool_calls" in m);
  }
  function allMessages(list) { return Array.isArray(list) && list.length > 0 && list.every(isMessage) ? list : null; }

  function chat(value) {
    if (!value || typeof value !== "object") return null;
    var found = allMessages(value);
    if (found) return found;
    if (isMessage(value)) return [value];
    found = allMessages(value.messages) || allMessages(value.input) ||
      (value.kwargs && allMessages(value.kwargs.messages));
    if (found) return found;
    if (Array.isArray(value.choices)) {
      var msgs = value.choices.map(function (c) { return c && (c.message || c.delta); });
      if (allMessages(msgs)) return msgs;
    }
    if (Array.isArray(value.output)) {
      var outs = value.output.filter(function (o) { return o && o.type === "message"; });
      if (outs.length && allMessages(outs)) return outs;
    }
    return null;
  }

  function contentNode(content) {
    if (typeof content === "string") return el("div", {"class": "tv-msg-text"}, content);
    var box = el("div", {"class": "tv-msg-text"});
    if (Array.isArray(content)) {
      content.forEach(function (part) {
        if (part && typeof part === "object" && (part.type === "text" || part.type === "output_text" ||
            part.type === "input_text") && typeof part.text === "string") {
          box.appendChild(el("div", {"class": "tv-msg-part"}, part.text));
        } else box.appendChild(block(part));
      });
      return box;
    }
    if (content === null || content === undefined) return box;
    box.appendChild(block(content));
    return box;
  }

  function conversation(messages) {
    var list = el("ol", {"class": "tv-chat", "aria-label": "Conversation"});
    messages.forEach(function (m) {
      var role = String(m.role);
      var li = el("li", {"class": "tv-msg tv-role-" + role.replace(/[^a-z_-]/gi, "").toLowerCase(), "data-role": role});
      var head = el("div", {"class": "tv-msg-head"});
      head.appendChild(el("span", {"class": "tv-msg-role"}, role));
      if (m.name) head.appendChild(el("span", {"class": "muted small"}, " " + m.name));
      if (m.tool_call_id) head.appendChild(el("span", {"class": "muted small mono"}, " · reply to " + m.tool_call_id));
      li.appendChild(head);
      if (m.content !== undefined && m.content !== null && m.content !== "") li.appendChild(contentNode(m.content));
      (Array.isArray(m.tool_calls) ? m.tool_calls : []).forEach(function (call) {
        var fn = call && call.function || {};
        var c = el("div", {"class": "tv-tool-call"});
        c.appendChild(el("span", {"class": "tv-msg-role"}, "calls "));
        c.appendChild(el("code", null, String(fn.name || call.name || "tool")));
        if (call.id) c.appendChild(el("span", {"class": "muted small mono"}, " " + call.id));
        var args = fn.arguments !== undefined ? fn.arguments : call.arguments;
        if (args !== undefined) c.appendChild(block(decode(args)));
        li.appendChild(c);
      });
      list.appendChild(li);
    });
    return list;
  }

  /** A time in ms since the epoch as local "YYYY-MM-DD hh:mm:ss" (the number when no Date holds it). */
  function time(ms) {
    var d = tr.date(ms);
    if (!d) return ms === null || ms === undefined ? "" : String(ms);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" +
      p(d.getMinutes()) + ":" + p(d.getSeconds());
  }
  /** A duration in ms: "850 ms", "2.35 s", "3 min 5 s". */
  function duration(ms) {
    if (ms === null || ms === undefined || isNaN(ms)) return "";
    if (ms < 1000) return Math.round(ms) + " ms";
    if (ms < 60000) return (ms / 1000).toFixed(ms < 10000 ? 2 : 1) + " s";
    return Math.floor(ms / 60000) + " min " + Math.round((ms % 60000) / 1000) + " s";
  }

  tr.traceValues = {time: time, duration: duration, decode: decode, block: block, inline: inline, chat: chat, conversation: conversation, size: size,
    asText: asText};
})();
