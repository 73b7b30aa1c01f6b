"""Where the exact method's passes over the customers run: the executors, one interface.

An executor holds the customers in partitions and offers what the exact method needs of them:

* ``map(func, *args)``: ``func(partition, *args)`` on every partition, the results in order;
* ``bounds()``: the campaign checked for feasibility, and (largest profit, smallest positive cost),
  which bound the dual's box;
* ``plan(rows, lam)``: the repaired plan at the multipliers ``lam`` with the checker's verdict;
* ``close()``; ``problem``: the campaign (without its scores when the workers hold them).

Three executors, chosen by name in :func:`mmo_pyomo.offers.exact.solve_exact`:

* ``local`` (:class:`LocalPartitions`): this process, a small thread pool (NumPy releases the GIL);
* ``dask`` (:class:`DaskPartitions`): the partitions scattered once from this process to a Dask
  cluster's workers, each map one round trip;
* ``workers`` (:class:`mmo_pyomo.offers.partitioned.WorkerPartitions`): the workers read and keep
  their own customer ranges of ``scores.parquet``; this process never holds the scores.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.coupling import Rows
from mmo_pyomo.offers.offer_plan import OfferCheck, check_offer_plan, chosen_values
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.offers.repair import repair_plan

#: The executors by name.
EXECUTORS = ("local", "dask", "workers")


@dataclass
class PlanAt:
    """The repaired plan at some multipliers: the choice, (positions, profit, cost) of the chosen options,
    and the checker's verdict."""

    choice: np.ndarray
    chosen: tuple[np.ndarray, np.ndarray, np.ndarray]
    check: OfferCheck


class Partitions(Protocol):
    """What an executor offers the exact method (see the module docstring)."""

    problem: OfferProblem

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]: ...

    def bounds(self) -> tuple[float, float]: ...

    def plan(self, rows: Rows, lam: np.ndarray) -> PlanAt: ...

    def close(self) -> None: ...


def sub_problem(prob: OfferProblem, part: slice) -> OfferProblem:
    """The customers of ``part`` as a problem of their own (views, no copy)."""
    return OfferProblem(prob.customer_ids[part], prob.offers, prob.channels, prob.profit[part], prob.cost[part],
                        prob.eligible[part], prob.min_offers, prob.capacity, prob.budget, prob.hurdle_rate, prob.name,
                        policy=None if prob.policy is None else prob.policy.part(part))


class _OnTheDriver:
    """The campaign with its scores in this process: bounds and plans are computed here."""

    problem: OfferProblem

    def bounds(self) -> tuple[float, float]:
        prob = self.problem
        return float(prob.profit.max(initial=0.0)), \
            float(kernels.min_allowed_cost(prob.cost.reshape(-1), prob.eligible.reshape(-1), True))

    def plan(self, rows: Rows, lam: np.ndarray) -> PlanAt:
        choice = repair_plan(self.problem, rows, lam)
        return PlanAt(choice, chosen_values(self.problem, choice), check_offer_plan(self.problem, choice))


class LocalPartitions(_OnTheDriver):
    """Partitions held in this process; each map runs on a small thread pool (NumPy releases the GIL)."""

    def __init__(self, prob: OfferProblem, partition_size: int, threads: int = 2) -> None:
        self.problem = prob
        self.parts = [sub_problem(prob, p) for p in prob.partitions(partition_size)]
        self.pool = ThreadPoolExecutor(max_workers=threads)

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        return list(self.pool.map(lambda part: func(part, *args), self.parts))

    def close(self) -> None:
        self.pool.shutdown()


class DaskPartitions(_OnTheDriver):
    """Partitions scattered once from this process to the workers of a Dask cluster; each map is one round trip."""

    def __init__(self, prob: OfferProblem, partition_size: int, scheduler: str) -> None:
        from mmo_pyomo.scheduler import connect
        self.problem = prob
        self.client = connect(scheduler)
        self.parts = self.client.scatter([sub_problem(prob, p) for p in prob.partitions(partition_size)])

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        futures = [self.client.submit(func, part, *args, pure=False) for part in self.parts]
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()
