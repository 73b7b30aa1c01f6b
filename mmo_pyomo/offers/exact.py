"""The exact method: a customer-level Lagrangian decomposition, certified, on any executor.

A proximal bundle method (:mod:`mmo_pyomo.offers.dual`) minimizes the Lagrangian dual of the coupling
rows (budget, ROI hurdle, channel capacities, offer minimums): every evaluation is an upper bound and
one pass over the customers, by partitions, on the executor (:mod:`mmo_pyomo.offers.executor`: this
process, a Dask cluster fed from here, or Dask workers that read their own customers). A repair makes
the subproblem's plan feasible; the method stops once the plan is certified within ``gap`` of the bound.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from mmo_pyomo import ranges
from mmo_pyomo.errors import DataError, MMOError, PlanCheckError
from mmo_pyomo.offers.coupling import Rows, coupling_rows, partition_oracle
from mmo_pyomo.offers.direct import DIRECT_UP_TO, FALLBACK_UP_TO, score_rows, solve_customer_mip
from mmo_pyomo.offers.dual import solve_dual
from mmo_pyomo.offers.executor import EXECUTORS, DaskPartitions, LocalPartitions, Partitions, PlanAt
from mmo_pyomo.offers.offer_plan import OfferResult
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.offers.warm import SAMPLE_FRACTION

#: Default target of the certified gap (bound − profit)/bound of the exact method.
DEFAULT_GAP = 1e-4


def solve_exact(data: OfferProblem | str | Path, *, executor: str = "local", scheduler: str | None = None,
                partition_size: int = 250_000, tol: float = 1e-7, max_iter: int = 400,
                lam0: np.ndarray | None = None, gap: float | None = DEFAULT_GAP, time_limit: float | None = None,
                warm_start: str = "none", sample_fraction: float = SAMPLE_FRACTION,
                algorithm: str = "auto") -> OfferResult:
    """The exact method on ``data`` (a campaign, or a campaign folder) with the executor ``executor``
    (``local``, ``dask`` or ``workers``; the last two need ``scheduler``, a Dask scheduler's address).

    Stops at convergence, at ``max_iter`` evaluations, at ``time_limit`` seconds, or as soon as the repaired
    plan is certified within ``gap`` of the bound (``gap=None``: run to convergence). ``info`` records
    ``evaluations`` (full passes over the customers) and ``oracle_pass_s`` (their median time).
    ``warm_start="sample"`` starts the multipliers from the duals of the LP on a random
    ``sample_fraction`` of the customers (:mod:`mmo_pyomo.offers.warm`) unless ``lam0`` is given; it needs
    the scores in this process, so the ``workers`` executor refuses it. ``result.problem`` is the campaign
    (without its scores on ``workers``).

    ``algorithm``: ``"auto"`` solves a small campaign in this process as one MIP (up to
    :data:`~mmo_pyomo.offers.direct.DIRECT_UP_TO` score rows, and where the Lagrangian method misses ``gap`` up to
    :data:`~mmo_pyomo.offers.direct.FALLBACK_UP_TO`); ``"lagrangian"`` always runs the Lagrangian method.
    ``result.info["algorithm"]`` says which ran.
    """
    if algorithm not in ("auto", "lagrangian"):
        raise MMOError(f"algorithm = {algorithm!r} is not 'auto' or 'lagrangian'", "use 'auto' or 'lagrangian'")
    t0 = time.perf_counter()
    partition_size, gap, time_limit = _checked_options(partition_size, gap, time_limit, max_iter)
    if warm_start not in ("none", "sample"):
        raise MMOError(f"warm_start = {warm_start!r} is not 'none' or 'sample'", "use warm_start='none' or 'sample'")
    sample_fraction = ranges.fraction(sample_fraction, "sample_fraction")
    parts = _executor(data, executor, scheduler, partition_size, warm_start)
    if algorithm == "auto" and executor == "local" and score_rows(parts.problem) <= DIRECT_UP_TO:
        parts.close()                       # a small bank: one MIP, proved (offers.direct)
        return solve_customer_mip(parts.problem, time_limit=time_limit)
    passes: list[float] = []
    warm_s = 0.0
    try:
        rows = coupling_rows(parts.problem)
        upper = dual_box(*parts.bounds())
        if lam0 is None and warm_start == "sample":
            from mmo_pyomo.offers.warm import sample_lp_multipliers
            lam0 = sample_lp_multipliers(parts.problem, rows, sample_fraction)
            warm_s = time.perf_counter() - t0
        evaluate = _lagrangian(parts, rows, passes)
        last: dict[str, Any] = {}

        def primal(lam: np.ndarray) -> float:
            last["lam"], last["plan"] = lam.copy(), parts.plan(rows, lam)
            check = last["plan"].check
            return check.profit if check.feasible else -np.inf
        dual = solve_dual(evaluate, rows.m, lam0=lam0, tol=tol, max_iter=max_iter, upper=upper, gap=gap,
                          primal=primal, time_limit=time_limit)
        plan: PlanAt = last["plan"] if "lam" in last and np.array_equal(last["lam"], dual.lam) \
            else parts.plan(rows, dual.lam)            # the plan certified at this centre, or the centre's own
        problem = parts.problem
        n_parts = len(getattr(parts, "parts", []))
        policy_report = getattr(parts, "policy_report", None)      # counted on the workers
    finally:
        parts.close()
    if not plan.check.feasible:
        raise PlanCheckError("the exact plan failed the checker: " + "; ".join(plan.check.violations[:3]),
                             "report the campaign; the plan was not written")
    info = dict(algorithm="Lagrangian", iterations=dual.iterations, evaluations=len(passes),
                oracle_pass_s=float(np.median(passes)),
                converged=dual.converged, stop_reason=dual.stop_reason, gap_target=gap, warm_start=warm_start,
                warm_start_s=warm_s, dual_s=dual.time_s, executor=executor, partitions=n_parts, lam=dual.lam)
    if policy_report is not None:
        info["policy_report"] = policy_report
    result = OfferResult("exact", plan.choice, plan.check, dual.bound, time.perf_counter() - t0,
                         dict(zip(rows.names, dual.lam.tolist())), info,
                         plan.chosen if executor == "workers" else None, problem)
    return _closed_by_mip(result, executor, gap, time_limit, t0) if algorithm == "auto" else result


def _closed_by_mip(result: OfferResult, executor: str, gap: float | None, time_limit: float | None,
                   t0: float) -> OfferResult:
    """The customer-level MIP's result where the Lagrangian method missed ``gap`` on a campaign small enough
    (:data:`~mmo_pyomo.offers.direct.FALLBACK_UP_TO`) and time remains; ``result`` otherwise."""
    missed = gap is not None and (result.bound_gap is None or result.bound_gap > gap)
    prob = result.problem
    if not missed or executor != "local" or prob is None or score_rows(prob) > FALLBACK_UP_TO:
        return result
    left = None if time_limit is None else time_limit - (time.perf_counter() - t0)
    if left is not None and left <= 0:
        return result
    closed = solve_customer_mip(prob, time_limit=left)
    if closed.bound_gap is None or (result.bound_gap is not None and closed.bound_gap >= result.bound_gap):
        return result
    closed.info["lagrangian_gap"] = result.bound_gap
    closed.time_s = time.perf_counter() - t0
    return closed


def _executor(data: OfferProblem | str | Path, executor: str, scheduler: str | None, partition_size: int,
              warm_start: str) -> Partitions:
    """The executor ``executor`` on ``data``, or the project's error for a combination it cannot take."""
    if executor not in EXECUTORS:
        raise MMOError(f"executor = {executor!r} is not one of {', '.join(EXECUTORS)}",
                       "use 'local', 'dask' (the data sent from here) or 'workers' (the workers read them)")
    if executor != "local" and not scheduler:
        raise MMOError(f"the {executor} executor needs a Dask scheduler", "pass scheduler='tcp://HOST:8786'")
    if executor == "workers":
        if isinstance(data, OfferProblem):
            raise MMOError("the workers executor reads the campaign folder on the workers, and was given a campaign "
                           "in memory", "pass the folder, or use executor='dask' to send the campaign from here")
        if warm_start == "sample":
            raise MMOError("--warm-start sample solves an LP on a sample of the scores in this process, and with "
                           "--scheduler the workers hold the scores", "drop --warm-start, or run without --scheduler")
        from mmo_pyomo.offers.partitioned import WorkerPartitions
        from mmo_pyomo.offers.problem import load_campaign
        shell, path = load_campaign(data)
        if path.suffix != ".parquet":
            raise DataError(f"workers read Parquet scores, not '{path.name}'", "write the scores as scores.parquet")
        return WorkerPartitions(shell, path, partition_size, str(scheduler))
    if not isinstance(data, OfferProblem):
        from mmo_pyomo.offers.problem import load_problem
        data = load_problem(data)
    if executor == "dask":
        return DaskPartitions(data, partition_size, str(scheduler))
    return LocalPartitions(data, partition_size)


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


def _lagrangian(parts: Partitions, rows: Rows, passes: list[float]) -> Callable[[np.ndarray], tuple[float, np.ndarray]]:
    """λ ↦ (L(λ), a subgradient): one map over the partitions (``parts.map``), timed into ``passes``."""
    def evaluate(lam: np.ndarray) -> tuple[float, np.ndarray]:
        t = time.perf_counter()
        pieces = parts.map(_oracle, rows, lam)
        value = sum(p.value for p in pieces) + float(lam @ rows.rhs)
        activity = np.sum([p.activity for p in pieces], axis=0)
        passes.append(time.perf_counter() - t)
        return value, rows.rhs - activity
    return evaluate


def _oracle(part: OfferProblem, rows: Rows, lam: np.ndarray) -> Any:
    return partition_oracle(part, rows, lam, slice(0, part.n_customers))
