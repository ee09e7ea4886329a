"""``lunarscope design family halo|nrho|dro|lyapunov [--lagrange L1|L2] [--branch north|south]
[--members 100] [--resonance 9:2 | --az-km X | --jacobi C | --period-d P] [-o OUT]``.

Earth–Moon CR3BP periodic-orbit families (``lunarscope.design.families``): writes ``family.csv``
(one row per member, nondimensional rotating frame) and ``family.html`` (the family in x–y, x–z,
y–z; period and stability index vs Jacobi constant) into OUT; with a pick option, the one member
(``member.csv``, same columns) as well, marked on the plots.
"""

from __future__ import annotations

import math
import sys

from .options import check_output_folder

#: Most members one run may ask for.
MAX_MEMBERS = 2000
#: Orbit points drawn per member in the projections, and members drawn at most.
PLOT_POINTS_PER_ORBIT = 200
PLOT_MAX_ORBITS = 60

CSV_COLUMNS = (
    "jacobi",
    "period_nd",
    "period_d",
    "x0",
    "y0",
    "z0",
    "vx0",
    "vy0",
    "vz0",
    "perilune_km",
    "apolune_km",
    "stability_index",
    "bifurcation",
)


def add_tool(dsub) -> None:
    p = dsub.add_parser(
        "family",
        help="Earth–Moon CR3BP periodic-orbit families: halo, NRHO, DRO, Lyapunov (CSV + plots)",
        description="Trace a periodic-orbit family of the Earth–Moon circular restricted three-body "
        "problem by differential correction and pseudo-arclength continuation, and write family.csv "
        "and family.html into OUT. --resonance, --az-km, --jacobi or --period-d also picks one member "
        "(member.csv).",
    )
    p.add_argument("family", help="halo, nrho (the near-rectilinear part of the L2 halos), dro or lyapunov")
    p.add_argument("--lagrange", default=None, help="L1 or L2 (halo, lyapunov; nrho: L2; not for dro)")
    p.add_argument(
        "--branch",
        default=None,
        help="north or south: the side of the Earth–Moon plane the apolune "
        "lies on (halo, nrho; default south, the Gateway's)",
    )
    p.add_argument("--members", default="100", help="members written, evenly spaced along the family (default 100)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--resonance", default=None, help="pick the member of period q/p synodic months, p:q, e.g. 9:2")
    g.add_argument("--az-km", default=None, help="pick the member with this true max |z| (km)")
    g.add_argument("--jacobi", default=None, help="pick the member with this Jacobi constant")
    g.add_argument("--period-d", default=None, help="pick the member with this period (days)")
    p.add_argument("-o", "--output", default=".", help="folder for family.csv and family.html (default .)")
    p.set_defaults(run=run)


def _number(text, option, positive=True) -> float:
    from ..errors import InputError

    try:
        v = float(text)
    except (TypeError, ValueError):
        raise InputError(option, f"{text!r} is not a number") from None
    if not math.isfinite(v) or (positive and not v > 0):
        raise InputError(option, f"{text!r} must be a finite number{' > 0' if positive else ''}")
    return v


def csv_text(members) -> str:
    """``family.csv``: the columns of CSV_COLUMNS, one row per member (17 significant digits)."""
    lines = [",".join(CSV_COLUMNS)]
    for m in members:
        s = m.state0
        vals = [m.jacobi, m.period_nd, m.period_d, *s, m.perilune_km, m.apolune_km, m.stability_index]
        lines.append(",".join(f"{float(v) + 0.0:.17g}" for v in vals) + "," + m.bifurcation)  # + 0.0: no "-0"
    return "\n".join(lines) + "\n"


