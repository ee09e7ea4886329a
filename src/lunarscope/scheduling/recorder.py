"""Recorder bookkeeping: the level profile, as-soon-as-possible downlink, FIFO latency.

Model (used by every scheduler and by the validator): an observation adds its data
uniformly over its duration; a downlink removes its data uniformly over its duration.
The level is therefore piecewise linear and its extremes lie on activity boundaries.
Data in Mbit, times in TDB s.
"""

from __future__ import annotations

import numpy as np


def level_profile(activities, initial_mbit: float, t0: float):
    """Recorder level at every activity boundary: returns (times, levels) arrays.

    ``activities`` are objects with ``kind``, ``start``, ``stop``, ``data_mbit``; only
    ``observe`` (+) and ``downlink`` (-) change the level. Zero-length data activities
    are applied as steps.
    """
    ts, dr, steps = [t0], [0.0], [0.0]
    for a in activities:
        if a.kind not in ("observe", "downlink") or a.data_mbit == 0:
            continue
        sign = 1.0 if a.kind == "observe" else -1.0
        dur = a.stop - a.start
        if dur > 0:
            r = sign * a.data_mbit / dur
            ts += [a.start, a.stop]
            dr += [r, -r]
            steps += [0.0, 0.0]
        else:
            ts.append(a.start)
            dr.append(0.0)
            steps.append(sign * a.data_mbit)
    ts = np.array(ts)
    dr = np.array(dr)
    steps = np.array(steps)
    o = np.argsort(ts, kind="stable")
    ts, dr, steps = ts[o], dr[o], steps[o]
    # unique times: sum rate changes and steps per time
    ut, inv = np.unique(ts, return_inverse=True)
    drs = np.bincount(inv, dr, len(ut))
    sts = np.bincount(inv, steps, len(ut))
    rate = np.cumsum(drs)  # net rate on [ut[k], ut[k+1])
    inc = np.zeros(len(ut))
    inc[1:] = rate[:-1] * np.diff(ut)
    level = initial_mbit + np.cumsum(inc + sts)
    return ut, level


class Drain:
    """As-soon-as-possible downlink over a non-overlapping timeline of (start, stop, rate, station, contact)."""

    def __init__(self, timeline: np.ndarray):
        self.tl = np.asarray(timeline, float).reshape(-1, 5)

    def run(self, t0: float, t1: float, level: float, gen_rate: float = 0.0, cap: float | None = None):
        """Advance the recorder from ``t0`` to ``t1`` while generating ``gen_rate`` Mbit/s.

        Downlinks at full rate whenever a timeline segment is open and data is on board
        (at the generation rate once empty). If ``cap`` is given, stops where the level
        would first exceed it. Returns ``(t_end, level_end, max_level, pieces)`` with
        pieces = list of (start, stop, data_mbit, station, contact).
        """
        tl = self.tl
        t, L, q = float(t0), float(level), float(gen_rate)
        mx = L
        pieces = []
        k = int(np.searchsorted(tl[:, 1], t, side="right")) if len(tl) else 0
        while t < t1:
            if k < len(tl) and tl[k, 0] <= t:
                a, b, R = t, min(t1, tl[k, 1]), tl[k, 2]
                st, ci = int(tl[k, 3]), int(tl[k, 4])
            else:
                a = t
                b = min(t1, tl[k, 0]) if k < len(tl) else t1
                R = 0.0
            dt = b - a
            if R == 0.0:
                if cap is not None and q > 0 and L + q * dt > cap:
                    tc = a + max(0.0, cap - L) / q
                    return tc, cap, max(mx, cap), pieces
                L += q * dt
            else:
                net = q - R
                if net >= 0:
                    if cap is not None and net > 0 and L + net * dt > cap:
                        tc = a + max(0.0, cap - L) / net
                        if tc > a:
                            pieces.append((a, tc, R * (tc - a), st, ci))
                        return tc, cap, max(mx, cap), pieces
                    pieces.append((a, b, R * dt, st, ci))
                    L += net * dt
                else:
                    tau = L / (R - q)
                    if tau >= dt:
                        pieces.append((a, b, R * dt, st, ci))
                        L += net * dt
                    else:
                        if tau > 0:
                            pieces.append((a, a + tau, R * tau, st, ci))
                        if q > 0:
                            pieces.append((a + tau, b, q * (dt - tau), st, ci))
                        L = 0.0
            mx = max(mx, L)
            t = b
            if k < len(tl) and t >= tl[k, 1]:
                k += 1
        return t, max(L, 0.0), mx, pieces


def _inverse_cumulative(times, cum, x):
    """First time where the nondecreasing piecewise-linear ``cum`` reaches ``x``."""
    k = np.searchsorted(cum, x, side="left")
    k = np.clip(k, 1, len(cum) - 1)
    c0, c1 = cum[k - 1], cum[k]
    f = np.where(c1 > c0, (x - c0) / np.where(c1 > c0, c1 - c0, 1.0), 0.0)
    return times[k - 1] + np.clip(f, 0, 1) * (times[k] - times[k - 1])


def _cumulative(pieces, t0):
    """Cumulative data (Mbit) at the boundaries of uniform-rate pieces (start, stop, data)."""
    ts, dr = [t0], [0.0]
    for a, b, d in pieces:
        if b > a and d > 0:
            r = d / (b - a)
            ts += [a, b]
            dr += [r, -r]
    ts = np.array(ts)
    dr = np.array(dr)
    ut, inv = np.unique(ts, return_inverse=True)
    rate = np.cumsum(np.bincount(inv, dr, len(ut)))
    inc = np.zeros(len(ut))
    inc[1:] = rate[:-1] * np.diff(ut)
    return ut, np.cumsum(inc)


def fifo_latency(observe_pieces, downlink_pieces, initial_mbit: float, t0: float, n: int = 4000):
    """FIFO data latency (s) from observation to ground: returns (mean, max, delivered_mbit).

    Data is downlinked first-in first-out; the initial recorder content is first in the
    queue and excluded from the statistics. Pieces are (start, stop, data_mbit). The
    mean is taken over delivered in-span data (midpoint rule with ``n`` samples).
    """
    tg, G = _cumulative(observe_pieces, t0)
    td, D = _cumulative(downlink_pieces, t0)
    total_down = D[-1]
    delivered = max(0.0, min(total_down - initial_mbit, G[-1]))
    if delivered <= 0:
        return float("nan"), float("nan"), 0.0
    x = initial_mbit + (np.arange(n) + 0.5) / n * delivered
    lat = _inverse_cumulative(td, D, x) - _inverse_cumulative(tg, G + initial_mbit, x)
    # the maximum of a difference of piecewise-linear inverses lies on a breakpoint
    xb = np.concatenate([G + initial_mbit, D])
    xb = xb[(xb > initial_mbit) & (xb <= initial_mbit + delivered)]
    lat_b = _inverse_cumulative(td, D, xb) - _inverse_cumulative(tg, G + initial_mbit, xb) if len(xb) else lat
    return float(np.mean(lat)), float(max(np.max(lat), np.max(lat_b) if len(xb) else -np.inf)), float(delivered)
