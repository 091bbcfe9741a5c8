// golive console: progressive enhancement only. Every page works without
// it; this ticks SLA countdowns and relative times between refreshes, and
// applies the triage filter as soon as a box is ticked.
(function () {
  "use strict";
  function approx(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), m = Math.floor(s / 60), h = Math.floor(m / 60);
    if (s < 60) return s + "s";
    if (m < 60) return m + "m";
    if (h < 24) return h + "h " + String(m % 60).padStart(2, "0") + "m";
    return Math.floor(h / 24) + "d " + (h % 24) + "h";
  }
  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due), win = Number(el.dataset.window), left = due - now;
      if (isNaN(due)) return;
      var kind = el.dataset.kind, cls, text;
      if (left <= 0 || el.classList.contains("sla-missed")) {
        cls = "sla-missed"; text = kind + " missed " + approx(left) + " ago";
      } else {
        cls = left < win / 4 ? "sla-near" : "sla-ok"; text = approx(left) + " to " + kind;
      }
      el.classList.remove("sla-ok", "sla-near", "sla-missed");
      el.classList.add(cls);
      el.textContent = text;
    });
    document.querySelectorAll("time[data-ago]").forEach(function (el) {
      var t = Date.parse(el.getAttribute("datetime"));
      if (isNaN(t)) return;
      el.textContent = t > now ? "in " + approx(t - now) : approx(now - t) + " ago";
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    var filter = document.querySelector("form.filter");
    if (filter) {
      filter.querySelectorAll("input[type=checkbox]").forEach(function (box) {
        box.addEventListener("change", function () { filter.submit(); });
      });
    }
  });
})();
