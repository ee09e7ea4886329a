"""Inline CSS and JavaScript of the report (kept in Python so an installed wheel carries them;
written for this project, no external libraries).

Limits of the script's zoom, named here and written into the script (``ZOOM_JS_CONSTANTS``)."""

#: Narrowest time span a chart zooms to (s).
MIN_ZOOM_SPAN_S = 600.0
#: Widest gap between two time-axis labels' starts is the plot width / this many ticks (the same
#: rule as ``svg.utc_time_ticks``'s ``target``): labels of ≤ 11 characters at 11 px stay apart.
MAX_TIME_TICKS = 8
#: Scale of a PNG export relative to the chart's own pixel size.
PNG_EXPORT_SCALE = 2
#: Smallest drag (px) that zooms (a shorter one is a click).
MIN_DRAG_PX = 5
#: Wheel zoom factor per 100 px of wheel travel (Ctrl/Alt + wheel).
WHEEL_ZOOM_PER_100PX = 1.25
#: Rows shown per page of a long ``table.data`` (the script pages tables longer than this; with
#: scripts off every row shows). Sorting and filtering act on all rows, then show the first page.
TABLE_PAGE_ROWS = 100

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
table.data tr.hidden, table.data tr.paged { display: none; }
.pager { font-size: 12px; margin: 2px 0 4px; }
.pager button { font: inherit; padding: 0 7px; border: 1px solid var(--line); border-radius: 4px; background: var(--panel); cursor: pointer; }
.pager .where { color: var(--muted); margin: 0 6px; }
.tools { font-size: 13px; margin: 6px 0 2px; }
.tools .count { color: var(--muted); margin-left: 8px; }
.flag { display: inline-block; border-radius: 4px; padding: 0 6px; font-weight: 600; }
.flag.hit { background: #fde2e1; color: #8a1c14; }
.flag.ok { background: #e3f4e1; color: #1d5e17; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
.chart-tools { font-size: 12px; margin: 8px 0 2px; display: flex; flex-wrap: wrap; gap: 4px; align-items: center; }
.chart-tools button { font: inherit; padding: 1px 8px; border: 1px solid var(--line); border-radius: 4px;
                      background: var(--panel); cursor: pointer; }
.chart-tools button:hover { background: #e8ecf0; }
.chart-tools .range { color: var(--muted); margin-left: 6px; font-variant-numeric: tabular-nums; }
.chart-tools .sep { width: 10px; }
svg.chart[data-t0] { cursor: crosshair; }
svg.chart .zoom-box { fill: #0b5cad; fill-opacity: 0.12; stroke: #0b5cad; stroke-width: 1; pointer-events: none; }
#chart-tip { position: fixed; z-index: 10; pointer-events: none; background: #1b1f24; color: #fff; font-size: 12px;
             padding: 4px 7px; border-radius: 4px; max-width: 460px; white-space: pre-line; display: none; }
@media print { .chart-tools, #chart-tip { display: none !important; } }
"""

#: Records errors in <html data-js-errors>, marks successful start-up in data-js-status, lets a
#: click on a legend entry (data-toggle=KEY) hide/show the marks of that series (data-series=KEY),
#: sorts a ``table.data`` on a click on its header (numbers by data-sort, empty last; again for
#: descending) and hides rows not containing the text of its ``input.filter`` (report/tables.py).
#: Time charts (``svg[data-t0]``, ``svg.time_axis_attrs``) zoom and pan: the bars (``rect.mark``,
#: true width in ``data-w`` when drawn wider) and lines (``polyline.mark``, ``line.mark``) are
#: re-placed from their full-span pixel positions, clipped to the plot, and every
#: ``g.time-axis`` is redrawn with round UTC ticks for the visible span (the steps of
#: ``svg.utc_time_ticks``; UTC = ``data-utc0`` + elapsed TDB seconds, so a leap second inside the
#: span shifts the labels by 1 s and TDB − TT, < 2 ms, is ignored; a label whose estimated box,
#: as ``svg.place_labels`` estimates it, would touch another is left out, dated ones kept first).
#: Every chart gets a tooltip
#: (its marks' ``<title>``, plus the UTC time under the cursor on a time chart) and SVG / PNG
#: export (the chart's CSS rules copied into the file; PNG: the SVG drawn on a canvas at
#: ``PNG_EXPORT_SCALE``×). ``window.lunarscopeReport`` is the same API for tests and consoles:
#: ``zoom(name, t0_tdb, t1_tdb)``, ``zoomDay(name)``, ``reset(name)``, ``view(name)``,
#: ``toggle(name, key)``, ``exportSvg(name)`` (text), ``exportPng(name)`` (a Promise of a Blob).
#: A ``table.data`` longer than ``TABLE_PAGE_ROWS`` is paged (``div.pager`` above it; the rows off
#: the page get class ``paged``); sorting and filtering act on every row and go back to page 1.
_JS_TEMPLATE = r"""
(function () {
  var root = document.documentElement;
  window.addEventListener('error', function (e) {
    var n = parseInt(root.getAttribute('data-js-errors') || '0', 10) + 1;
    root.setAttribute('data-js-errors', String(n));
    root.setAttribute('data-js-last-error', String(e.message || e));
  });
  var SVGNS = null;  // the namespace of the page's own <svg> charts, read in setup()
  var MIN_SPAN = @MIN_SPAN@, MAX_TICKS = @MAX_TICKS@, PNG_SCALE = @PNG_SCALE@, MIN_DRAG = @MIN_DRAG@;
  var WHEEL = @WHEEL@, STEPS = [@STEPS@], CHAR_PX = @CHAR_PX@, GAP_PX = @GAP_PX@, PAGE_ROWS = @PAGE_ROWS@;
  var each = function (list, f) { Array.prototype.forEach.call(list, f); };
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function utcText(u, withDate, withSec) {
    var d = new Date(u), hm = pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes());
    var day = d.getUTCFullYear() + '-' + pad(d.getUTCMonth() + 1) + '-' + pad(d.getUTCDate());
    return (withDate ? day + ' ' : '') + hm + (withSec ? ':' + pad(d.getUTCSeconds()) : '');
  }
  function utcTicks(u0, u1) {
    var span = (u1 - u0) / 1000, step = STEPS[STEPS.length - 1];
    for (var i = 0; i < STEPS.length; i++) { if (span / STEPS[i] <= MAX_TICKS) { step = STEPS[i]; break; } }
    var d0 = new Date(u0);
    var base = Date.UTC(d0.getUTCFullYear(), d0.getUTCMonth(), step >= 30 * 86400 ? 1 : d0.getUTCDate());
    var out = [], k = Math.floor((u0 - base) / (step * 1000));
    for (; ; k++) {
      var u = base + k * step * 1000, d = new Date(u);
      if (u > u1 + 1) { break; }
      if (u < u0 - 1) { continue; }
      var label = step >= 86400 ? utcText(u, true).slice(0, 10)
        : (d.getUTCHours() === 0 && d.getUTCMinutes() === 0 ? utcText(u, true).slice(5, 10) + ' 00:00' : utcText(u));
      out.push([u, label]);
    }
    return out;
  }
  function el(tag, attrs, parent) {
    var e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) { parent.appendChild(e); }
    return e;
  }
  var charts = {};
  function TimeChart(svg, index) {
    var c = this, A = function (k) { return parseFloat(svg.getAttribute(k)); };
    c.svg = svg; c.T0 = A('data-t0'); c.T1 = A('data-t1'); c.X0 = A('data-x0'); c.X1 = A('data-x1');
    c.U0 = A('data-utc0'); c.v0 = c.T0; c.v1 = c.T1; c.k0 = (c.X1 - c.X0) / (c.T1 - c.T0);
    c.H = svg.viewBox.baseVal.height; c.index = index; c.ready = false;
  }
  TimeChart.prototype.prepare = function () {  // on the first zoom: read the marks and axes once
    var c = this, svg = c.svg, id = 'zoom-clip-' + c.index;
    c.ready = true;
    var defs = svg.querySelector('defs') || svg.insertBefore(el('defs', {}), svg.firstChild);
    var cp = el('clipPath', { id: id }, defs);
    el('rect', { x: c.X0, y: 0, width: c.X1 - c.X0, height: c.H }, cp);
    var clip = 'url(#' + id + ')';
    c.bars = []; c.lines = []; c.hlines = [];
    each(svg.querySelectorAll('rect.mark'), function (r) {
      var w = parseFloat(r.getAttribute('width')), tw = r.getAttribute('data-w');
      c.bars.push({ e: r, x: parseFloat(r.getAttribute('x')), w: w, tw: tw === null ? null : parseFloat(tw),
                    sx: r.getAttribute('x'), sw: r.getAttribute('width') });
      (r.parentNode.classList.contains('marks') ? r.parentNode : r).setAttribute('clip-path', clip);
    });
    each(svg.querySelectorAll('polyline.mark'), function (p) {
      var v = p.getAttribute('points').trim().split(/[\s,]+/), xs = [], ys = [];
      for (var i = 0; i + 1 < v.length; i += 2) { xs.push(parseFloat(v[i])); ys.push(v[i + 1]); }
      c.lines.push({ e: p, xs: xs, ys: ys, s: p.getAttribute('points') });
      p.setAttribute('clip-path', clip);
    });
    each(svg.querySelectorAll('line.mark'), function (l) {
      c.hlines.push({ e: l, x1: parseFloat(l.getAttribute('x1')), x2: parseFloat(l.getAttribute('x2')),
                      s1: l.getAttribute('x1'), s2: l.getAttribute('x2') });
      l.setAttribute('clip-path', clip);
    });
    c.axes = [];
    each(svg.querySelectorAll('g.time-axis'), function (g) {
      var base = g.querySelector('line'), grid = g.querySelector('line.gridline'), tick = g.querySelector('text.tick');
      var yb = parseFloat(base.getAttribute('y1'));
      c.axes.push({ g: g, base: base, yTop: grid ? parseFloat(grid.getAttribute('y1')) : 0, yBottom: yb,
                    labels: !!tick, tickY: tick ? tick.getAttribute('y') : String(yb + 16),
                    title: g.querySelector('text.lbl'), saved: g.cloneNode(true) });
    });
  };
  TimeChart.prototype.t2u = function (t) { return this.U0 + (t - this.T0) * 1000; };
  TimeChart.prototype.u2t = function (u) { return this.T0 + (u - this.U0) / 1000; };
  TimeChart.prototype.px2t = function (x) { return this.v0 + (x - this.X0) * (this.v1 - this.v0) / (this.X1 - this.X0); };
  TimeChart.prototype.set = function (a, b) {
    var c = this, full = c.T1 - c.T0, span = Math.min(Math.max(b - a, Math.min(MIN_SPAN, full)), full);
    var mid = (a + b) / 2;
    a = mid - span / 2; b = mid + span / 2;
    if (a < c.T0) { b += c.T0 - a; a = c.T0; }
    if (b > c.T1) { a -= b - c.T1; b = c.T1; }
    c.v0 = Math.max(a, c.T0); c.v1 = Math.min(b, c.T1);
    c.draw();
  };
  TimeChart.prototype.zoomed = function () { return this.v0 > this.T0 || this.v1 < this.T1; };
  TimeChart.prototype.draw = function () {
    if (!this.ready) { this.prepare(); }
    var c = this, k = (c.X1 - c.X0) / (c.v1 - c.v0), r = k / c.k0, off = (c.v0 - c.T0) * k;
    var X = function (x) { return c.X0 + (x - c.X0) * r - off; }, zoomed = c.zoomed();
    c.bars.forEach(function (b) {
      if (!zoomed) { b.e.setAttribute('x', b.sx); b.e.setAttribute('width', b.sw); return; }
      var w = b.tw === null ? b.w * r : Math.max(b.tw * r, b.w);
      b.e.setAttribute('x', X(b.x).toFixed(2)); b.e.setAttribute('width', w.toFixed(2));
    });
    c.lines.forEach(function (l) {
      if (!zoomed) { l.e.setAttribute('points', l.s); return; }
      var pts = new Array(l.xs.length);
      for (var i = 0; i < l.xs.length; i++) { pts[i] = X(l.xs[i]).toFixed(1) + ',' + l.ys[i]; }
      l.e.setAttribute('points', pts.join(' '));
    });
    c.hlines.forEach(function (l) {
      l.e.setAttribute('x1', zoomed ? X(l.x1).toFixed(1) : l.s1); l.e.setAttribute('x2', zoomed ? X(l.x2).toFixed(1) : l.s2);
    });
    var u0 = c.t2u(c.v0), u1 = c.t2u(c.v1), ticks = utcTicks(u0, u1), placed = [];
    // label boxes (estimated as svg.place_labels does); dated labels first, then the rest where they fit
    ticks.forEach(function (tk) {
      var x = c.X0 + (c.u2t(tk[0]) - c.v0) * k, w = CHAR_PX * tk[1].length;
      var anchor = x > c.X1 - 30 ? 'end' : (x < c.X0 + 30 ? 'start' : 'middle');
      var left = anchor === 'start' ? x : (anchor === 'end' ? x - w : x - w / 2);
      tk.push(x, anchor, left, left + w);
    });
    [true, false].forEach(function (dated) {
      ticks.forEach(function (tk) {
        if ((tk[1].indexOf('-') >= 0) !== dated) { return; }
        var free = placed.every(function (p) { return tk[4] > p[5] + GAP_PX || tk[5] < p[4] - GAP_PX; });
        if (free) { placed.push(tk); tk.push(true); }
      });
    });
    c.axes.forEach(function (a, i) {
      if (!zoomed) {  // the server's own axis, exactly
        var fresh = a.saved.cloneNode(true);
        a.g.parentNode.replaceChild(fresh, a.g);
        c.axes[i] = { g: fresh, base: fresh.querySelector('line'), yTop: a.yTop, yBottom: a.yBottom, labels: a.labels,
                      tickY: a.tickY, title: fresh.querySelector('text.lbl'), saved: a.saved };
        return;
      }
      each(Array.prototype.slice.call(a.g.childNodes), function (n) { if (n !== a.base && n !== a.title) { a.g.removeChild(n); } });
      ticks.forEach(function (tk) {
        var xs = tk[2].toFixed(1);
        a.g.insertBefore(el('line', { 'class': 'gridline', x1: xs, x2: xs, y1: a.yTop, y2: a.yBottom }), a.title);
        a.g.insertBefore(el('line', { x1: xs, x2: xs, y1: a.yBottom, y2: a.yBottom + 4 }), a.title);
        if (a.labels && tk[6]) {
          var t = el('text', { 'class': 'tick', 'data-tdb': c.u2t(tk[0]).toFixed(3), x: xs, y: a.tickY, 'text-anchor': tk[3] });
          t.textContent = tk[1];
          a.g.insertBefore(t, a.title);
        }
      });
      if (a.title) { a.title.textContent = 'Time (UTC), from ' + new Date(u0).toISOString().slice(0, 19) + 'Z'; }
    });
    if (c.range) {
      c.range.textContent = zoomed ? utcText(u0, true) + ' \u2192 ' + utcText(u1, true) + ' UTC' : 'whole span';
    }
    c.svg.setAttribute('data-view', c.v0.toFixed(3) + ' ' + c.v1.toFixed(3));
  };
  TimeChart.prototype.day = function (days) {
    var c = this, mid = c.t2u((c.v0 + c.v1) / 2), d = new Date(mid - (days > 1 ? days * 43200000 : 0));
    var a = c.u2t(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
    c.set(a, a + days * 86400);
  };
  function svgPoint(svg, ev) {
    var p = svg.createSVGPoint();
    p.x = ev.clientX; p.y = ev.clientY;
    return p.matrixTransform(svg.getScreenCTM().inverse());
  }
  function interact(c) {
    var svg = c.svg, drag = null;
    svg.addEventListener('mousedown', function (ev) {
      var p = svgPoint(svg, ev);
      if (ev.button !== 0 || p.x < c.X0 || p.x > c.X1 || ev.target.closest('[data-toggle]')) { return; }
      ev.preventDefault();
      drag = { x: p.x, pan: ev.shiftKey, v0: c.v0, v1: c.v1, box: null };
      if (!drag.pan) { drag.box = el('rect', { 'class': 'zoom-box', x: p.x, y: 0, width: 0, height: c.H }, svg); }
      hideTip();
    });
    window.addEventListener('mousemove', function (ev) {
      if (!drag) { return; }
      var x = Math.min(Math.max(svgPoint(svg, ev).x, c.X0), c.X1);
      if (drag.pan) {
        var dt = -(x - drag.x) * (drag.v1 - drag.v0) / (c.X1 - c.X0);
        c.set(drag.v0 + dt, drag.v1 + dt);
      } else {
        drag.box.setAttribute('x', Math.min(x, drag.x)); drag.box.setAttribute('width', Math.abs(x - drag.x));
      }
    });
    window.addEventListener('mouseup', function (ev) {
      if (!drag) { return; }
      var d = drag;
      drag = null;
      if (d.box) {
        d.box.parentNode.removeChild(d.box);
        var x = Math.min(Math.max(svgPoint(svg, ev).x, c.X0), c.X1);
        if (Math.abs(x - d.x) >= MIN_DRAG) { c.set(c.px2t(Math.min(x, d.x)), c.px2t(Math.max(x, d.x))); }
      }
    });
    svg.addEventListener('dblclick', function () { c.set(c.T0, c.T1); });
    svg.addEventListener('wheel', function (ev) {
      if (!(ev.ctrlKey || ev.altKey || ev.metaKey)) { return; }
      ev.preventDefault();
      var x = Math.min(Math.max(svgPoint(svg, ev).x, c.X0), c.X1), tc = c.px2t(x);
      var f = Math.pow(WHEEL, ev.deltaY / 100);
      c.set(tc - (tc - c.v0) * f, tc + (c.v1 - tc) * f);
    }, { passive: false });
  }
  var tip = null;
  function hideTip() { if (tip) { tip.style.display = 'none'; } }
  function tipText(target, svg) {
    for (var n = target; n && n !== svg.parentNode; n = n.parentNode) {
      if (n.nodeType !== 1) { continue; }
      if (!n.hasAttribute('data-tip')) {
        var t = null;
        each(n.childNodes, function (k) { if (!t && k.nodeName === 'title') { t = k; } });
        if (t) { n.setAttribute('data-tip', t.textContent); n.removeChild(t); }  // no second, native tooltip
      }
      if (n.hasAttribute('data-tip')) { return n.getAttribute('data-tip'); }
      if (n === svg) { break; }
    }
    return '';
  }
  function hover(svg) {
    svg.addEventListener('mousemove', function (ev) {
      var text = tipText(ev.target, svg), c = charts[svg.getAttribute('data-chart')];
      if (c && c.svg === svg) {
        var p = svgPoint(svg, ev);
        if (p.x >= c.X0 && p.x <= c.X1) { text += (text ? '\n' : '') + 'at ' + utcText(c.t2u(c.px2t(p.x)), true, true) + ' UTC'; }
      }
      if (!text) { hideTip(); return; }
      tip.textContent = text;
      tip.style.display = 'block';
      var w = tip.offsetWidth, h = tip.offsetHeight;
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - w - 4) + 'px';
      tip.style.top = (ev.clientY + 16 + h > window.innerHeight ? ev.clientY - h - 8 : ev.clientY + 16) + 'px';
    });
    svg.addEventListener('mouseleave', hideTip);
  }
  function chartCss(svg) {
    var rules = [];
    each(document.styleSheets, function (sheet) {
      each(sheet.cssRules || [], function (r) { if (r.selectorText && r.selectorText.indexOf('svg.chart') >= 0) { rules.push(r.cssText); } });
    });
    return 'svg.chart { font-family: ' + getComputedStyle(svg).fontFamily + '; background: #fff; }\n' + rules.join('\n');
  }
  function exportSvg(svg) {
    var copy = svg.cloneNode(true);
    each(copy.querySelectorAll('.zoom-box'), function (n) { n.parentNode.removeChild(n); });
    copy.setAttribute('xmlns', SVGNS);
    var st = document.createElementNS(SVGNS, 'style');
    st.textContent = chartCss(svg);
    copy.insertBefore(st, copy.firstChild);
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy);
  }
  function exportPng(svg) {
    return new Promise(function (resolve, reject) {
      var vb = svg.viewBox.baseVal, img = new Image();
      img.onload = function () {
        var cv = document.createElement('canvas'), g = cv.getContext('2d');
        cv.width = Math.round(vb.width * PNG_SCALE); cv.height = Math.round(vb.height * PNG_SCALE);
        g.fillStyle = '#fff'; g.fillRect(0, 0, cv.width, cv.height);
        g.drawImage(img, 0, 0, cv.width, cv.height);
        cv.toBlob(function (b) { if (b) { resolve(b); } else { reject(new Error('PNG export: canvas.toBlob gave nothing')); } }, 'image/png');
      };
      img.onerror = function () { reject(new Error('PNG export: the chart did not load as an image')); };
      img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(exportSvg(svg));
    });
  }
  function save(blob, name) {
    var a = document.createElement('a');
    a.href = URL.createObjectURL(blob); a.download = name; a.style.display = 'none';
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.parentNode.removeChild(a); }, 2000);
  }
  function toggle(entry) {
    var svg = entry.closest('svg'), key = entry.getAttribute('data-toggle'), off = entry.classList.toggle('off');
    each(svg.querySelectorAll('[data-series="' + key + '"]'), function (m) { m.classList.toggle('hidden', off); });
  }
  function toolbar(svg, c) {
    var bar = document.createElement('div'), name = svg.getAttribute('data-chart');
    bar.className = 'chart-tools'; bar.setAttribute('data-tools', name);
    function button(label, title, f) {
      var b = document.createElement('button');
      b.type = 'button'; b.textContent = label; b.title = title; b.setAttribute('data-act', label);
      b.addEventListener('click', f); bar.appendChild(b);
    }
    if (c) {
      var step = function (s) { var w = c.v1 - c.v0; c.set(c.v0 + s * w, c.v1 + s * w); };
      button('\u25C0', 'pan back by the visible span', function () { step(-1); });
      button('day', 'one UTC day (the day at the middle of the view)', function () { c.day(1); });
      button('week', 'seven UTC days around the middle of the view', function () { c.day(7); });
      button('all', 'the whole span (double-click the chart too)', function () { c.set(c.T0, c.T1); });
      button('\u25B6', 'pan forward by the visible span', function () { step(1); });
      c.range = document.createElement('span'); c.range.className = 'range'; c.range.textContent = 'whole span';
      bar.appendChild(c.range);
      var sep = document.createElement('span'); sep.className = 'sep'; bar.appendChild(sep);
    }
    button('SVG', 'download this chart as SVG', function () {
      save(new Blob([exportSvg(svg)], { type: 'image/svg+xml' }), 'lunarscope-' + name + '.svg');
    });
    button('PNG', 'download this chart as PNG (' + PNG_SCALE + '\u00D7)', function () {
      exportPng(svg).then(function (b) { save(b, 'lunarscope-' + name + '.png'); });
    });
    svg.parentNode.insertBefore(bar, svg);
  }
  function pager(table) {  // pages of PAGE_ROWS rows among those the filter keeps, in the current order
    var body = table.tBodies[0], page = 0;
    if (!body || body.rows.length <= PAGE_ROWS) { return; }
    var bar = document.createElement('div'), where = document.createElement('span');
    bar.className = 'pager'; bar.setAttribute('data-pager', table.id); where.className = 'where';
    function show(p) {
      var kept = Array.prototype.filter.call(body.rows, function (r) { return !r.classList.contains('hidden'); });
      var pages = Math.max(1, Math.ceil(kept.length / PAGE_ROWS));
      page = Math.min(Math.max(p, 0), pages - 1);
      each(body.rows, function (r) { r.classList.add('paged'); });
      kept.slice(page * PAGE_ROWS, (page + 1) * PAGE_ROWS).forEach(function (r) { r.classList.remove('paged'); });
      where.textContent = kept.length ? 'rows ' + (page * PAGE_ROWS + 1) + '\u2013' + Math.min(kept.length, (page + 1) * PAGE_ROWS)
        + ' of ' + kept.length + ' (page ' + (page + 1) + ' of ' + pages + ')' : 'no rows';
      bar.setAttribute('data-page', String(page));
    }
    [['\u00AB', function () { show(0); }], ['\u2039', function () { show(page - 1); }]].forEach(function (b) {
      var e = document.createElement('button'); e.type = 'button'; e.textContent = b[0]; e.addEventListener('click', b[1]); bar.appendChild(e);
    });
    bar.appendChild(where);
    [['\u203A', function () { show(page + 1); }], ['\u00BB', function () { show(1e9); }]].forEach(function (b) {
      var e = document.createElement('button'); e.type = 'button'; e.textContent = b[0]; e.addEventListener('click', b[1]); bar.appendChild(e);
    });
    table.parentNode.insertBefore(bar, table);
    table.lsPage = show;
    show(0);
  }
  function setup() {
    tip = document.createElement('div'); tip.id = 'chart-tip'; document.body.appendChild(tip);
    each(document.querySelectorAll('svg.chart [data-toggle]'), function (entry) {
      entry.addEventListener('click', function () { toggle(entry); });
    });
    function sortKey(td, num) {
      if (!num) { return td ? td.textContent.toLowerCase() : ''; }
      var v = td ? td.getAttribute('data-sort') : null;
      return v === null ? null : parseFloat(v);
    }
    each(document.querySelectorAll('table.data th[data-col]'), function (th) {
      th.addEventListener('click', function () {
        var table = th.closest('table'), body = table.tBodies[0];
        var col = parseInt(th.getAttribute('data-col'), 10), num = th.getAttribute('data-kind') === 'num';
        var asc = !th.classList.contains('asc');
        each(table.querySelectorAll('th'), function (h) { h.classList.remove('asc', 'desc'); });
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
        if (table.lsPage) { table.lsPage(0); }
      });
    });
    each(document.querySelectorAll('input.filter[data-filter]'), function (box) {
      var id = box.getAttribute('data-filter'), table = document.getElementById(id);
      var count = document.querySelector('[data-count="' + id + '"]');
      box.addEventListener('input', function () {
        var q = box.value.toLowerCase(), shown = 0;
        each(table.tBodies[0].rows, function (r) {
          var hide = q !== '' && !Array.prototype.some.call(r.cells, function (c) {
            return c.textContent.toLowerCase().indexOf(q) >= 0;
          });
          r.classList.toggle('hidden', hide);
          if (!hide) { shown += 1; }
        });
        if (count) { count.textContent = shown + ' of ' + table.tBodies[0].rows.length + ' rows'; }
        if (table.lsPage) { table.lsPage(0); }
      });
    });
    each(document.querySelectorAll('table.data'), pager);
    var all = document.querySelectorAll('svg[data-chart]');
    SVGNS = all.length ? all[0].namespaceURI : null;
    each(all, function (svg, i) {
      var c = null;
      if (svg.hasAttribute('data-t0')) { c = new TimeChart(svg, i); charts[svg.getAttribute('data-chart')] = c; interact(c); }
      toolbar(svg, c);
      hover(svg);
    });
    function chart(name) {
      var svg = document.querySelector('svg[data-chart="' + name + '"]');
      if (!svg) { throw new Error('no chart ' + name); }
      return svg;
    }
    function timeChart(name) {
      if (!charts[name]) { throw new Error('no time chart ' + name); }
      return charts[name];
    }
    window.lunarscopeReport = {
      timeCharts: Object.keys(charts),
      zoom: function (name, t0, t1) { timeChart(name).set(t0, t1); },
      zoomDay: function (name) { timeChart(name).day(1); },
      reset: function (name) { var c = timeChart(name); c.set(c.T0, c.T1); },
      view: function (name) { var c = timeChart(name); return [c.v0, c.v1]; },
      toggle: function (name, key) { toggle(chart(name).querySelector('[data-toggle="' + key + '"]')); },
      exportSvg: function (name) { return exportSvg(chart(name)); },
      exportPng: function (name) { return exportPng(chart(name)); }
    };
    root.setAttribute('data-js-status', 'ok');
    root.setAttribute('data-js-charts', String(all.length));
    root.setAttribute('data-js-time-charts', String(Object.keys(charts).length));
  }
  if (document.readyState === 'loading') { document.addEventListener('DOMContentLoaded', setup); }
  else { setup(); }
})();
"""


def _js() -> str:
    from lunarscope.report.svg import _TIME_STEPS_S, CHAR_WIDTH_EM, LABEL_GAP_PX, TICK_FONT_PX

    values = {
        "@MIN_SPAN@": f"{MIN_ZOOM_SPAN_S:g}",
        "@MAX_TICKS@": str(MAX_TIME_TICKS),
        "@PNG_SCALE@": str(PNG_EXPORT_SCALE),
        "@MIN_DRAG@": str(MIN_DRAG_PX),
        "@PAGE_ROWS@": str(TABLE_PAGE_ROWS),
        "@WHEEL@": f"{WHEEL_ZOOM_PER_100PX:g}",
        "@STEPS@": ", ".join(str(s) for s in _TIME_STEPS_S),
        "@CHAR_PX@": f"{CHAR_WIDTH_EM * TICK_FONT_PX:g}",
        "@GAP_PX@": f"{2 * LABEL_GAP_PX:g}",
    }
    text = _JS_TEMPLATE
    for k, v in values.items():
        text = text.replace(k, v)
    return text


JS = _js()
