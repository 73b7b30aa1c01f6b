"""The three methods: ``exact`` (Lagrangian, certified), ``cluster`` (the paper's) and ``greedy`` (ad hoc)."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmo_pyomo import ranges
from mmo_pyomo.errors import MMOError, PlanCheckError
from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.coupling import Rows, coupling_rows, partition_oracle, reduced_profit_terms
from mmo_pyomo.offers.dual import solve_dual
from mmo_pyomo.offers.executor import DaskPartitions, LocalPartitions
from mmo_pyomo.offers.offer_check import OfferCheck, check_offer_plan, check_totals, chosen_values
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.offers.repair import LocalPieces, Piece, Score, repair
from mmo_pyomo.solvers.stats import bound_gap

log = logging.getLogger(__name__)


@dataclass
class OfferResult:
    """A checked plan, its bound and its constraint report."""

    method: str
    choice: np.ndarray
    check: OfferCheck
    bound: float | None
    time_s: float
    marginal_values: dict[str, float] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    #: (customer positions with an offer, their profit, their cost), when the scores are not in
    #: this process (the exact method on Dask workers); else computed from the problem.
    chosen: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def values(self, prob: OfferProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(customer positions with an offer, their profit, their cost)."""
        return self.chosen if self.chosen is not None else chosen_values(prob, self.choice)

    @property
    def bound_gap(self) -> float | None:
        """(bound − profit) / |bound| (:func:`~mmo_pyomo.solvers.stats.bound_gap`): certified when the
        bound comes from the Lagrangian dual."""
        return bound_gap(self.check.profit, self.bound)


def _best_options(prob: OfferProblem, rows: Rows, lam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's option of highest reduced profit, and that reduced profit (one compiled pass)."""
    n = prob.n_customers
    a, b, shift = reduced_profit_terms(prob, rows, lam)
    choice = np.empty(n, np.int64)
    best = np.empty(n, np.float64)
    kernels.best_options(prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), prob.eligible.reshape(n, -1), a, b, shift,
                         choice, best)
    return choice, best


def exact_piece(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray | None = None) -> Piece:
    """The customers of ``prob`` ready for the repair at ``lam``: scored by reduced profit, filled
    with their best option, starting from ``choice`` (default: the Lagrangian subproblem's plan)."""
    option, best = _best_options(prob, rows, lam)
    if choice is None:
        choice = np.where(best > 0, option, -1)
    return Piece(prob, choice, Score(*reduced_profit_terms(prob, rows, lam)),
                 np.where(np.isfinite(best), option, -1), best)


def repair_plan(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray | None = None) -> np.ndarray:
    """Make ``choice`` (default: the Lagrangian subproblem's plan at ``lam``) feasible, losing as
    little reduced profit at ``lam`` as possible."""
    pieces = LocalPieces([exact_piece(prob, rows, lam, choice)])
    repair(pieces, prob)
    return pieces.pieces[0].choice


def _finish(method: str, prob: OfferProblem, choice: np.ndarray, bound, t0: float, mv=None, **info) -> OfferResult:
    check = check_offer_plan(prob, choice)
    if not check.feasible:
        raise PlanCheckError(f"the {method} plan failed the checker: " + "; ".join(check.violations[:3]),
                             "report the campaign; the plan was not written")
    return OfferResult(method, choice, check, bound, time.perf_counter() - t0, mv, info)


#: Default target of the certified gap (bound − profit)/bound of the exact method.
DEFAULT_GAP = 1e-4


