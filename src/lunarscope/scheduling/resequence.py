"""Shorter slews in a finished plan: reorder the visits between engineering blocks, then give
the seconds saved to the requests that still need exposure.

A plan's slews are what separates it from the bounds (which charge none): on the shipped
survey they took 3.5 % of the span at a median of ~70° before this pass. The solvers choose
*what* to observe by value; this pass changes only the *order* and the length of the visits:

1. The timeline is cut at the engineering blocks (they hold the attitude and no slew crosses
   them) into stretches of at most ``MAX_STRETCH_VISITS`` visits, each an independent
   sequencing problem with a frame (``_Frame``): the pointing held when it starts and the free
   time before its block, in which the slew into its first visit may run (the block then holds
   the new attitude); and the first visit after it, whose start is kept — the slew into it
   runs after the block(s) when it fits there, else before them, and counts in the stretch.
2. In each stretch the order is improved by local search from the plan's order and from a
   nearest-neighbour order (move one visit elsewhere, reverse a run; first improvement,
   repeated until none helps or ``MAX_ROUNDS``): each order is timed as early as possible — a
   visit starts after the exact eigen-axis slew from the previous pointing and inside one of
   its request's usable windows, keeps its duration, and the stretch ends before its frame
   does; cadence is checked against the request's other visits. The objective is the time the
   stretch is done (its last visit's end, plus the slew to the next visit when that slew must
   run before the block), so an order is kept only when it frees time. The or-opt / 2-opt
   moves are the classic TSP improvement moves (Lin 1965; Or 1976), here with time windows.
3. The time freed (and any wait before a window opened) is given to the stretch's visits whose
   requests still need exposure, most valuable per second first: a visit is lengthened by as
   much as its need, its usable window and the later visits' windows allow (those move later
   by the same amount, less any wait they absorb).

Stretches holding a visit of a request with an efficiency (SNR requests) or one shorter than
its minimum are left as they are. Body-fixed antennas (downlinks point the spacecraft at the
Earth): the plan is returned unchanged. The caller rebuilds the plan with ``assemble``, fits
the recorder and validates it (``polish``); the pass itself keeps each stretch within slews,
windows, engineering, visit counts and cadence.

Measured on the shipped survey (``benchmarks/survey_scale.py``; docs/scheduling.md): 500
requests x 30 d from 0.964 to 0.972 of the bound (slews 90,000 s -> 62,000 s); 10,000 x 365 d
from 0.925 to 0.949.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np

from lunarscope.scheduling.slew import angle_between

#: Room left after each slew (s), as in scheduling.insertion.
SLEW_MARGIN_S = 1e-3
#: Rounds of local search per stretch (each round tries every move once).
MAX_ROUNDS = 6
#: A reorder is kept only when it ends the stretch at least this much earlier (s).
MIN_GAIN_S = 1e-3
#: Largest stretch (visits) the local search works on; longer ones keep their order.
MAX_STRETCH_VISITS = 40


class _Frame(NamedTuple):
    """Where a stretch sits: its time span [lo, hi] (s), the target held on entry (-1: none)
    and the free time before lo a first slew may use, the next visit's target after it (-1:
    none) and the free time after hi before that visit."""

    lo: float
    hi: float
    entry: int
    pre_gap: float
    exit_tgt: int
    exit_gap: float


class _Stretch:
    """Visits of one stretch between engineering blocks, timed as early as possible."""

    def __init__(self, problem, lo, hi, entry, visits, others, pre_gap, exit_tgt, exit_gap):
        self.p = problem
        self.lo, self.hi = lo, hi
        self.pre_gap = pre_gap  # free time before ``lo`` (behind an engineering block) a first slew may use
        self.entry = entry  # target index held when the stretch starts (-1: none, no slew)
        self.exit_tgt = exit_tgt  # target of the visit after the stretch (-1: none)
        self.exit_gap = exit_gap  # free time after ``hi`` (behind a block) before that visit starts
        self.req = [v[0] for v in visits]
        self.dur = [v[2] - v[1] for v in visits]
        tix = problem.target_index
        self.tgt = [tix[problem.requests[r].target] for r in self.req]
        dirs = problem.target_dirs
        pts = sorted(set(self.tgt) | {x for x in (entry, exit_tgt) if x >= 0})
        col = {t: k for k, t in enumerate(pts)}
        d = dirs[pts]
        m = problem.spacecraft.slew.time_s(angle_between(d[:, None, :], d[None, :, :])) + SLEW_MARGIN_S
        np.fill_diagonal(m, 0.0)
        # plain lists: the timing below runs ~10^5 times per plan, numpy indexing would dominate
        self._col = col
        self._m = m.tolist()
        self.vcol = [col[t] for t in self.tgt]
        self.entry_col = col[entry] if entry >= 0 else -1
        self.exit_col = col[exit_tgt] if exit_tgt >= 0 else -1
        # each request's usable windows clipped to the stretch
        self.win = {}
        for r in set(self.req):
            w = problem.usable_windows[r]
            k0, k1 = np.searchsorted(w[:, 1], lo, side="left"), np.searchsorted(w[:, 0], hi, side="right")
            self.win[r] = [(float(a), float(b)) for a, b in w[k0:k1]]
        self.others = others  # request -> starts of its visits outside this stretch (cadence)

    def _slew(self, a: int, b: int) -> float:
        """Slew time (s, margin included) between two targets of the stretch (-1: none)."""
        if a < 0 or a == b:
            return 0.0
        return self._m[self._col[a]][self._col[b]]

    def _window_start(self, r: int, s: float, d: float) -> float | None:
        """Earliest start >= s of a visit of ``d`` s inside one usable window of request r."""
        for a, b in self.win[r]:
            if b < s + d - 1e-9:
                continue
            a = max(s, a)
            if a + d <= b + 1e-9:
                return a
        return None

    def _cadence_ok(self, r: int, s: float, starts_here: dict) -> bool:
        cad = self.p.requests[r].cadence_s
        if not cad:
            return True
        for m in self.others.get(r, ()):
            if abs(s - m) < cad - 1e-9:
                return False
        return all(abs(s - m) >= cad - 1e-9 for m in starts_here.get(r, ()))

    def timing(self, order, dur=None, cutoff: float = np.inf):
        """Start times of the visits in ``order`` (as early as possible), or None if it cannot
        be timed inside the stretch or cannot end before ``cutoff`` (s; the search's pruning:
        what is left to observe is a lower bound on the rest)."""
        dur = self.dur if dur is None else dur
        t, prev = self.lo, self.entry_col
        m, hi = self._m, self.hi + 1e-9
        starts = [0.0] * len(order)
        here: dict = {}
        left = sum(dur[j] for j in order)
        for pos, j in enumerate(order):
            if t + left > cutoff:
                return None
            left -= dur[j]
            r, c = self.req[j], self.vcol[j]
            sl = m[prev][c] if prev >= 0 else 0.0
            if pos == 0 and sl <= self.pre_gap:
                sl = 0.0  # slewed before the engineering block, which holds the new attitude
            s = self._window_start(r, t + sl, dur[j])
            if s is None or s + dur[j] > hi:
                return None
            if self.others.get(r) is not None and not self._cadence_ok(r, s, here):
                return None
            if r in self.others:
                here.setdefault(r, []).append(s)
            starts[pos] = s
            t, prev = s + dur[j], c
        if self._ready(t, prev) > hi:
            return None
        return starts

    def _ready(self, t: float, last_col: int) -> float:
        """When the stretch is done, the slew to the next visit included unless it fits after the
        block(s) that end the stretch."""
        sl = self._m[last_col][self.exit_col] if self.exit_col >= 0 and last_col >= 0 else 0.0
        return t if sl <= self.exit_gap else t + sl

    def makespan(self, order, dur=None, cutoff: float = np.inf) -> float:
        """The stretch's ready time (``_ready``) for ``order``, inf when it cannot be timed (or
        not end before ``cutoff``)."""
        dur = self.dur if dur is None else dur
        st = self.timing(order, dur, cutoff)
        return np.inf if st is None else self._ready(st[-1] + dur[order[-1]], self.vcol[order[-1]])


def _nearest_first(stretch: _Stretch, order: list) -> list:
    """Nearest-neighbour order (shortest slew next)."""
    rest, seq, prev = list(order), [], stretch.entry
    while rest:
        j = min(rest, key=lambda q: (stretch._slew(prev, stretch.tgt[q]), q))
        seq.append(j)
        rest.remove(j)
        prev = stretch.tgt[j]
    return seq


def _improve(stretch: _Stretch, order: list) -> list:
    """The better of the given order and a nearest-neighbour one, each improved by or-opt and
    2-opt moves (first improvement; module doc)."""
    a = _local_search(stretch, order)
    nn = _nearest_first(stretch, order)
    if stretch.makespan(nn) == np.inf:
        return a
    b = _local_search(stretch, nn)
    return b if stretch.makespan(b) < stretch.makespan(a) - MIN_GAIN_S else a


def _local_search(stretch: _Stretch, order: list) -> list:
    best = stretch.makespan(order)
    n = len(order)
    for _ in range(MAX_ROUNDS):
        improved = False
        for i in range(n):
            for j in range(n):
                if i == j:
                    continue
                cand = order[:i] + order[i + 1 :]
                cand.insert(j, order[i])
                m = stretch.makespan(cand, cutoff=best - MIN_GAIN_S)
                if m < best - MIN_GAIN_S:
                    order, best, improved = cand, m, True
        for i in range(n - 1):
            for j in range(i + 2, n + 1):
                cand = order[:i] + order[i:j][::-1] + order[j:]
                m = stretch.makespan(cand, cutoff=best - MIN_GAIN_S)
                if m < best - MIN_GAIN_S:
                    order, best, improved = cand, m, True
        if not improved:
            break
    return order


def _extend(stretch: _Stretch, order: list, need: np.ndarray, value_rate: np.ndarray) -> list:
    """Durations after giving the stretch's free time to visits whose requests still need
    exposure (most valuable per second first); ``need`` is updated."""
    dur = list(stretch.dur)
    for pos in sorted(range(len(order)), key=lambda q: -value_rate[stretch.req[order[q]]]):
        j = order[pos]
        r = stretch.req[j]
        if need[r] <= 1e-9:
            continue
        lo, hi = 0.0, float(need[r])
        trial = list(dur)
        trial[j] = dur[j] + hi
        if stretch.timing(order, trial) is None:  # bisection on the extension (s)
            for _ in range(30):
                mid = 0.5 * (lo + hi)
                trial[j] = dur[j] + mid
                if stretch.timing(order, trial) is None:
                    hi = mid
                else:
                    lo = mid
            hi = lo
        if hi > 1e-6:
            dur[j] += hi
            need[r] -= hi
    return dur


def resequence(problem, visits, eng_starts, deadline: float | None = None) -> tuple[list, bool]:
    """Visits (request, start, stop) of a valid plan with shorter slews and the saved time
    given to requests that still need it (module doc); the same list for a body-fixed antenna.
    Also returns whether ``deadline`` (a ``time.perf_counter()`` value) stopped it: the
    stretches after that point keep their visits as they were."""
    if problem.spacecraft.antenna != "gimballed" or not visits:
        return list(visits), False
    reqs = problem.requests
    nom = problem.engineering_nominal
    eng = sorted((float(s), float(s + nom[j, 1])) for j, s in enumerate(eng_starts))
    visits = sorted(((int(r), float(a), float(b)) for r, a, b in visits), key=lambda v: (v[1], v[0]))
    got = np.zeros(len(reqs))
    for r, a, b in visits:
        if b - a >= reqs[r].min_visit_s - 1e-9:
            got[r] += b - a
    need = np.maximum(np.array([q.exposure_s for q in reqs], float) - got, 0.0)
    value_rate = np.array([q.priority / q.exposure_s for q in reqs], float)
    edges = [problem.start] + [x for e in eng for x in e] + [problem.stop]
    tix = problem.target_index
    tgt = [tix[reqs[r].target] for r, _, _ in visits]
    cadence_starts: dict = {}  # request with a cadence -> starts of all its visits
    for r, a, _ in visits:
        if reqs[r].cadence_s:
            cadence_starts.setdefault(r, []).append(a)
    out: list = []
    entry, k = -1, 0
    cut = False
    for lo, hi in zip(edges[0::2], edges[1::2]):
        if deadline is not None and time.perf_counter() > deadline:
            cut = True
            break
        first = k
        while k < len(visits) and visits[k][1] < hi - 1e-9:
            k += 1
        idx = [i for i in range(first, k) if visits[i][1] >= lo - 1e-9]
        out.extend(visits[i] for i in range(first, k) if visits[i][1] < lo - 1e-9)  # never in a valid plan
        for c0 in range(0, len(idx), MAX_STRETCH_VISITS):
            chunk = idx[c0 : c0 + MAX_STRETCH_VISITS]
            c_lo = out[-1][2] if c0 > 0 else lo
            nxt = chunk[-1] + 1
            if nxt < k:  # the next chunk's first visit keeps its start: end before the slew to it
                c_hi, exit_tgt, exit_gap = visits[nxt][1], tgt[nxt], 0.0
            elif k < len(visits):  # the slew into the next stretch: after its block(s) if it fits
                ends = [b for _, b in eng if b <= visits[k][1] + 1e-9]
                c_hi, exit_tgt, exit_gap = hi, tgt[k], visits[k][1] - (ends[-1] if ends else hi)
            else:
                c_hi, exit_tgt, exit_gap = hi, -1, 0.0
            pre_gap = _free_before(eng, out[-1][2], lo) if (c0 == 0 and out) else 0.0
            frame = _Frame(c_lo, c_hi, entry, pre_gap, exit_tgt, exit_gap)
            group = _stretch_visits(problem, frame, [visits[i] for i in chunk], cadence_starts, need, value_rate)
            for r, a, _ in (visits[i] for i in chunk):  # moved visits: later stretches see their new starts
                if r in cadence_starts:
                    cadence_starts[r].remove(a)
            for r, a, _ in group:
                if r in cadence_starts:
                    cadence_starts[r].append(a)
            out.extend(group)
            entry = tix[reqs[group[-1][0]].target]
    out.extend(visits[k:])
    return sorted(out, key=lambda v: (v[1], v[0])), cut


def _stretch_visits(problem, frame, group, cadence_starts, need, value_rate) -> list:
    """One stretch's visits reordered and lengthened (module doc), or as they were."""
    reqs = problem.requests
    if len(group) < 2 or any(reqs[r].efficiency is not None or b - a < reqs[r].min_visit_s - 1e-9 for r, a, b in group):
        return group
    others = {}
    for r in {r for r, _, _ in group if reqs[r].cadence_s}:
        here = [a for q, a, _ in group if q == r]
        others[r] = [a for a in cadence_starts[r] if a not in here]
    st = _Stretch(
        problem, frame.lo, frame.hi, frame.entry, group, others, frame.pre_gap, frame.exit_tgt, frame.exit_gap
    )
    order = list(range(len(group)))
    if st.timing(order) is None:
        return group
    order = _improve(st, order)
    dur = _extend(st, order, need, value_rate)
    times = st.timing(order, dur)
    return [(st.req[j], s, s + dur[j]) for j, s in zip(order, times)]


