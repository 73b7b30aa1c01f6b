"""The three methods: ``exact`` (Lagrangian, certified), ``cluster`` (the paper's) and ``greedy`` (ad hoc)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmo_pyomo.errors import PlanCheckError
from mmo_pyomo.offers.coupling import Rows, coupling_rows, partition_oracle, reduced_profit
from mmo_pyomo.offers.dual import solve_dual
from mmo_pyomo.offers.executor import DaskPartitions, LocalPartitions
from mmo_pyomo.offers.plan import OfferCheck, check_offer_plan
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.offers.repair import current_scores, enforce_budget_and_hurdle, enforce_capacities, fill, meet_minimums
from mmo_pyomo.solvers.stats import bound_gap


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

    @property
    def bound_gap(self) -> float | None:
        """(bound − profit) / |bound| (:func:`~mmo_pyomo.solvers.stats.bound_gap`): certified when the
        bound comes from the Lagrangian dual."""
        return bound_gap(self.check.profit, self.bound)


def _score_fn(prob: OfferProblem, rows: Rows, lam: np.ndarray):
    """score(j) → (n, K) reduced profit of offer j (−inf where not allowed)."""
    lb, lh, mu, nu = rows.split(lam)
    K = len(prob.channels)
    shift = np.zeros(K, np.float32)
    shift[rows.cap_channels] -= mu.astype(np.float32)

    def score(j: int) -> np.ndarray:
        bonus = nu[list(rows.min_offers).index(j)] if j in rows.min_offers else 0.0
        s = (1 + lh) * prob.profit[:, j, :] - (lb + lh * (1 + rows.hurdle)) * prob.cost[:, j, :] + shift + bonus
        return np.where(prob.eligible[:, j, :], s, np.float32(-np.inf))
    return score


def _best_options(prob: OfferProblem, rows: Rows, lam: np.ndarray, chunk: int = 250_000) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's option of highest reduced profit, and that reduced profit."""
    n = prob.n_customers
    choice = np.empty(n, np.int64)
    best = np.empty(n, np.float64)
    for part in prob.partitions(chunk):
        red = reduced_profit(prob, rows, lam, part).reshape(part.stop - part.start, -1)
        choice[part] = red.argmax(axis=1)
        best[part] = red[np.arange(len(red)), choice[part]]
    return choice, best


def repair_plan(prob: OfferProblem, rows: Rows, lam: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """Make ``choice`` feasible, losing as little reduced profit (at ``lam``) as possible."""
    score_fn = _score_fn(prob, rows, lam)
    choice = meet_minimums(prob, choice, score_fn)
    score = current_scores(prob, choice, score_fn)
    choice = enforce_capacities(prob, choice, score)
    choice = enforce_budget_and_hurdle(prob, choice, score)
    best_opt, best_val = _best_options(prob, rows, lam)
    best_opt = np.where(np.isfinite(best_val), best_opt, -1)
    return fill(prob, choice, best_opt, best_val)


def _finish(method: str, prob: OfferProblem, choice: np.ndarray, bound, t0: float, mv=None, **info) -> OfferResult:
    check = check_offer_plan(prob, choice)
    if not check.feasible:
        raise PlanCheckError(f"the {method} plan failed the checker: " + "; ".join(check.violations[:3]),
                             "report the campaign; the plan was not written")
    return OfferResult(method, choice, check, bound, time.perf_counter() - t0, mv, info)


def solve_exact(prob: OfferProblem, *, partition_size: int = 250_000, scheduler: str | None = None,
                tol: float = 1e-7, max_iter: int = 400, lam0: np.ndarray | None = None) -> OfferResult:
    """Customer-level Lagrangian decomposition: bound, marginal values and a repaired plan."""
    t0 = time.perf_counter()
    rows = coupling_rows(prob)
    parts = DaskPartitions(prob, partition_size, scheduler) if scheduler else LocalPartitions(prob, partition_size)
    try:
        def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray]:
            pieces = parts.map(_oracle, rows, lam)
            value = sum(p.value for p in pieces) + float(lam @ rows.rhs)
            activity = np.sum([p.activity for p in pieces], axis=0)
            return value, rows.rhs - activity
        # no multiplier can exceed the best profit per unit of any row: a safe box for the master
        positive = prob.cost[prob.eligible & (prob.cost > 0)]
        upper = 10 * (float(prob.profit.max()) + 1) * (1 + 1 / (float(positive.min()) if positive.size else 1.0))
        dual = solve_dual(evaluate, rows.m, lam0=lam0, tol=tol, max_iter=max_iter, upper=upper)
    finally:
        parts.close()
    choice, best = _best_options(prob, rows, dual.lam)
    choice = np.where(best > 0, choice, -1)
    choice = repair_plan(prob, rows, dual.lam, choice)
    return _finish("exact", prob, choice, dual.bound, t0, dict(zip(rows.names, dual.lam.tolist())),
                   iterations=dual.iterations, converged=dual.converged, stop_reason=dual.stop_reason,
                   lam=dual.lam)


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
    choice = np.full(n, -1, np.int64)
    score_fn = lambda j: np.where(prob.eligible[:, j, :], prob.profit[:, j, :] - prob.cost[:, j, :], -np.inf)
    choice = meet_minimums(prob, choice, score_fn)
    choice = enforce_capacities(prob, choice, current_scores(prob, choice, score_fn))
    choice = fill(prob, choice, best_opt, best_val, limit=n)
    return _finish("greedy", prob, choice, None, t0)