def solve_exact(prob: OfferProblem, *, partition_size: int = 250_000, scheduler: str | None = None,
                tol: float = 1e-7, max_iter: int = 400, lam0: np.ndarray | None = None,
                gap: float | None = DEFAULT_GAP, time_limit: float | None = None,
                warm_start: str = "none", sample_fraction: float = 0.01) -> OfferResult:
    """Customer-level Lagrangian decomposition: bound, marginal values and a repaired plan.

    Stops at convergence, at ``max_iter`` evaluations, at ``time_limit`` seconds, or as soon as
    the repaired plan is certified within ``gap`` of the bound (``gap=None``: run to convergence).
    ``info`` records ``evaluations`` (full passes over the customers) and ``oracle_pass_s`` (their
    median time). ``warm_start="sample"`` starts the multipliers from the duals of the LP on a
    random ``sample_fraction`` of the customers (:mod:`mmo_pyomo.offers.warm`) unless ``lam0`` is given.
    """
    t0 = time.perf_counter()
    partition_size, gap, time_limit = _checked_options(partition_size, gap, time_limit, max_iter)
    if warm_start not in ("none", "sample"):
        raise MMOError(f"warm_start = {warm_start!r} is not 'none' or 'sample'", "use warm_start='none' or 'sample'")
    rows = coupling_rows(prob)
    warm_s = 0.0
    if lam0 is None and warm_start == "sample":
        from mmo_pyomo.offers.warm import sample_lp_multipliers
        lam0 = sample_lp_multipliers(prob, rows, sample_fraction)
        warm_s = time.perf_counter() - t0
    parts = DaskPartitions(prob, partition_size, scheduler) if scheduler else LocalPartitions(prob, partition_size)
    passes: list[float] = []
    try:
        evaluate = _lagrangian(parts, rows, passes)

        last: dict[str, np.ndarray] = {}

        def primal(lam: np.ndarray) -> float:
            last["lam"], last["choice"] = lam.copy(), _plan_from(prob, rows, lam)
            check = check_offer_plan(prob, last["choice"])
            return check.profit if check.feasible else -np.inf
        upper = dual_box(float(prob.profit.max(initial=0.0)),
                         float(kernels.min_allowed_cost(prob.cost.reshape(-1), prob.eligible.reshape(-1), True)))
        dual = solve_dual(evaluate, rows.m, lam0=lam0, tol=tol, max_iter=max_iter, upper=upper, gap=gap,
                          primal=primal, time_limit=time_limit)
    finally:
        parts.close()
    if "lam" in last and np.array_equal(last["lam"], dual.lam):
        choice = last["choice"]                    # the plan certified at this centre
    else:
        choice = _plan_from(prob, rows, dual.lam)
    return _finish("exact", prob, choice, dual.bound, t0, dict(zip(rows.names, dual.lam.tolist())),
                   iterations=dual.iterations, evaluations=len(passes), oracle_pass_s=float(np.median(passes)),
                   converged=dual.converged, stop_reason=dual.stop_reason, gap_target=gap, warm_start=warm_start,
                   warm_start_s=warm_s, lam=dual.lam)


def solve_exact_on_workers(folder: str, scheduler: str, *, partition_size: int = 250_000, tol: float = 1e-7,
                           max_iter: int = 400, gap: float | None = DEFAULT_GAP,
                           time_limit: float | None = None) -> tuple[OfferProblem, OfferResult]:
    """The exact method with the scores on the workers of a Dask cluster (:mod:`mmo_pyomo.offers.partitioned`).

    Each worker reads and keeps its customer range; the driver holds only multipliers and row
    activities while the dual runs. The repair runs on the workers too (:meth:`WorkerPartitions.repair`)
    and gives the plan that one process would; only candidate arrays and plans come back, so the
    method stops at the same ``gap`` as :func:`solve_exact`. Returns the campaign (without its
    scores) and the result.
    """
    from mmo_pyomo.offers.partitioned import WorkerPartitions
    from mmo_pyomo.offers.problem import load_campaign
    partition_size, gap, time_limit = _checked_options(partition_size, gap, time_limit, max_iter)

    t0 = time.perf_counter()
    shell, path = load_campaign(folder)
    if path.suffix != ".parquet":
        from mmo_pyomo.errors import DataError
        raise DataError(f"workers read Parquet scores, not '{path.name}'", "write the scores as scores.parquet")
    rows = coupling_rows(shell)
    parts = WorkerPartitions(shell, path, partition_size, scheduler)
    passes: list[float] = []
    try:
        profit_max, cost_min = parts.check_feasible()

        evaluate = _lagrangian(parts, rows, passes)
        last: dict[str, Any] = {}

        def primal(lam: np.ndarray) -> float:
            last["lam"], last["plan"] = lam.copy(), parts.repair(rows, lam)
            view, choice, (idx, p, c) = last["plan"]
            check = check_totals(view, choice[idx], p, c)
            return check.profit if check.feasible else -np.inf
        upper = dual_box(profit_max, cost_min)
        dual = solve_dual(evaluate, rows.m, tol=tol, max_iter=max_iter, upper=upper, gap=gap, primal=primal,
                          time_limit=time_limit)
        if "lam" in last and np.array_equal(last["lam"], dual.lam):
            prob, choice, chosen = last["plan"]             # the plan certified at this centre
        else:
            prob, choice, chosen = parts.repair(rows, dual.lam)
        n_parts = len(parts.ranges)
    finally:
        parts.close()
    info = dict(iterations=dual.iterations, evaluations=len(passes), oracle_pass_s=float(np.median(passes)),
                converged=dual.converged, stop_reason=dual.stop_reason, gap_target=gap, partitions=n_parts,
                lam=dual.lam)
    mv = dict(zip(rows.names, dual.lam.tolist()))
    check = check_totals(prob, choice[chosen[0]], chosen[1], chosen[2])
    if not check.feasible:
        raise PlanCheckError("the exact plan failed the checker: " + "; ".join(check.violations[:3]),
                             "report the campaign; the plan was not written")
    return prob, OfferResult("exact", choice, check, dual.bound, time.perf_counter() - t0, mv, info, chosen)


