// The HTML report's filters, by severity, namespace, identity and use.
// Runs on the page alone (no request); without it everything is shown.
// After it ran, <html> carries data-js="ready", the counts of the findings
// the page lists (data-listed-*) and shows (data-shown-*), and any error
// (data-js-error) or blocked load (data-csp-violation): tests read these.
(function () {
  "use strict";
  var root = document.documentElement;
  function fail(msg) { root.setAttribute("data-js-error", String(msg)); }
  window.addEventListener("error", function (e) { fail(e.message); });
  document.addEventListener("securitypolicyviolation", function (e) {
    root.setAttribute("data-csp-violation", e.violatedDirective + " " + e.blockedURI);
  });
  try {
    var severities = ["critical", "high", "medium", "low", "info"];
    var form = document.getElementById("filters");
    var shown = document.getElementById("shown");
    var items = Array.prototype.slice.call(document.querySelectorAll("[data-filter]"));
    var groups = Array.prototype.slice.call(document.querySelectorAll("[data-group]")).reverse(); // innermost first
    var lines = function (el, name) {
      var v = el.getAttribute(name);
      return v ? v.split("\n") : [];
    };

    // count tallies the un-suppressed findings, all or only the visible ones.
    var count = function (visibleOnly) {
      var c = { findings: 0, paths: 0, walked: 0, detections: 0, exercised: 0 };
      severities.forEach(function (s) { c[s] = 0; });
      items.forEach(function (el) {
        if (!el.hasAttribute("data-finding") || el.hasAttribute("data-suppressed")) { return; }
        if (visibleOnly && el.hidden) { return; }
        var sev = el.getAttribute("data-sev");
        var kind = el.getAttribute("data-kind");
        var used = el.getAttribute("data-used") === "yes";
        c.findings++;
        c[sev] = (c[sev] || 0) + 1;
        if (kind === "path") { c.paths++; if (used) { c.walked++; } }
        if (kind === "detection") { c.detections++; }
        if (used) { c.exercised++; }
      });
      return c;
    };
    var publish = function (prefix, c) {
      Object.keys(c).forEach(function (k) { root.setAttribute("data-" + prefix + "-" + k, String(c[k])); });
    };

    var control = function (name) { return form.elements.namedItem(name); };
    var state = function () {
      var sev = [];
      form.querySelectorAll("input[name=severity]").forEach(function (cb) { if (cb.checked) { sev.push(cb.value); } });
      var used = control("used");
      return {
        severity: sev,
        namespace: control("namespace").value,
        identity: control("identity").value.trim(),
        used: used ? used.value : ""
      };
    };
    // The URL's hash holds the filters (#severity=critical,high&namespace=ci&identity=deployer&used=yes),
    // so a filtered view can be linked to and reloaded.
    var readHash = function () {
      var p = new URLSearchParams(location.hash.replace(/^#/, ""));
      var sev = p.has("severity") ? p.get("severity").split(",") : severities;
      form.querySelectorAll("input[name=severity]").forEach(function (cb) { cb.checked = sev.indexOf(cb.value) >= 0; });
      var ns = control("namespace");
      ns.value = p.get("namespace") || "";
      if (ns.value !== (p.get("namespace") || "")) { ns.value = ""; } // not a namespace of this report
      control("identity").value = p.get("identity") || "";
      if (control("used")) { control("used").value = p.get("used") || ""; }
    };
    var writeHash = function (st) {
      var p = new URLSearchParams();
      if (st.severity.length !== severities.length) { p.set("severity", st.severity.join(",")); }
      if (st.namespace) { p.set("namespace", st.namespace); }
      if (st.identity) { p.set("identity", st.identity); }
      if (st.used) { p.set("used", st.used); }
      var h = p.toString();
      if (h !== location.hash.replace(/^#/, "")) {
        try {
          history.replaceState(null, "", h ? "#" + h : location.pathname + location.search);
        } catch (e) {
          // Some browsers refuse it on file:// pages: the view is just not linkable there.
        }
      }
    };

    var matches = function (el, st) {
      var sev = el.getAttribute("data-sev");
      if (severities.indexOf(sev) >= 0 && st.severity.indexOf(sev) < 0) { return false; }
      if (st.namespace && lines(el, "data-ns").indexOf(st.namespace) < 0) { return false; }
      if (st.identity) {
        var want = st.identity.toLowerCase();
        if (!lines(el, "data-id").some(function (id) { return id.toLowerCase().indexOf(want) >= 0; })) { return false; }
      }
      if (st.used && el.getAttribute("data-used") !== st.used) { return false; }
      return true;
    };
    var listed = count(false);
    var apply = function () {
      var st = state();
      items.forEach(function (el) { el.hidden = !matches(el, st); });
      groups.forEach(function (g) { g.hidden = !g.querySelector("[data-filter]:not([hidden])"); });
      var c = count(true);
      publish("shown", c);
      var filtered = c.findings !== listed.findings;
      shown.textContent = filtered ?
        "showing " + c.findings + " of " + listed.findings + " findings" :
        "showing all " + listed.findings + " findings";
      root.setAttribute("data-filtered", filtered ? "yes" : "no");
      return st;
    };

    publish("listed", listed);
    form.hidden = false;
    readHash();
    apply();
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    form.addEventListener("input", function () { writeHash(apply()); });
    form.addEventListener("change", function () { writeHash(apply()); });
    form.addEventListener("reset", function () { setTimeout(function () { writeHash(apply()); }, 0); });
    window.addEventListener("hashchange", function () { readHash(); apply(); });
    root.setAttribute("data-js", "ready");
  } catch (e) {
    fail(e && e.message ? e.message : e);
  }
})();
