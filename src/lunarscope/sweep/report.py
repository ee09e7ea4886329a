"""The sweep report ``results/sweep.html``: self-contained HTML with static SVG charts.

Sections (``id``): ``summary``; ``parameters`` — each metric against each varied parameter
(``svg[data-chart=scatter]``, one per pair, ``data-metric`` / ``data-param``; every case with
a value, those that failed in a later stage in orange); ``pareto`` —
the Pareto front of two metrics (``svg[data-chart=pareto]``); ``best`` — the best cases by one
metric, each with its mission file (``best/case-<k>.yaml``) and the ``lunarscope plan`` command
that reruns it in full; ``errors`` — the cases that failed. The page uses the plan report's
CSS and script (``report.assets``) and its SVG helpers (``report.svg``); a
Content-Security-Policy of ``default-src 'none'`` forbids any fetch.
"""

from __future__ import annotations

import math
import os
import re

from ..report import assets
from ..report.html import page
from ..report.svg import Linear, esc, nice_ticks, num, tick_label
from .metrics import METRICS

#: Most points drawn in one chart (a deterministic stride over the cases beyond it).
MAX_POINTS_PER_CHART = 4000
#: Mission keys whose values are file paths relative to the mission file's folder
#: (docs/mission-file.md); made absolute in the written case files so they run from anywhere.
MISSION_PATH_KEYS = (("ephemeris", "spk"), ("ephemeris", "moon_pck"), ("force_model", "gravity", "file"))
#: Most error rows listed in the report.
MAX_ERROR_ROWS = 50
BEST_DIR = "best"
REPORT_NAME = "sweep.html"
_W, _H, _ML, _MR, _MT, _MB = 340, 220, 58, 12, 26, 44
#: Width of one character of an axis label and the least gap between labels (viewBox units;
#: 12 px sans-serif digits are ~0.55 em): category labels are thinned until they fit.
LABEL_CHAR_W, LABEL_GAP = 6.6, 10.0


def pareto_mask(a, b, better_a: str, better_b: str) -> list[bool]:
    """True for the points not dominated by another (at least as good in both, better in one)."""
    sa = 1.0 if better_a == "max" else -1.0
    sb = 1.0 if better_b == "max" else -1.0
    pts = [(sa * x, sb * y, k) for k, (x, y) in enumerate(zip(a, b))]
    pts.sort(key=lambda p: (-p[0], -p[1]))  # best a first; ties: best b first
    keep = [False] * len(pts)
    best_b, x_of_best = -math.inf, math.inf
    for x, y, k in pts:  # an earlier point has x' >= x: it dominates unless y beats its y'
        if y > best_b or (y == best_b and x == x_of_best):  # equal points are all on the front
            keep[k] = True
            best_b, x_of_best = y, x
    return keep


#: Fraction of a numeric axis's data range added at each end, so edge points are not cut.
AXIS_PAD_FRACTION = 0.04


def _padded(lo: float, hi: float, ticks) -> tuple[float, float]:
    lo, hi = min(lo, ticks[0]), max(hi, ticks[-1])
    pad = AXIS_PAD_FRACTION * (hi - lo)
    return lo - pad, hi + pad


_MIDNIGHT = re.compile(r"(\d{4}-\d\d-\d\d)T00:00:00(\.0+)?Z?")


def _short_label(text: str) -> str:
    """An axis label for a text value: a midnight UTC time as its date, else 14 characters."""
    m = _MIDNIGHT.fullmatch(text)
    return m.group(1) if m else text[:14]


def _finite(v) -> bool:
    return v is not None and isinstance(v, (int, float)) and math.isfinite(v)


def _stride(n: int) -> int:
    return max(1, math.ceil(n / MAX_POINTS_PER_CHART))


def _axes(x: Linear, y: Linear, xt, yt, xlabel: str, ylabel: str, xlabels=None) -> str:
    out = ['<g class="axis">']
    x0, x1, y0, y1 = x.p0, x.p1, y.p0, y.p1
    out.append(f'<path d="M{num(x0)},{num(y1)}V{num(y0)}H{num(x1)}" fill="none"/>')
    for v in yt:
        py = float(y(v))
        out.append(f'<line class="gridline" x1="{num(x0)}" x2="{num(x1)}" y1="{num(py)}" y2="{num(py)}"/>')
        out.append(
            f'<text class="tick" x="{num(x0 - 4)}" y="{num(py + 4)}" text-anchor="end">{tick_label(v, yt)}</text>'
        )
    for k, v in enumerate(xt):
        px = float(x(v))
        label = esc(xlabels[k]) if xlabels else tick_label(v, xt)
        out.append(f'<line x1="{num(px)}" x2="{num(px)}" y1="{num(y0)}" y2="{num(y0 + 4)}"/>')
        out.append(f'<text class="tick" x="{num(px)}" y="{num(y0 + 16)}" text-anchor="middle">{label}</text>')
    out.append(
        f'<text class="lbl" x="{num((x0 + x1) / 2)}" y="{num(y0 + 34)}" text-anchor="middle">{esc(xlabel)}</text>'
    )
    out.append(
        f'<text class="lbl" transform="translate(12,{num((y0 + y1) / 2)}) rotate(-90)" '
        f'text-anchor="middle">{esc(ylabel)}</text>'
    )
    out.append("</g>")
    return "".join(out)