def _panel(series, xlabel, ylabel, title, w=380, h=320, equal=False, marks=None, lines=True):
    """One SVG panel: ``series`` = [(x array, y array, colour, tooltip)]."""
    import numpy as np

    from ..report.svg import Linear, esc, nice_ticks, num, plot_axes, polyline_points

    ml, mr, mt, mb = 62, 12, 26, 42
    xs = np.concatenate([s[0] for s in series] + ([np.array([m[0] for m in marks])] if marks else []))
    ys = np.concatenate([s[1] for s in series] + ([np.array([m[1] for m in marks])] if marks else []))
    x0, x1, y0, y1 = float(xs.min()), float(xs.max()), float(ys.min()), float(ys.max())
    if equal:  # same scale on both axes
        span = max(x1 - x0, (y1 - y0) * (w - ml - mr) / (h - mt - mb), 1e-12)
        cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        x0, x1 = cx - span / 2, cx + span / 2
        sy = span * (h - mt - mb) / (w - ml - mr)
        y0, y1 = cy - sy / 2, cy + sy / 2
    pad_x, pad_y = 0.03 * (x1 - x0 or 1.0), 0.03 * (y1 - y0 or 1.0)
    X = Linear(x0 - pad_x, x1 + pad_x, ml, w - mr)
    Y = Linear(y0 - pad_y, y1 + pad_y, h - mb, mt)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="11">'
    ]
    out.append(f'<text x="{w / 2:.0f}" y="14" text-anchor="middle" font-weight="bold">{esc(title)}</text>')
    xt, yt = nice_ticks(X.d0, X.d1, 5), nice_ticks(Y.d0, Y.d1, 5)
    plot_axes(out, X, Y, xt, yt, (ml, mt, w - mr, h - mb), xlabel, ylabel, grid="#e4e4e4")
    for x, y, col, tip in series:
        if lines:
            out.append(
                f'<polyline fill="none" stroke="{col}" stroke-width="1" points="{polyline_points(X(x), Y(y))}">'
                f"<title>{esc(tip)}</title></polyline>"
            )
        else:
            for px, py in zip(X(x), Y(y)):
                out.append(f'<circle cx="{num(px)}" cy="{num(py)}" r="2" fill="{col}"/>')
    for mx, my, label in marks or []:
        if label == "Moon":  # the Moon's centre: a grey dot, not a pick mark
            out.append(f'<circle cx="{num(X(mx))}" cy="{num(Y(my))}" r="4" fill="#888"><title>Moon</title></circle>')
            continue
        out.append(
            f'<circle cx="{num(X(mx))}" cy="{num(Y(my))}" r="5" fill="none" stroke="#d62728" stroke-width="2">'
            f"<title>{esc(label)}</title></circle>"
        )
    out.append("</svg>")
    return "".join(out)


def page_html(fam, picked=None, subtitle="") -> str:
    """Self-contained HTML: the family in x–y, x–z, y–z (km from the Moon, rotating frame) and the
    period and stability index vs Jacobi constant."""
    import numpy as np

    from ..dynamics import cr3bp
    from ..report.svg import esc, viridis

    mu, L = fam.mu, cr3bp.L_STAR_KM
    ms = fam.members
    step = max(1, int(math.ceil(len(ms) / PLOT_MAX_ORBITS)))
    drawn = ms[::step]
    orbits = []
    for i, m in enumerate(drawn):
        arc = cr3bp.propagate(m.state0, m.period_nd, mu)
        y = arc(np.linspace(0.0, m.period_nd, PLOT_POINTS_PER_ORBIT))
        col = viridis(i / max(1, len(drawn) - 1))
        tip = f"C = {m.jacobi:.6f}, T = {m.period_d:.3f} d, perilune {m.perilune_km:.0f} km"
        orbits.append(((y[:, 0] - 1.0 + mu) * L, y[:, 1] * L, y[:, 2] * L, col, tip))
    if picked is not None:
        arc = cr3bp.propagate(picked.state0, picked.period_nd, mu)
        y = arc(np.linspace(0.0, picked.period_nd, 4 * PLOT_POINTS_PER_ORBIT))
        orbits.append(((y[:, 0] - 1.0 + mu) * L, y[:, 1] * L, y[:, 2] * L, "#d62728", "picked member"))
    moon = [(0.0, 0.0, "Moon")]
    panels = [
        _panel(
            [(o[0], o[1], o[3], o[4]) for o in orbits], "x from the Moon (km)", "y (km)", "x–y", equal=True, marks=moon
        ),
        _panel(
            [(o[0], o[2], o[3], o[4]) for o in orbits], "x from the Moon (km)", "z (km)", "x–z", equal=True, marks=moon
        ),
        _panel([(o[1], o[2], o[3], o[4]) for o in orbits], "y (km)", "z (km)", "y–z", equal=True, marks=moon),
    ]
    c = np.array([m.jacobi for m in ms])
    per = np.array([m.period_d for m in ms])
    nu = np.log10(np.array([m.stability_index for m in ms]))
    pm = [(picked.jacobi, picked.period_d, "picked")] if picked is not None else None
    bif = [(m.jacobi, math.log10(m.stability_index), f"bifurcation: {m.bifurcation}") for m in ms if m.bifurcation]
    panels.append(
        _panel(
            [(c, per, "#3b528b", "period")], "Jacobi constant", "period (d)", "period vs Jacobi", marks=pm, lines=False
        )
    )
    pn = [(picked.jacobi, math.log10(picked.stability_index), "picked")] if picked is not None else []
    panels.append(
        _panel(
            [(c, nu, "#21918c", "log10 stability index")],
            "Jacobi constant",
            "log10 stability index ν",
            "stability vs Jacobi (circles: bifurcations)",
            marks=(bif + pn) or None,
            lines=False,
        )
    )
    title = f"{fam.kind} family" + (
        f" ({fam.lagrange}" + (f", {fam.branch}" if fam.branch else "") + ")" if fam.lagrange else ""
    )
    note = (
        f"Earth–Moon CR3BP, μ = {mu:.12f}, l* = {L:.0f} km, t* = {cr3bp.T_STAR_S:.1f} s; rotating frame "
        f"centred on the Moon here (x from the Earth to the Moon). {len(ms)} members, {len(drawn)} drawn."
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title></head><body style=\"font-family:sans-serif\">"
        f"<h1>{esc(title)}</h1><p>{esc(subtitle)}</p><p>{esc(note)}</p><div>"
        + "".join(panels)
        + "</div></body></html>\n"
    )