def _free_before(eng, t0: float, t1: float) -> float:
    """Longest free gap (s) in [t0, t1] outside the engineering intervals ``eng`` (sorted)."""
    best, t = 0.0, t0
    for a, b in eng:
        if b <= t0 or a >= t1:
            continue
        best = max(best, a - t)
        t = max(t, b)
    return max(best, t1 - t)


#: Most rounds of ``resequence`` in ``polish`` before and after its fill (each starts from the
#: last and they stop when a round gains nothing; the 500-request survey gains in 3 rounds).
POLISH_ROUNDS = 4
#: Most fills (value-first insertion into the gaps, each followed by rounds) in ``polish``: the
#: 10,000-request survey gains 0.42 % with the first and 0.08 % with the second.
POLISH_FILLS = 2
#: Gains below this (science value) end the rounds.
POLISH_MIN_GAIN = 1e-9


def polish(problem, plan, *, deadline: float | None = None, scheduler: str | None = None, fill: bool = True):
    """``plan`` with shorter slews (module doc): ``resequence`` its visits and fit the recorder,
    up to ``POLISH_ROUNDS`` rounds; then (``fill``) value-first insertion of what the requests
    still need into the gaps (``insertion(seed=...)``) and the rounds again, up to
    ``POLISH_FILLS`` times. Every step is
    kept only when the plan validates with more value. Returns the best plan (``plan`` itself
    when nothing helped or the antenna is body-fixed); ``info['polish']`` has the value and the
    slew seconds before, and ``info['wall_limit_hit']`` is set when ``deadline`` (a
    ``time.perf_counter()`` value; no step starts after it) cut a step short."""
    from lunarscope.scheduling.insertion import insertion

    if problem.spacecraft.antenna != "gimballed" or not problem.requests:
        return plan
    eng = {a.block: a.start for a in plan.activities if a.kind == "engineering"}
    if sorted(eng) != list(range(len(problem.engineering_nominal))):
        return plan  # not every occurrence placed (never in a valid plan): leave it
    eng_starts = np.array([eng[j] for j in range(len(eng))], float)
    state = _Polish(problem, plan, eng_starts, deadline, scheduler or plan.scheduler)
    state.rounds()
    for _ in range(POLISH_FILLS if fill else 0):
        if state.late():
            break
        visits = [(a.request, a.start, a.stop) for a in state.best.activities if a.kind == "observe"]
        cand = insertion(problem, deadline=deadline, seed=visits, eng_starts=eng_starts)
        if cand is None or not state.offer(cand, bool(cand.info.get("wall_limit_hit"))):
            break
        state.rounds()
    best = state.best
    if state.cut:  # a step the deadline stopped: the plan depends on the machine's speed
        best.info["wall_limit_hit"] = True
    if best is not plan:
        best.info["polish"] = {
            "value_before": plan.science_value(problem),
            "slew_s_before": _slew_seconds(plan),
            "slew_s_after": _slew_seconds(best),
        }
        best.status = "; ".join(x for x in (best.status, polish_text(best.info["polish"])) if x)
    return best