def _yscale(values):
    lo, hi = min(values), max(values)
    if hi == lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
    yt = nice_ticks(lo, hi, 5)
    return Linear(*_padded(lo, hi, yt), _H - _MB, _MT), yt


def scatter_svg(df, param: str, metric: str) -> str:
    """One metric against one parameter: a point per ok case (categories for text values)."""
    rows = [
        (k, p, m, st)
        for k, p, m, st in zip(df["case"], df[param], df[metric], df["status"])
        if _finite(m) and p is not None
    ]
    head = (
        f'<svg class="chart" data-chart="scatter" data-param="{esc(param)}" data-metric="{esc(metric)}" '
        f'viewBox="0 0 {_W} {_H}" role="img"><text class="title" x="{_ML}" y="16">{esc(metric)}</text>'
    )
    if not rows:
        return head + f'<text class="lbl" x="{_ML}" y="{_H // 2}">no values</text></svg>'
    every = [p for p in df[param] if p is not None]  # the x axis spans every case's value
    numeric = all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in every)
    if numeric:
        xs = [float(p) for _, p, _, _ in rows]
        lo, hi = min(map(float, every)), max(map(float, every))
        if hi == lo:
            lo, hi = lo - 1.0, hi + 1.0
        xt = nice_ticks(lo, hi, 5)
        x = Linear(*_padded(lo, hi, xt), _ML, _W - _MR)
        labels = None
    else:
        cats = sorted({str(p) for p in every})
        index = {c: k for k, c in enumerate(cats)}
        xs = [float(index[str(p)]) for _, p, _, _ in rows]
        x = Linear(-0.5, len(cats) - 0.5, _ML, _W - _MR)
        width = max(len(_short_label(c)) for c in cats) * LABEL_CHAR_W + LABEL_GAP
        fit = max(1, min(6, int((_W - _ML - _MR) // width)))
        step = max(1, math.ceil(len(cats) / fit))
        xt = [float(k) for k in range(0, len(cats), step)]
        labels = [_short_label(cats[int(k)]) for k in xt]
    y, yt = _yscale([m for _, _, m, _ in rows])
    marks = []
    for j in range(0, len(rows), _stride(len(rows))):
        k, p, m, st = rows[j]
        colour, note = ("#2c728e", "") if st == "ok" else ("#e07b39", " (case failed in a later stage)")
        marks.append(
            f'<circle class="pt" cx="{num(float(x(xs[j])))}" cy="{num(float(y(m)))}" r="2.6" fill="{colour}" '
            f'fill-opacity="0.75"><title>case {k}: {esc(param)} = {esc(p)}, {esc(metric)} = {num(m, 4)}{note}'
            "</title></circle>"
        )
    return head + _axes(x, y, xt, yt, param, "", labels) + "".join(marks) + "</svg>"


def pareto_svg(df, a: str, b: str) -> tuple[str, list[int]]:
    """The Pareto front of metrics ``a`` and ``b`` (their ``better`` directions); returns the
    chart and the front's case indices (best ``a`` first)."""
    rows = [(k, x, y) for k, x, y in zip(df["case"], df[a], df[b]) if _finite(x) and _finite(y)]
    ba, bb = METRICS[a].better, METRICS[b].better
    head = (
        f'<svg class="chart" data-chart="pareto" data-x="{esc(a)}" data-y="{esc(b)}" '
        f'viewBox="0 0 {2 * _W} {int(1.4 * _H)}" role="img">'
    )
    label_a = f"{a} ({'higher' if ba == 'max' else 'lower'} is better)"
    label_b = f"{b} ({'higher' if bb == 'max' else 'lower'} is better)"
    if not rows:
        return head + f'<text class="lbl" x="{_ML}" y="{_H // 2}">no cases with both metrics</text></svg>', []
    keep = pareto_mask([r[1] for r in rows], [r[2] for r in rows], ba, bb)
    front = sorted((r for r, f in zip(rows, keep) if f), key=lambda r: r[1], reverse=ba == "max")
    xs, ys = [r[1] for r in rows], [r[2] for r in rows]
    lo, hi = min(xs), max(xs)
    if hi == lo:
        lo, hi = lo - 0.5 * (abs(lo) or 1.0), hi + 0.5 * (abs(hi) or 1.0)
    xt = nice_ticks(lo, hi, 6)
    height = int(1.4 * _H)
    x = Linear(*_padded(lo, hi, xt), _ML, 2 * _W - _MR)
    ylo, yhi = min(ys), max(ys)
    if yhi == ylo:
        ylo, yhi = ylo - 0.5 * (abs(ylo) or 1.0), yhi + 0.5 * (abs(yhi) or 1.0)
    yt = nice_ticks(ylo, yhi, 5)
    y = Linear(*_padded(ylo, yhi, yt), height - _MB, _MT)
    marks = []
    for j in range(0, len(rows), _stride(len(rows))):
        k, u, v = rows[j]
        if not keep[j]:
            marks.append(
                f'<circle class="pt" cx="{num(float(x(u)))}" cy="{num(float(y(v)))}" r="2.4" fill="#9aa3ad">'
                f"<title>case {k}: {esc(a)} = {num(u, 4)}, {esc(b)} = {num(v, 4)}</title></circle>"
            )
    path = "M" + "L".join(f"{num(float(x(u)))},{num(float(y(v)))}" for _, u, v in front)
    marks.append(f'<path d="{path}" fill="none" stroke="#d1495b" stroke-width="1.5"/>')
    for k, u, v in front:
        marks.append(
            f'<circle class="pt front" data-case="{k}" cx="{num(float(x(u)))}" cy="{num(float(y(v)))}" r="4" '
            f'fill="#d1495b"><title>case {k} (front): {esc(a)} = {num(u, 4)}, {esc(b)} = {num(v, 4)}</title></circle>'
        )
    return head + _axes(x, y, xt, yt, label_a, label_b) + "".join(marks) + "</svg>", [int(r[0]) for r in front]


def default_choices(spec, df) -> dict:
    """The report's metrics: ``spec.report`` where given, else the first two ranked metrics of
    the sweep for the front and ``science_value`` (or the first ranked metric) for the best."""
    ranked = [m for m in spec.metrics if METRICS[m].better is not None and m in df.columns]
    pareto = spec.report.get("pareto") or (tuple(ranked[:2]) if len(ranked) >= 2 else None)
    best = spec.report.get("best") or ("science_value" if "science_value" in ranked else (ranked or [None])[0])
    return {"pareto": pareto, "best": best, "top": spec.report.get("top", 10)}


def _case_file(spec, case, out_dir: str) -> str:
    """Write the case's mission (file paths made absolute) to ``out/best/case-<k>.yaml``."""
    import copy

    import yaml

    from ..io.tables import atomic_write

    raw = copy.deepcopy(case.mission)
    for keys in MISSION_PATH_KEYS:
        node = raw
        for k in keys[:-1]:
            node = node.get(k) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(keys[-1]), str):
            p = os.path.expanduser(node[keys[-1]])
            node[keys[-1]] = p if os.path.isabs(p) else os.path.join(spec.base_dir, p)
    tg = raw.get("targets")
    if isinstance(tg, dict) and isinstance(tg.get("catalogue"), str):
        p = os.path.expanduser(tg["catalogue"])
        tg["catalogue"] = p if os.path.isabs(p) else os.path.join(spec.base_dir, p)
    path = os.path.join(out_dir, BEST_DIR, f"case-{case.index}.yaml")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = (
        f"# sweep {os.path.basename(spec.path)}, case {case.index}: "
        + ", ".join(f"{p}={v}" for p, v in case.values.items())
        + "\n"
        + yaml.safe_dump(raw, sort_keys=False, allow_unicode=True)
    )
    with atomic_write(path) as fh:
        fh.write(text)
    return path


def _cell(v) -> str:
    if isinstance(v, float):
        return "" if not math.isfinite(v) else num(v, 4)
    return esc(v)


def render_sweep_report(spec, cases, df, out_dir: str | None = None) -> str:
    """The sweep report's HTML for the table ``df`` (pandas, one row per case); with
    ``out_dir`` the best cases' mission files are written to ``out_dir/best/``."""
    params = [d.path for d in spec.dimensions]
    metric_cols = [c for c in df.columns if c.split("[")[0] in METRICS]
    ok = int((df["status"] == "ok").sum())
    choice = default_choices(spec, df)
    sections = []
    cards = [
        ("cases", f"{len(df)}"),
        ("ok", f"{ok}"),
        ("errors", f"{len(df) - ok}"),
        ("sample", spec.sample.method + (f" n={spec.sample.n} seed={spec.sample.seed}" if spec.sample.n else "")),
        ("stages", ", ".join(spec.stages)),
        ("case time", f"{num(df['wall_s'].median(), 2)} s median" if len(df) else "—"),
    ]
    varied = "".join(
        f"<tr><td>{esc(d.path)}</td><td>{esc(', '.join(map(str, d.values[:12])) + (' …' if len(d.values) > 12 else '')) if d.values is not None else esc(f'{d.lo:g} … {d.hi:g} (continuous)')}</td></tr>"
        for d in spec.dimensions
    )
    sections.append(
        '<section id="summary"><h2>Summary</h2><div class="cards">'
        + "".join(
            f'<div class="card"><div class="v">{esc(v)}</div><div class="k">{esc(k)}</div></div>' for k, v in cards
        )
        + f"</div><p>Base mission: <code>{esc(spec.base_path)}</code></p>"
        + (f"<table><tr><th>varied key</th><th>values</th></tr>{varied}</table>" if varied else "")
        + "</section>\n"
    )
    grid = []
    for m in metric_cols:
        for p in params:
            grid.append(scatter_svg(df, p, m))
    sections.append(
        '<section id="parameters"><h2>Metrics against parameters</h2>'
        + (
            '<div class="grid2">' + "".join(f"<div>{g}</div>" for g in grid) + "</div>"
            if grid
            else '<p class="none">Nothing varied or no metrics.</p>'
        )
        + "</section>\n"
    )
    front = []
    if choice["pareto"]:
        chart, front = pareto_svg(df, *choice["pareto"])
        sections.append(
            f'<section id="pareto"><h2>Pareto front: {esc(choice["pareto"][0])} and {esc(choice["pareto"][1])}</h2>'
            f"{chart}<p class=\"note\">{len(front)} cases on the front (red): no other case is at least as good "
            "in both metrics and better in one.</p></section>\n"
        )
    best = choice["best"]
    if best:
        d = df[df[best].notna()]
        d = d.sort_values([best, "case"], ascending=[METRICS[best].better == "min", True]).head(choice["top"])
        by_case = {c.index: c for c in cases}
        head = "".join(f"<th>{esc(c)}</th>" for c in ["case", *params, *metric_cols, "rerun in full"])
        body = []
        for _, r in d.iterrows():
            k = int(r["case"])
            if out_dir is not None:
                f = _case_file(spec, by_case[k], out_dir)
                rel = os.path.relpath(f, out_dir)
                cmd = f"lunarscope plan {os.path.join(out_dir, rel)} -o plan-case-{k}"
            else:
                cmd = "—"
            cells = [str(k)] + [_cell(r[p]) for p in params] + [_cell(r[m]) for m in metric_cols]
            body.append(
                "<tr>" + "".join(f'<td class="num">{c}</td>' for c in cells) + f"<td><code>{esc(cmd)}</code></td></tr>"
            )
        sections.append(
            f'<section id="best"><h2>Best {len(body)} cases by {esc(best)} '
            f'({"highest" if METRICS[best].better == "max" else "lowest"} first)</h2>'
            + (
                f'<table id="best-table"><tr>{head}</tr>{"".join(body)}</table>'
                if body
                else '<p class="none">No case has a value.</p>'
            )
            + "</section>\n"
        )
    errs = df[df["status"] != "ok"].head(MAX_ERROR_ROWS)
    sections.append(
        '<section id="errors"><h2>Errors</h2>'
        + (
            '<table id="error-table"><tr><th>case</th><th>error</th></tr>'
            + "".join(
                f'<tr><td class="num">{int(r["case"])}</td><td>{esc(r["error"])}</td></tr>' for _, r in errs.iterrows()
            )
            + "</table>"
            if len(errs)
            else '<p class="none">No case failed.</p>'
        )
        + "</section>\n"
    )
    name = os.path.basename(spec.path)
    head = (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n"
        f"<title>{esc(name)} — lunarscope sweep</title>\n<style>{assets.CSS}</style>\n</head>\n<body>\n"
    )
    nav = "".join(
        f'<a href="#{k}">{v}</a>'
        for k, v in [
            ("summary", "Summary"),
            ("parameters", "Parameters"),
            ("pareto", "Pareto"),
            ("best", "Best"),
            ("errors", "Errors"),
        ]
    )
    top = f'<header><h1>Sweep {esc(name)}</h1><p class="lead">{len(df)} cases of {esc(os.path.basename(spec.base_path))}</p><nav>{nav}</nav></header>\n'
    foot = "<footer>Generated by lunarscope sweep. Every chart is static SVG drawn from the sweep table.</footer>\n"
    return page(head, top, sections, foot)


def write_sweep_report(spec, cases, df, out_dir: str) -> str:
    """Write ``out_dir/sweep.html`` (atomically) and the best cases' mission files."""
    from ..io.tables import atomic_write

    text = render_sweep_report(spec, cases, df, out_dir)
    path = os.path.join(out_dir, REPORT_NAME)
    with atomic_write(path, newline="") as fh:
        fh.write(text)
    return path