def run(args) -> int:
    import os
    import time

    from ..design import families as F
    from ..dynamics import cr3bp
    from ..errors import InputError
    from ..mission.run import Progress

    kind = str(args.family).lower()
    if kind not in F.FAMILIES:
        raise InputError("family", f"{args.family!r} is not one of {', '.join(F.FAMILIES)}")
    lag = None if args.lagrange is None else str(args.lagrange).upper()
    if lag is None and kind == "nrho":
        lag = "L2"  # the NRHO part is computed for the L2 halos only
    branch = None if args.branch is None else str(args.branch).lower()
    try:
        n = int(args.members)
    except (TypeError, ValueError):
        raise InputError("--members", f"{args.members!r} is not a whole number") from None
    if not 2 <= n <= MAX_MEMBERS:
        raise InputError("--members", f"{n} must be in 2 .. {MAX_MEMBERS}")
    F.check_args(kind, lag, branch)
    target, option = {}, None
    if args.resonance is not None:
        target, option = {"period_nd": F.resonance_period_nd(args.resonance)}, "--resonance"
    elif args.az_km is not None:
        target, option = {"az_km": _number(args.az_km, "--az-km")}, "--az-km"
    elif args.jacobi is not None:
        target, option = {"jacobi": _number(args.jacobi, "--jacobi", positive=False)}, "--jacobi"
    elif args.period_d is not None:
        target = {"period_nd": _number(args.period_d, "--period-d") * 86400.0 / cr3bp.T_STAR_S}
        option = "--period-d"
    out = args.output
    check_output_folder(out)
    prog = Progress(f"{kind} family")
    t0 = time.perf_counter()

    def progress(stage, done, total):
        if total:
            prog(0.5 + 0.5 * done / total)
        else:
            prog(min(0.5, done / (2.0 * F.MAX_CONTINUATION_STEPS) * 10))

    fam = F.family(kind, lag, branch, members=n, progress=progress)
    picked = None
    if option is not None:
        picked = F.pick(kind, lag, branch, option=option, raws=fam.raw, **target)
    wall = time.perf_counter() - t0
    os.makedirs(out, exist_ok=True)
    paths = {name: os.path.join(out, name) for name in ("family.csv", "family.html", "member.csv")}
    texts = {"family.csv": csv_text(fam.members)}
    sub = f"{len(fam.members)} members in {wall:.1f} s wall; " + "; ".join(fam.notes)
    texts["family.html"] = page_html(fam, picked, sub)
    if picked is not None:
        texts["member.csv"] = csv_text([picked])
    for name, text in texts.items():  # staged, then renamed once all are written
        with open(paths[name] + ".part", "w", encoding="utf-8") as f:
            f.write(text)
    for name in texts:
        os.replace(paths[name] + ".part", paths[name])
    worst_c = max(m.jacobi_drift for m in fam.members)
    worst_p = max(m.periodicity_error for m in fam.members)
    prog.done(f"{len(fam.members)} members; max Jacobi drift {worst_c:.1e}, max periodicity error {worst_p:.1e}")
    if picked is not None:
        print(
            f"{option}: period {picked.period_d:.6f} d, Jacobi {picked.jacobi:.10f}, perilune {picked.perilune_km:.1f} km, "
            f"apolune {picked.apolune_km:.1f} km, Az {picked.az_km:.1f} km, stability index {picked.stability_index:.4f}; "
            f"state0 (nd) {' '.join(f'{v + 0.0:.15g}' for v in picked.state0)}",
            file=sys.stderr,
        )
    print(f"wrote {', '.join(paths[k] for k in texts)}", file=sys.stderr)
    return 0