def polish_text(info: dict) -> str:
    """One status phrase for ``info['polish']``."""
    return f"slews shortened {info['slew_s_before']:.0f} -> {info['slew_s_after']:.0f} s"


class _Polish:
    """The best plan so far of one ``polish`` call and the steps that may replace it."""

    def __init__(self, problem, plan, eng_starts, deadline, scheduler):
        self.p, self.best, self.value = problem, plan, plan.science_value(problem)
        self.eng_starts, self.deadline, self.scheduler = eng_starts, deadline, scheduler
        self.first = plan
        self.cut = False  # whether the deadline stopped a step (kept or not)

    def late(self) -> bool:
        return self.deadline is not None and time.perf_counter() > self.deadline

    def offer(self, cand, cut: bool) -> bool:
        """Keep ``cand`` when it validates with more value; returns whether it was kept."""
        from lunarscope.scheduling.validate import validate

        self.cut |= cut
        v = cand.science_value(self.p)
        if v <= self.value + POLISH_MIN_GAIN or validate(cand, self.p):
            return False
        for key in ("relaxation_bound", "bound_source", "model_bound", "status", "solve_s"):
            setattr(cand, key, getattr(self.first, key))
        cand.info = dict(self.best.info)
        cand.scheduler = self.scheduler
        if cut:
            cand.info["wall_limit_hit"] = True
        self.best, self.value = cand, v
        return True

    def rounds(self) -> None:
        from lunarscope.scheduling.assemble import assemble
        from lunarscope.scheduling.insertion import fit_recorder

        for _ in range(POLISH_ROUNDS):
            if self.late():
                return
            visits = [(a.request, a.start, a.stop) for a in self.best.activities if a.kind == "observe"]
            moved, cut = resequence(self.p, visits, self.eng_starts, self.deadline)
            seed = fit_recorder(self.p, moved)
            if not self.offer(assemble(self.p, seed, self.eng_starts, ()), cut):
                return


def _slew_seconds(plan) -> float:
    return float(sum(a.stop - a.start for a in plan.activities if a.kind == "slew"))
