"""Map-reduce over customer partitions: in this process (threads), or on a Dask cluster."""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from mmo_pyomo.offers.problem import OfferProblem


def sub_problem(prob: OfferProblem, part: slice) -> OfferProblem:
    """The customers of ``part`` as a problem of their own (views, no copy)."""
    return OfferProblem(prob.customer_ids[part], prob.offers, prob.channels, prob.profit[part], prob.cost[part],
                        prob.eligible[part], prob.min_offers, prob.capacity, prob.budget, prob.hurdle_rate, prob.name)


class LocalPartitions:
    """Partitions held in this process; each map runs on a small thread pool (NumPy releases the GIL)."""

    def __init__(self, prob: OfferProblem, partition_size: int, threads: int = 2) -> None:
        self.parts = [sub_problem(prob, p) for p in prob.partitions(partition_size)]
        self.pool = ThreadPoolExecutor(max_workers=threads)

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        return list(self.pool.map(lambda part: func(part, *args), self.parts))

    def close(self) -> None:
        self.pool.shutdown()


class DaskPartitions:
    """Partitions scattered once to the workers of a Dask cluster; each map is one round trip."""

    def __init__(self, prob: OfferProblem, partition_size: int, scheduler: str) -> None:
        from mmo_pyomo.scheduler import connect
        self.client = connect(scheduler)
        self.parts = self.client.scatter([sub_problem(prob, p) for p in prob.partitions(partition_size)])

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        futures = [self.client.submit(func, part, *args, pure=False) for part in self.parts]
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()
