"""An improvement heuristic: from a feasible plan, search neighbourhoods by small sub-MIPs.

Large cases with many group rules leave a branch-and-bound little time to improve a start (on the
retail case SCIP did not improve the chord start in 600 s). This module searches around the
incumbent plan. Each neighbourhood is the chosen formulation with most region indicators fixed,
or with a distance limit. It is solved on the chosen engine within its own time slice. A better
plan, confirmed by the checker, becomes the incumbent. Three neighbourhoods take turns:

* **Local branching** (Fischetti & Lodi): every region indicator stays free, and the plan may
  change the region of at most ``k`` activities, Σ_i (1 − z_{r(i)}) ≤ k, where r(i) is the
  incumbent's region of activity i. After a slice without improvement, ``k`` doubles if the
  sub-MIP proved that nothing better lies within ``k``, and halves if the slice ran out of time
  first (the neighbourhood was too large to search in one slice).
* **Fix-and-optimize over rule groups**: the activities of a few group rules, drawn at random, are
  freed, and every other activity keeps its incumbent region. The spend changes of all
  activities stay free within their regions, so the budget and the rules can be re-balanced.
  The number of rules freed doubles after a slice solved to optimality in less than half its
  time, and halves after a slice that ran out of time.

* **The Lagrangian core** (given a :class:`~mmo_pyomo.mix.lagrangian.LagrangianBound`): the bound
  prices every region of every activity, B_i^s. An activity whose incumbent region is far below
  its best alternative, max_{s ≠ r(i)} B_i^s − B_i^{r(i)} large, is where the relaxation sees
  revenue to gain; the ``core`` activities that score highest (the score plus Gumbel noise of
  :data:`CORE_NOISE` times the gap between the Lagrangian bound and the incumbent, so that no two
  slices free the same set) are freed, and every other activity keeps its incumbent region. The
  core grows and shrinks as the rule groups do. On the retail case with a random baseline, from
  the chord start (148,666.12), 60 s slices of 400 activities on SCIP reached 148,909 in 308 s and
  148,942 in 1,030 s; the other two neighbourhoods together reached 148,892 in 600 s. From a better
  chord start (148,909.23), the core alone reached 148,947.09 in 590 s (2026-12-03).

They take turns (the core, when there is one, first and two turns in three), except that a
neighbourhood whose slice ran out of time without a gain sits out its next 1, 3, 7, … turns (at
most :data:`MAX_REST`; the count resets after a gain or a proof). On the retail case SCIP could not
finish even a k = 1 local-branching slice in 100 s, while rule-group slices gained in 10–25 s each:
the time goes where the gains are.

The best plan is returned with its revenue and a log of the slices. Pass it as ``start=`` to
:func:`mmo_pyomo.mix.runner.solve` to hand it to the full solve as a MIP start (``solve.py --improve``).
"""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo import ranges
from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.lagrangian import LagrangianBound
from mmo_pyomo.mix.model_run import ModelRun, region_formulations
from mmo_pyomo.model_library import Formulation, get_formulation
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import get_engine
from mmo_pyomo.solvers.stats import SolveStats

log = logging.getLogger(__name__)

#: The neighbourhoods, in the order they take turns without a bound.
NEIGHBOURHOODS = ("local_branching", "rule_groups")
#: ... and with a Lagrangian bound: its core two turns in three (on the random-baseline retail case, 590 s from the
#: chord start on SCIP, the core alone reached 148,947.09 and the core every other turn 148,943.35).
WITH_CORE = ("lagrangian_core", "lagrangian_core", "rule_groups", "lagrangian_core", "lagrangian_core",
             "local_branching")
#: The core's noise, as a share of the gap between the Lagrangian bound and the incumbent's revenue.
CORE_NOISE = 0.005

#: Most turns a neighbourhood sits out after slices that ran out of time without a gain.
MAX_REST = 7


@dataclass
class Improvement:
    """The best plan found, its revenue, and one record per neighbourhood slice."""

    delta: np.ndarray
    revenue: float
    start_revenue: float
    time_s: float
    slices: list[dict] = field(default_factory=list)

    @property
    def improved(self) -> bool:
        return self.revenue > self.start_revenue


class Turns:
    """Which neighbourhood searches next: they take turns in the order ``order`` (a kind may come more than
    once), but one whose slice ran out of time without a gain sits out its next 1, 3, 7, … turns (at most
    :data:`MAX_REST`), and the next kind in the order that is not resting goes instead; if all rest, it goes."""

    def __init__(self, order: tuple[str, ...] = NEIGHBOURHOODS) -> None:
        self.order = order
        self.turn = 0
        self.strikes = dict.fromkeys(order, 0)    # fruitless timeouts in a row
        self.resting = dict.fromkeys(order, 0)    # turns still to sit out

    def next(self) -> str:
        kind = self.order[self.turn % len(self.order)]
        self.turn += 1
        if self.resting[kind]:
            self.resting[kind] -= 1
            for step in range(len(self.order)):
                other = self.order[(self.turn + step) % len(self.order)]
                if other != kind and not self.resting[other]:
                    return other
        return kind

    def record(self, kind: str, fruitless: bool) -> None:
        """``fruitless``: the slice ran out of time and found nothing better."""
        self.strikes[kind] = self.strikes[kind] + 1 if fruitless else 0
        if fruitless:
            self.resting[kind] = min(2 ** self.strikes[kind] - 1, MAX_REST)


