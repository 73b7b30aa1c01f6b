"""A feasible starting plan from a linear model: the chord heuristic.

On large cases with many group rules (the §4.3-like retail case: 3,000 activities, 2,630
rules, budget at 90% of the baseline) SCIP's own primal heuristics found no feasible plan in
240 s for the MISOCP or the hull. The baseline itself is infeasible there (the budget cuts
spend), so a start must be searched for. This module finds one in two steps:

1. **Chord MILP.** The MIQP's constraints (regions, budget, rules, cardinality) with the
   concave revenue of each region replaced by its chord. On R⁻ = [L⁻, U⁻] the chord of
   a·δ² + b·δ is (a(L⁻ + U⁻) + b)·δ⁻ − a·L⁻·U⁻·z⁻ (likewise on R⁺); it is exact at both ends
   of the region and below the curve inside, so the MILP's plans are feasible and their
   chord value under-estimates their revenue. Any MILP engine solves it (HiGHS, SCIP, …).
2. **Polish.** Regions fixed as the MILP chose them, the true concave revenue is maximized
   over the remaining continuous spend changes (a convex QP).

When the chord MILP finds no plan in its time (few changes allowed: on the planned retail case at K = 300 it found
none in 60 s), :func:`fewest_changes` answers the prior question: the smallest number of changes any plan needs
(the same constraints, with K relaxed, minimizing the changes), with a plan that has that many; every K below that
number admits no plan, a certified answer.

The result is a plan to pass as ``start=`` to :func:`mmo_pyomo.mix.runner.solve`; the engine
then only has to improve it and close the gap.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmo_pyomo import ranges
from mmo_pyomo.errors import InfeasibleInstanceError, LicenceLimitError, NoSolutionError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.checker import PlanCheck, check_plan
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.model_library import get_formulation
from mmo_pyomo.model_library.objectives import changes_objective, chord_objective
from mmo_pyomo.solvers import deadline
from mmo_pyomo.solvers.capabilities import Capability
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import get_engine
from mmo_pyomo.solvers.stats import SolveStats, Status


class NoStartFound(NoSolutionError):
    """The chord MILP ended (out of time) with no plan, which proves nothing: a caller may start otherwise."""


#: Relative gap at which the chord MILP stops: its objective is only a surrogate.
CHORD_GAP = 1e-2


@dataclass
class StartPlan:
    """A feasible plan found by :func:`chord_start`, with what each step took."""

    delta: np.ndarray          # spend change per activity
    revenue: float             # true revenue of the polished plan
    chord_revenue: float       # true revenue of the chord MILP's plan, before polishing
    n_changes: int
    milp_time_s: float
    polish_time_s: float


def chord_coefficients(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Slopes and intercepts of the chords on R⁻ and R⁺: (slope⁻, intercept⁻, slope⁺, intercept⁺).

    The chord of the revenue change g(δ) = r(δ) − r(0) through (L, g(L)) and (U, g(U)); for the
    quadratic that is slope a(L + U) + b and intercept −a·L·U. For a response curve concave over
    the allowed spend the chord is again below the curve. A region of zero width gets the slope at
    its point.
    """
    r = inst.regions
    base = inst.revenue(np.zeros(inst.n))
    out = []
    for lo, hi in ((r.dec_lower, r.dec_upper), (r.inc_lower, r.inc_upper)):
        g_lo, g_hi = inst.revenue(lo) - base, inst.revenue(hi) - base
        width = hi - lo
        slope = np.where(width > 0, (g_hi - g_lo) / np.where(width > 0, width, 1.0), inst.revenue_slope(lo))
        out += [slope, g_lo - slope * lo]
    return out[0], out[1], out[2], out[3]


#: What the chord MILP and the polish QP need of an engine.
MILP_NEEDS = frozenset({Capability.LINEAR, Capability.INTEGER})
QP_NEEDS = frozenset({Capability.LINEAR, Capability.CONVEX_QP_OBJECTIVE})


def limits(time_limit: float | None, options: SolveOptions | None) -> SolveOptions:
    """The options of a helper's solves: ``options`` (a deadline, from :func:`mmo_pyomo.solvers.deadline.step`),
    its clock started, with ``time_limit`` s at most for all of them."""
    time_limit = ranges.optional(ranges.seconds, time_limit, "time_limit")
    base = options if options is not None else SolveOptions()
    if time_limit is not None:
        base = base.with_changes(time_limit=time_limit if base.time_limit is None else min(time_limit, base.time_limit))
    return deadline.started(base)


def _run(run: ModelRun, kind: str, options: SolveOptions, gap: float) -> SolveStats:
    """Solve ``run``, a MILP (``kind="milp"``) or a convex QP (``"qp"``), within ``options``'s deadline; engine
    failures and licence limits become errors that name the cause and the fix, and an interrupt raises
    :class:`~mmo_pyomo.errors.SolveInterrupted`."""
    what = f"the chord heuristic's {kind.upper()}"
    try:
        stats = run.solve(options.with_changes(mip_gap=gap), what=what)
    except LicenceLimitError as exc:
        raise LicenceLimitError(exc.cause, "use a full licence, or the default engine (--start-solver scip)") \
            from None
    if stats.status == Status.ERROR:
        raise NoSolutionError(f"{run.engine.label} failed on {what}: {stats.message}",
                              "use another engine (--start-solver scip)")
    return stats


def _miqp_run(inst: Instance, solver: str, **kwargs: Any) -> ModelRun:
    """The MIQP's model of ``inst`` for ``solver`` (the chord MILP and the polish QP are built on it)."""
    try:
        return ModelRun(inst, get_formulation("miqp"), get_engine(solver), **kwargs)
    except LicenceLimitError as exc:
        raise LicenceLimitError(exc.cause, "use a full licence, or the default engine (--start-solver scip)") \
            from None


