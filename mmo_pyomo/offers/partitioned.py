"""Campaigns held by Dask workers: each worker reads its own customer range of the scores from disk.

The driver reads only the small tables (offers, channels, campaign) and the Parquet footer. The
customer ranges come from the row groups' statistics of ``customer_id`` (the generator writes
the scores sorted by customer), so each worker reads just the row groups of its range, lays them
out densely (:func:`mmo_pyomo.offers.problem.layout_scores`) and keeps them in memory across the
dual's evaluations. Only multipliers go out and row activities come back.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from mmo_pyomo.errors import DataError
from mmo_pyomo.offers.problem import (
    SCORE_COLUMNS,
    OfferProblem,
    ScoreSummary,
    check_feasible_campaign,
    layout_scores,
    merge_summaries,
    summarize_scores,
)


def customer_ranges(path: Path, partition_size: int) -> list[tuple[int, int]]:
    """Half-open customer-id ranges [lo, hi) of about ``partition_size`` customers, cut at row-group
    boundaries. Needs integer ids sorted across row groups."""
    meta = pq.ParquetFile(path).metadata
    col = meta.schema.to_arrow_schema().get_field_index("customer_id")
    lows, highs, rows = [], [], []
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        st = rg.column(col).statistics
        if st is None or not st.has_min_max or not isinstance(st.min, (int, np.integer)):
            raise DataError(f"'{path}' has no integer customer_id statistics per row group",
                            "write the scores sorted by an integer customer_id (as 'offers generate' does)")
        lows.append(int(st.min))
        highs.append(int(st.max))
        rows.append(rg.num_rows)
    if any(lows[g] < highs[g - 1] for g in range(1, len(lows))):
        raise DataError(f"'{path}' is not sorted by customer_id", "sort the scores by customer_id before writing them")
    total_rows = sum(rows)
    span = max(highs) - min(lows) + 1 if lows else 0
    rows_per_customer = total_rows / max(span, 1)
    target = max(1, int(partition_size * rows_per_customer))
    cuts, acc = [lows[0]] if lows else [], 0
    for g in range(len(lows)):
        if acc >= target and lows[g] > cuts[-1]:
            cuts.append(lows[g])
            acc = 0
        acc += rows[g]
    cuts.append(max(highs) + 1 if highs else 0)
    return list(zip(cuts[:-1], cuts[1:]))


def load_partition(path: str, lo: int, hi: int, offers: list[str], channels: list[str], min_offers: np.ndarray,
                   capacity: np.ndarray, budget: float, hurdle_rate: float, name: str) -> OfferProblem:
    """On a worker: the customers with lo ≤ id < hi, read from ``path`` and laid out densely."""
    table = pq.read_table(path, columns=list(SCORE_COLUMNS), read_dictionary=["offer", "channel"],
                          filters=[("customer_id", ">=", lo), ("customer_id", "<", hi)])
    ids, P, C, E = layout_scores(table, offers, channels, f"{path} [customer_id {lo}–{hi})")
    return OfferProblem(ids, offers, channels, P, C, E, min_offers, capacity, budget, hurdle_rate, name)


def feasibility_stats(part: OfferProblem) -> tuple[ScoreSummary, float, float]:
    """The partition's :class:`ScoreSummary`, its largest profit and its smallest positive cost
    (the last two bound the dual's box)."""
    from mmo_pyomo.offers.kernels import min_allowed_cost
    return summarize_scores(part), float(part.profit.max(initial=0.0)), \
        float(min_allowed_cost(part.cost.reshape(-1), part.eligible.reshape(-1), True))


def _size(part: OfferProblem) -> int:
    return part.n_customers


def _ids(part: OfferProblem) -> np.ndarray:
    return part.customer_ids


def _oracle_at(part: OfferProblem, rows: Any, lam: np.ndarray) -> Any:
    from mmo_pyomo.offers.coupling import partition_oracle
    return partition_oracle(part, rows, lam, slice(0, part.n_customers))


class WorkerPartitions:
    """Partitions loaded and kept by the workers of a Dask cluster; each map is one round trip."""

    def __init__(self, shell: OfferProblem, path: Path, partition_size: int, scheduler: str) -> None:
        from dask.distributed import Client, wait
        self.client = Client(scheduler)
        self.shell = shell
        self.ranges = customer_ranges(path, partition_size)
        self.parts = [self.client.submit(load_partition, str(path), lo, hi, shell.offers, shell.channels,
                                         shell.min_offers, shell.capacity, shell.budget, shell.hurdle_rate, shell.name,
                                         pure=False) for lo, hi in self.ranges]
        wait(self.parts)
        for fut in self.parts:                   # a bad row raises its DataError here, on the driver
            if fut.status == "error":
                fut.result()

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        futures = [self.client.submit(func, part, *args, pure=False) for part in self.parts]
        return self.client.gather(futures)

    def check_feasible(self) -> tuple[float, float]:
        """The campaign checks of :func:`~mmo_pyomo.offers.problem.check_feasible_campaign`, from
        per-partition summaries; returns (largest profit, smallest positive cost)."""
        stats = self.map(feasibility_stats)
        self.allowed = np.array([s[0].allowed for s in stats])          # (partitions, offers)
        check_feasible_campaign(self.shell, merge_summaries([s[0] for s in stats]))
        return max(s[1] for s in stats), min(s[2] for s in stats)

    def repair(self, rows: Any, lam: np.ndarray) -> tuple[OfferProblem, np.ndarray, tuple, bool, list[str]]:
        """Repair on the workers. The budget, each capacity and each minimum are split over the
        partitions in proportion to what the partitions use at ``lam`` (minimums no larger than the
        customers allowed the offer there); each worker repairs its plan against its share, so the
        shares' plans together meet the campaign's rows. Only plans come back.

        Returns (the campaign with its customer ids but without scores, choice, (positions, profit,
        cost) of the chosen options, all shares met, violations).
        """
        shell = self.shell
        acts = np.array([o.activity for o in self.map(_oracle_at, rows, lam)])       # (partitions, rows)
        sizes = np.array(self.map(_size), float)
        kc = len(rows.cap_channels)
        cost_use = np.maximum(acts[:, 0], 0.0) + 1e-9 * sizes
        budgets = shell.budget * cost_use / cost_use.sum()
        capacity = np.tile(shell.capacity, (len(sizes), 1))
        for t, k in enumerate(rows.cap_channels):
            capacity[:, k] = split_whole(shell.capacity[k], acts[:, 2 + t] + 1e-6 * sizes)
        minimums = np.zeros((len(sizes), len(shell.offers)))
        for t, j in enumerate(rows.min_offers):
            minimums[:, j] = split_whole(shell.min_offers[j], -acts[:, 2 + kc + t] + 1e-6 * sizes, self.allowed[:, j])
        futures = [self.client.submit(repair_partition, part, rows, lam, budgets[p], capacity[p], minimums[p],
                                      pure=False) for p, part in enumerate(self.parts)]
        pieces = self.client.gather(futures)
        ids = np.concatenate(self.map(_ids))
        choice = np.concatenate([pc[0] for pc in pieces])
        offsets = np.cumsum([0] + [len(pc[0]) for pc in pieces[:-1]])
        idx = np.concatenate([pc[1] + off for pc, off in zip(pieces, offsets)])
        values = (idx, np.concatenate([pc[2] for pc in pieces]), np.concatenate([pc[3] for pc in pieces]))
        violations = [v for pc in pieces for v in pc[5]]
        J, K = len(shell.offers), len(shell.channels)
        view = OfferProblem(ids, shell.offers, shell.channels, np.zeros((0, J, K), np.float32),
                            np.zeros((0, J, K), np.float32), np.zeros((0, J, K), np.bool_), shell.min_offers,
                            shell.capacity, shell.budget, shell.hurdle_rate, shell.name)
        return view, choice, values, all(pc[4] for pc in pieces), violations

    def assemble(self) -> OfferProblem:
        """The whole campaign on the driver, one partition at a time (for the final repair and plan)."""
        s = self.shell
        sizes = self.map(_size)
        n, J, K = sum(sizes), len(s.offers), len(s.channels)
        ids, P = np.empty(n, np.int64), np.empty((n, J, K), np.float32)
        C, E = np.empty((n, J, K), np.float32), np.empty((n, J, K), np.bool_)
        at = 0
        for fut, size in zip(self.parts, sizes):
            piece = fut.result()
            ids[at:at + size], P[at:at + size], C[at:at + size], E[at:at + size] = \
                piece.customer_ids, piece.profit, piece.cost, piece.eligible
            at += size
            del piece
            fut.release()
        self.parts = []
        return OfferProblem(ids, s.offers, s.channels, P, C, E, s.min_offers, s.capacity, s.budget, s.hurdle_rate,
                            s.name)

    def close(self) -> None:
        self.client.close()


# --------------------------------------------------------------------------- repair on the workers
def split_whole(total: float, weights: np.ndarray, room: np.ndarray | None = None) -> np.ndarray:
    """Split the whole number ``total`` over partitions in proportion to ``weights`` (largest
    remainders), giving none more than its ``room``. Infinite totals stay infinite everywhere."""
    parts = len(weights)
    if not np.isfinite(total):
        return np.full(parts, np.inf)
    room = np.full(parts, np.inf) if room is None else room.astype(float)
    w = np.maximum(weights.astype(float), 0.0) + 1e-12
    out = np.zeros(parts)
    left = float(total)
    for _ in range(parts + 1):                      # each round fills at least one partition to its room
        free = out < room
        if left <= 0 or not free.any():
            break
        want = left * np.where(free, w, 0.0) / w[free].sum()
        take = np.minimum(np.floor(want), room - out)
        out += take
        left -= take.sum()
        if left > 0 and take.sum() == 0:          # only remainders are left: one each, largest first
            order = np.argsort(-(want - np.floor(want)), kind="stable")
            for p in order:
                if left <= 0:
                    break
                if out[p] < room[p]:
                    out[p] += 1
                    left -= 1
    return out


def repair_partition(part: OfferProblem, rows: Any, lam: np.ndarray, budget: float, capacity: np.ndarray,
                     min_offers: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool, list[str]]:
    """On a worker: the repaired plan of one partition against its share of the budget, the
    capacities and the minimums. Returns (choice, positions with an offer, their profit, their cost,
    feasible for the share, violations)."""
    from dataclasses import replace

    from mmo_pyomo.offers.methods import _plan_from
    from mmo_pyomo.offers.plan import check_offer_plan, chosen_values
    sub = replace(part, budget=float(budget), capacity=capacity, min_offers=min_offers, extra={})
    choice = _plan_from(sub, rows, lam)
    check = check_offer_plan(sub, choice)
    idx, p, c = chosen_values(sub, choice)
    return choice, idx, p, c, check.feasible, check.violations[:3]
