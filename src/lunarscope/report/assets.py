"""Inline CSS and JavaScript of the report (kept in Python so an installed wheel carries them;
written for this project, no external libraries)."""

CSS = """
:root { --fg:#1b1f24; --muted:#5b6470; --line:#d0d5dc; --bg:#ffffff; --panel:#f6f8fa; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Arial, sans-serif; color: var(--fg);
       background: var(--bg); margin: 0 auto; max-width: 1120px; padding: 16px 24px 48px; line-height: 1.4; }
h1 { font-size: 26px; margin: 8px 0 4px; }
h2 { font-size: 19px; margin: 28px 0 6px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
p.lead { color: var(--muted); margin: 0 0 12px; }
p.note, p.none { color: var(--muted); font-style: italic; margin: 4px 0 8px; }
nav { font-size: 13px; margin: 8px 0 12px; }
nav a { margin-right: 10px; color: #0b5cad; text-decoration: none; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin: 10px 0; }
.card { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.card .v { font-size: 20px; font-weight: 600; }
.card .k { font-size: 12px; color: var(--muted); }
.warn { background: #fff4e5; border: 1px solid #e0a040; border-radius: 6px; padding: 8px 12px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 10px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
svg.chart { width: 100%; height: auto; display: block; background: #fff; }
svg.chart text { font-family: inherit; fill: #1b1f24; }
svg.chart .axis line, svg.chart .axis path { stroke: #444; stroke-width: 1; }
svg.chart .gridline, svg.chart .axis .gridline { stroke: #dfe3e8; stroke-width: 1; }
svg.chart .title { font-size: 14px; font-weight: 600; }
svg.chart .lbl { font-size: 12px; }
svg.chart .tick { font-size: 11px; fill: #333; }
svg.chart .legend [data-toggle] { cursor: pointer; }
svg.chart .off { opacity: 0.12; }
svg.chart .hidden { display: none; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
"""

#: Records errors in <html data-js-errors>, marks successful start-up in data-js-status, and lets a
#: click on a legend entry (data-toggle=KEY) hide/show the marks of that series (data-series=KEY).
JS = """
(function () {
  var root = document.documentElement;
  window.addEventListener('error', function (e) {
    var n = parseInt(root.getAttribute('data-js-errors') || '0', 10) + 1;
    root.setAttribute('data-js-errors', String(n));
    root.setAttribute('data-js-last-error', String(e.message || e));
  });
  function setup() {
    var entries = document.querySelectorAll('svg.chart [data-toggle]');
    Array.prototype.forEach.call(entries, function (entry) {
      entry.addEventListener('click', function () {
        var svg = entry.closest('svg');
        var key = entry.getAttribute('data-toggle');
        var off = entry.classList.toggle('off');
        var marks = svg.querySelectorAll('[data-series="' + key + '"]');
        Array.prototype.forEach.call(marks, function (m) { m.classList.toggle('hidden', off); });
      });
    });
    var charts = document.querySelectorAll('svg[data-chart]');
    root.setAttribute('data-js-status', 'ok');
    root.setAttribute('data-js-charts', String(charts.length));
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', setup); }
  else { setup(); }
})();
"""