def _checked_options(partition_size: object, gap: object, time_limit: object,
                     max_iter: object) -> tuple[int, float | None, float | None]:
    """The exact method's options, range-checked (a clear error instead of a silent default)."""
    ranges.whole(max_iter, "max_iter", 1)
    return (ranges.whole(partition_size, "partition_size", 1), ranges.optional(ranges.relative_gap, gap, "gap"),
            ranges.optional(ranges.seconds, time_limit, "time_limit"))


def dual_box(profit_max: float, cost_min: float) -> float:
    """An upper bound on every optimal multiplier (the dual's box): no multiplier can exceed the
    best profit per unit of any row. ``cost_min`` is the smallest positive cost (inf if none)."""
    return 10 * (profit_max + 1) * (1 + 1 / (cost_min if np.isfinite(cost_min) else 1.0))


def _lagrangian(parts: Any, rows: Rows, passes: list[float]) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """λ ↦ (L(λ), a subgradient): one map over the partitions (``parts.map``), timed into ``passes``."""
    def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray]:
        t = time.perf_counter()
        pieces = parts.map(_oracle, rows, lam)
        value = sum(p.value for p in pieces) + float(lam @ rows.rhs)
        activity = np.sum([p.activity for p in pieces], axis=0)
        passes.append(time.perf_counter() - t)
        return value, rows.rhs - activity
    return evaluate


def _plan_from(prob: OfferProblem, rows: Rows, lam: np.ndarray) -> np.ndarray:
    """The Lagrangian subproblem's plan at ``lam``, repaired to a feasible plan."""
    return repair_plan(prob, rows, lam)


def _oracle(part: OfferProblem, rows: Rows, lam: np.ndarray):
    return partition_oracle(part, rows, lam, slice(0, part.n_customers))


def solve_greedy(prob: OfferProblem) -> OfferResult:
    """The paper's ad-hoc rule: each customer's best expected-profit offer, best customers first,
    until the budget runs out; offer minimums are served first, as far as a greedy rule can."""
    t0 = time.perf_counter()
    n = prob.n_customers
    P = np.where(prob.eligible, prob.profit, -np.inf).reshape(n, -1)
    best_opt = P.argmax(axis=1)
    best_val = P[np.arange(n), best_opt].astype(np.float64)
    best_opt = np.where(np.isfinite(best_val), best_opt, -1)
    margin = Score(1.0, 1.0, np.zeros(len(prob.offers) * len(prob.channels)))     # profit − cost
    pieces = LocalPieces([Piece(prob, np.full(n, -1, np.int64), margin, best_opt, best_val)])
    repair(pieces, prob, budget_step=False, fill_limit=n)
    choice = pieces.pieces[0].choice
    return _finish("greedy", prob, choice, None, t0)