def polish(inst: Instance, delta: np.ndarray, qp_solver: str = "scip", time_limit: float | None = 60.0,
           *, options: SolveOptions | None = None) -> tuple[np.ndarray, PlanCheck]:
    """The plan ``delta`` re-optimized within its own regions: each activity keeps its region (decrease,
    none, increase) and the true concave revenue is maximized over the spend changes, a convex QP on
    ``qp_solver``, in ``time_limit`` s at most and within ``options``'s deadline (:func:`limits`). Returns the better
    of the two plans by the checker (``delta`` itself if the QP finds nothing better) and its check."""
    start = check_plan(inst, inst.baseline + delta)
    run = _miqp_run(inst, qp_solver, relaxed=True, needs=QP_NEEDS)   # a continuous QP for any QP engine
    run.fix_regions(delta)
    stats = _run(run, "qp", limits(time_limit, options), 1e-6)
    if stats.has_solution:
        candidate, check = run.checked_plan()
        if check.feasible and (not start.feasible or check.revenue >= start.revenue):
            return candidate, check
    return np.asarray(delta, float), start


def chord_start(inst: Instance, milp_solver: str = "scip", qp_solver: str = "scip",
                time_limit: float | None = 60.0, *, options: SolveOptions | None = None) -> StartPlan:
    """A feasible plan: the chord MILP's plan (``milp_solver``), polished by a convex QP with its regions fixed
    (``qp_solver``); both in ``time_limit`` s at most and within ``options``'s deadline (:func:`limits`), the
    polish with at least :data:`~mmo_pyomo.solvers.deadline.MIN_STEP_S` s.

    Raises :class:`InfeasibleInstanceError` when no plan exists and :class:`NoSolutionError`
    when the MILP finds none in time.
    """
    opts = limits(time_limit, options)
    run = _miqp_run(inst, milp_solver, objective=chord_objective(chord_coefficients), needs=MILP_NEEDS)
    t0 = time.perf_counter()
    stats = _run(run, "milp", opts, CHORD_GAP)
    milp_time = time.perf_counter() - t0
    if stats.status == "infeasible":
        raise InfeasibleInstanceError(
            "no plan meets the budget, the group rules, the minimum changes and K together "
            "(the chord MILP, which has exactly the MIQP's constraints, is infeasible)",
            "relax the budget or the group rules, or allow more changes (max_changes)")
    if not stats.has_solution:
        raise NoStartFound(f"the chord MILP found no feasible plan ({stats.status} after {milp_time:.0f} s)",
                           "give it a longer time limit, or check that the budget and rules can be met")
    chord_plan, chord_check = run.checked_plan()
    t1 = time.perf_counter()
    plan, final = polish(inst, chord_plan, qp_solver, None, options=deadline.step(opts, 1.0, None))
    polish_time = time.perf_counter() - t1
    if not final.feasible:   # the MILP engine's plan failed the checker: do not hand it on
        raise NoSolutionError("the chord heuristic's plan failed the checker: " + final.summary(),
                              "solve without a start")
    return StartPlan(delta=plan, revenue=final.revenue, chord_revenue=chord_check.revenue,
                     n_changes=final.n_changes, milp_time_s=milp_time, polish_time_s=polish_time)


@dataclass
class FewestChanges:
    """The fewest changes any plan needs (:func:`fewest_changes`)."""

    lower_bound: int           # no plan meets the rules with fewer changes (proved by the MILP's bound)
    delta: np.ndarray | None   # a feasible plan with the fewest changes found, polished (None if none found)
    n_changes: int | None      # its number of changes
    revenue: float | None      # its true revenue
    time_s: float

    @property
    def proved(self) -> bool:
        """Whether the plan's number of changes is the smallest possible."""
        return self.n_changes is not None and self.n_changes <= self.lower_bound


def fewest_changes(inst: Instance, milp_solver: str = "scip", qp_solver: str = "scip",
                   time_limit: float | None = 120.0, *, options: SolveOptions | None = None) -> FewestChanges:
    """The smallest number of changes a plan needs under the budget, the group rules and the minimum changes, with
    such a plan: the chord MILP's constraints with K relaxed to n, minimizing the changes (``milp_solver``, at most
    ``time_limit`` s, and within ``options``'s deadline), the plan then polished within its regions (``qp_solver``).
    Every K below ``lower_bound`` admits no plan; the plan is feasible for every K from its ``n_changes`` on.

    Raises :class:`InfeasibleInstanceError` when no plan exists with any number of changes.
    """
    opts = limits(time_limit, options)
    free = inst.with_changes(max_changes=inst.n)
    run = _miqp_run(free, milp_solver, objective=changes_objective, needs=MILP_NEEDS)
    t0 = time.perf_counter()
    stats = _run(run, "milp", opts, 0.0)
    if stats.status == "infeasible":
        raise InfeasibleInstanceError(
            "no plan meets the budget, the group rules and the minimum changes, with any number of changes",
            "relax the budget or the group rules")
    # the engine's bound on −(changes), which the runner reported in revenue units (×R, the objective's unit): a
    # count, so its ceiling, less a tolerance for the engine's rounding
    bound = stats.bound / free.units.revenue if stats.bound is not None and np.isfinite(stats.bound) else 0.0
    lower = max(int(np.ceil(-bound - 1e-6)), 0)
    delta, check = run.checked_plan() if stats.has_solution else (None, None)
    if delta is None or check is None or not check.feasible:
        return FewestChanges(lower, None, None, None, time.perf_counter() - t0)
    delta, check = polish(free, delta, qp_solver, None, options=deadline.step(opts, 1.0, None))
    return FewestChanges(lower, delta, check.n_changes, check.revenue, time.perf_counter() - t0)