def _held(delta: np.ndarray) -> np.ndarray:
    """(n × 3) the region each activity of ``delta`` is in (a plan's own regions are never fixed away)."""
    out = np.zeros((len(delta), 3), bool)
    out[np.arange(len(delta)), _regions_of(delta)] = True
    return out


def _regions_of(delta: np.ndarray) -> np.ndarray:
    """0 = R⁻, 1 = no change, 2 = R⁺ (the index into the formulation's region indicators)."""
    return np.where(delta < 0, 0, np.where(delta > 0, 2, 1))


def _resized(size: int, stats: SolveStats, slice_s: float, most: int) -> int:
    """A neighbourhood's next size: twice after a slice solved with more than half its time to spare, half after
    one that ran out of time."""
    if stats.status == "optimal" and (stats.time_s or 0.0) < slice_s / 2:
        return min(2 * size, most)
    return size if stats.status == "optimal" else max(1, size // 2)


def _movable(bound: LagrangianBound) -> np.ndarray:
    """(n,) the activities with more than one region: the only ones the core may free."""
    return np.isfinite(bound.region_bound).sum(axis=1) > 1


def core_activities(bound: LagrangianBound, region: np.ndarray, size: int, noise: float,
                    rng: np.random.Generator) -> np.ndarray:
    """The ``size`` activities whose best other region's Lagrangian bound lies furthest above their own region's
    (``region``, 0/1/2 per activity), after Gumbel noise of scale ``noise``; never one without another region."""
    n = len(region)
    own = bound.region_bound[np.arange(n), region]
    others = bound.region_bound.copy()
    others[np.arange(n), region] = -np.inf
    score = others.max(axis=1) - own
    movable = np.flatnonzero(_movable(bound))
    if noise > 0:
        score = score + rng.gumbel(0.0, noise, n)
    size = min(size, len(movable))
    return movable[np.argsort(-score[movable], kind="stable")[:size]]


def improve(inst: Instance, delta: np.ndarray, *, formulation: str | Formulation = "hull", solver: str = "scip",
            time_limit: float = 300.0, slice_s: float = 30.0, k: int = 10, free_rules: int = 20,
            threads: int | None = None, seed: int = 0, fixed_away: np.ndarray | None = None,
            bound: LagrangianBound | None = None, core: int = 400,
            on_plan: Callable[[np.ndarray, float], None] | None = None,
            exchange: Callable[[], tuple[np.ndarray, float, np.ndarray] | None] | None = None,
            stop: Callable[[], bool] | None = None) -> Improvement:
    """Search neighbourhoods of the feasible plan ``delta`` for ``time_limit`` seconds in all.

    The neighbourhoods fix and count the formulation's region indicators; a formulation without them
    (the MINLP) is refused, naming those that have them. ``fixed_away`` (n × 3) are regions a bound ruled
    out (:mod:`mmo_pyomo.mix.lagrangian`): fixed to 0 in every neighbourhood. ``bound`` (the Lagrangian bound
    of ``inst``) adds the Lagrangian core of ``core`` activities to the neighbourhoods.

    Run beside a bound (:mod:`mmo_pyomo.mix.concurrent`): ``on_plan(delta, revenue)`` is called with every better
    checked plan; before each neighbourhood ``exchange()`` may return (a plan, its revenue, regions to fix away):
    the plan is taken if it earns at least as much, and the regions (those of the plan kept) stay fixed from then
    on; and ``stop()`` returning True ends the search."""
    began = time.perf_counter()
    time_limit = ranges.seconds(time_limit, "time_limit")
    slice_s = ranges.seconds(slice_s, "slice_s")
    k = ranges.whole(k, "k", 1)
    free_rules = min(ranges.whole(free_rules, "free_rules", 1), max(1, len(inst.rules)))
    core = ranges.whole(core, "core", 1)
    if bound is not None and bound.region_bound.shape != (inst.n, 3):
        raise MMOError(f"the Lagrangian bound prices {bound.region_bound.shape[0]} activities, and the instance has "
                       f"{inst.n}", "compute the bound for this instance (mmo_pyomo.mix.lagrangian.solve_dual)")
    core_most = max(1, int(_movable(bound).sum())) if bound is not None else 1
    core = min(core, core_most)
    rng = np.random.default_rng(ranges.seed(seed))
    form = get_formulation(formulation)
    if form.regions is None:
        raise MMOError(f"the improvement heuristic fixes region indicators, and the {form.name} formulation has none",
                       f"improve with one of {', '.join(region_formulations())} (--formulation), or drop --improve")
    options = SolveOptions(threads=threads)
    best = np.asarray(delta, float).copy()
    if best.shape != (inst.n,):
        raise MMOError(f"the start plan has shape {best.shape}, not one spend change per activity ({inst.n})",
                       "pass a plan's delta (new spend − baseline) in activity order")
    first = check_plan(inst, inst.baseline + best)
    if not first.feasible:
        raise MMOError("the improvement heuristic needs a feasible start, and this plan is not: " + first.summary(),
                       "start from a checked plan, e.g. --start chord")
    best_revenue = first.revenue
    run = ModelRun(inst, form, get_engine(solver))
    indicators = run.region_indicators()
    if fixed_away is not None:                 # regions a bound ruled out stay out of every neighbourhood
        run.fix_away(fixed_away)
    acts = list(inst.activities)
    rules_of = [np.flatnonzero(inst.rule_index == r) for r in range(len(inst.rules))]
    slices: list[dict[str, Any]] = []
    turns = Turns(WITH_CORE if bound is not None else NEIGHBOURHOODS)
    while True:
        left = time_limit - (time.perf_counter() - began)
        if left < 1.0 or (stop is not None and stop()):
            break
        got = exchange() if exchange is not None else None
        if got is not None:
            plan_in, revenue_in, more = got
            if revenue_in >= best_revenue:
                best, best_revenue = np.asarray(plan_in, float).copy(), float(revenue_in)
            run.fix_away(np.asarray(more, bool) & ~_held(best))
        region = _regions_of(best)
        run.start(best)
        kind = turns.next()
        fixed: list[pyo.Var] = []
        freed = np.zeros(inst.n, bool)
        picked = np.zeros(0, int)
        if kind == "local_branching":
            run.model.neighbourhood = pyo.Constraint(expr=sum(
                1 - indicators[region[i]][a] for i, a in enumerate(acts)) <= k)
        elif kind == "lagrangian_core":
            assert bound is not None
            noise = CORE_NOISE * max(bound.value - best_revenue, 1e-9 * max(abs(best_revenue), 1.0))
            freed[core_activities(bound, region, core, noise, rng)] = True
        else:
            picked = rng.choice(len(inst.rules), size=min(free_rules, len(inst.rules)), replace=False) \
                if len(inst.rules) else np.zeros(0, int)
            for r in picked:
                freed[inst.rule_activity[rules_of[r]]] = True
            if not freed.any():                                     # no rules: free a random block
                freed[rng.choice(inst.n, size=min(inst.n, 4 * k), replace=False)] = True
        if kind != "local_branching":                               # the freed activities' regions only
            fixed = run.fix_regions(best, np.flatnonzero(~freed))
        stats = run.solve(options.with_changes(time_limit=min(slice_s, left)), warm=True,
                          what=f"a {kind} neighbourhood")
        if kind == "local_branching":
            run.model.del_component("neighbourhood")
        run.unfix(fixed)
        record: dict[str, Any] = {"kind": kind, "status": str(stats.status), "time_s": stats.time_s,
                                  "k": k if kind == "local_branching" else None,
                                  "freed": None if kind == "local_branching" else int(freed.sum()),
                                  "rules": len(picked) if kind == "rule_groups" else None, "revenue": None}
        slices.append(record)
        gained = False
        if stats.has_solution:
            plan, check = run.checked_plan()
            record["revenue"] = check.revenue if check.feasible else None
            if check.feasible and check.revenue > best_revenue * (1 + 1e-12):
                best, best_revenue, gained = plan, check.revenue, True
                log.info("%s improved the plan to %.4f", kind, best_revenue)
                if on_plan is not None:
                    on_plan(best, best_revenue)
        record["gained"] = gained
        turns.record(kind, fruitless=not gained and stats.status != "optimal")
        log.debug("%s slice: %s in %.1f s (k=%s, rules=%s, freed=%s), revenue %s", kind, record["status"],
                  stats.time_s or 0.0, record["k"], record["rules"], record["freed"], record["revenue"])
        if kind == "rule_groups" and len(inst.rules):
            free_rules = _resized(free_rules, stats, slice_s, len(inst.rules))
        if kind == "lagrangian_core":
            core = _resized(core, stats, slice_s, core_most)
        if kind == "local_branching" and not gained:
            if stats.status == "optimal":
                if k >= inst.n:                                      # the whole space searched: proved optimal
                    break
                k = min(2 * k, inst.n)                               # nothing better within k: look further
            else:
                k = max(1, k // 2)                                   # too large to search in a slice: look closer
    return Improvement(best, best_revenue, first.revenue, time.perf_counter() - began, slices)
