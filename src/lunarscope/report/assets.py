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
table.data th[data-col] { cursor: pointer; user-select: none; }
table.data th.asc::after { content: " \\25B2"; }
table.data th.desc::after { content: " \\25BC"; }
table.data tr.hidden { display: none; }
.tools { font-size: 13px; margin: 6px 0 2px; }
.tools .count { color: var(--muted); margin-left: 8px; }
.flag { display: inline-block; border-radius: 4px; padding: 0 6px; font-weight: 600; }
.flag.hit { background: #fde2e1; color: #8a1c14; }
.flag.ok { background: #e3f4e1; color: #1d5e17; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
"""

#: Records errors in <html data-js-errors>, marks successful start-up in data-js-status, lets a
#: click on a legend entry (data-toggle=KEY) hide/show the marks of that series (data-series=KEY),
#: sorts a ``table.data`` on a click on its header (numbers by data-sort, empty last; again for
#: descending) and hides rows not containing the text of its ``input.filter`` (report/tables.py).
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
    function sortKey(td, num) {
      if (!num) { return td ? td.textContent.toLowerCase() : ''; }
      var v = td ? td.getAttribute('data-sort') : null;
      return v === null ? null : parseFloat(v);
    }
    Array.prototype.forEach.call(document.querySelectorAll('table.data th[data-col]'), function (th) {
      th.addEventListener('click', function () {
        var table = th.closest('table'), body = table.tBodies[0];
        var col = parseInt(th.getAttribute('data-col'), 10), num = th.getAttribute('data-kind') === 'num';
        var asc = !th.classList.contains('asc');
        Array.prototype.forEach.call(table.querySelectorAll('th'), function (h) { h.classList.remove('asc', 'desc'); });
        th.classList.add(asc ? 'asc' : 'desc');
        var rows = Array.prototype.slice.call(body.rows).map(function (r, i) {
          return { r: r, i: i, k: sortKey(r.cells[col], num) };
        });
        rows.sort(function (a, b) {
          if (a.k === null || b.k === null) { return a.k === b.k ? a.i - b.i : (a.k === null ? 1 : -1); }
          var c = a.k < b.k ? -1 : (a.k > b.k ? 1 : 0);
          return (asc ? c : -c) || a.i - b.i;
        });
        rows.forEach(function (x) { body.appendChild(x.r); });
      });
    });
    Array.prototype.forEach.call(document.querySelectorAll('input.filter[data-filter]'), function (box) {
      var id = box.getAttribute('data-filter'), table = document.getElementById(id);
      var count = document.querySelector('[data-count="' + id + '"]');
      box.addEventListener('input', function () {
        var q = box.value.toLowerCase(), shown = 0;
        Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
          var hide = q !== '' && !Array.prototype.some.call(r.cells, function (c) {
            return c.textContent.toLowerCase().indexOf(q) >= 0;
          });
          r.classList.toggle('hidden', hide);
          if (!hide) { shown += 1; }
        });
        if (count) { count.textContent = shown + ' of ' + table.tBodies[0].rows.length + ' rows'; }
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
