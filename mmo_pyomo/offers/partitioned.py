"""Campaigns held by Dask workers: each worker reads its own customer range of the scores from disk.

The driver reads only the small tables (offers, channels, campaign) and the Parquet footer. The
customer ranges come from the row groups' statistics of ``customer_id`` (the generator writes
the scores sorted by customer), so each worker reads just the row groups of its range, lays them
out densely (:func:`mmo_pyomo.offers.problem.layout_scores`) and keeps them in memory across the
dual's evaluations. Only multipliers go out and row activities come back.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from mmo_pyomo.errors import DataError
from mmo_pyomo.offers.executor import PlanAt
from mmo_pyomo.offers.offer_plan import check_totals, chosen_values, contacts_of, policy_violations
from mmo_pyomo.offers.policy_files import history_ids, history_path, household_id_cuts, load_policy, read_rules
from mmo_pyomo.offers.problem import (
    SCORE_COLUMNS,
    OfferProblem,
    ScoreSummary,
    check_feasible_campaign,
    layout_scores,
    merge_summaries,
    summarize_scores,
)
from mmo_pyomo.offers.repair import exact_piece, repair

log = logging.getLogger(__name__)


def customer_ranges(path: Path, partition_size: int) -> list[tuple[int, int]]:
    """Half-open customer-id ranges [lo, hi) of about ``partition_size`` customers, cut at row-group
    boundaries. Needs integer ids sorted across row groups."""
    meta = pq.ParquetFile(path).metadata
    if "household_id" in meta.schema.to_arrow_schema().names and (path.parent / "policies.json").is_file():
        raise DataError(f"'{path}' holds the households (household_id), and workers read them from customers.parquet, "
                        "so that the customer ranges can keep each household whole",
                        "write customer_id, household_id to customers.parquet, or solve without --scheduler")
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
    cuts = household_id_cuts(path.parent, cuts)
    return list(zip(cuts[:-1], cuts[1:]))


def load_partition(path: str, lo: int, hi: int, offers: list[str], channels: list[str], min_offers: np.ndarray,
                   capacity: np.ndarray, budget: float, hurdle_rate: float, name: str) -> OfferProblem:
    """On a worker: the customers with lo ≤ id < hi, read from ``path`` and laid out densely."""
    table = pq.read_table(path, columns=list(SCORE_COLUMNS), read_dictionary=["offer", "channel"],
                          filters=[("customer_id", ">=", lo), ("customer_id", "<", hi)])
    ids, P, C, E = layout_scores(table, offers, channels, f"{path} [customer_id {lo}–{hi})")
    policy = load_policy(Path(path).parent, offers, ids, id_range=(lo, hi), channels=len(channels))
    return OfferProblem(ids, offers, channels, P, C, E, min_offers, capacity, budget, hurdle_rate, name, policy=policy)


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
    """Partitions loaded and kept by the workers of a Dask cluster; each map is one round trip (the
    executor ``workers`` of :mod:`mmo_pyomo.offers.executor`)."""

    def __init__(self, shell: OfferProblem, path: Path, partition_size: int, scheduler: str) -> None:
        from dask.distributed import wait

        from mmo_pyomo.scheduler import connect
        self.client = connect(scheduler)
        self.shell = shell
        self.problem = shell
        self.policy_rules = None if not (path.parent / "policies.json").is_file() else \
            read_rules(path.parent / "policies.json", shell.offers, len(shell.channels))    # its error, first
        self.ranges = customer_ranges(path, partition_size)
        self.parts = [self.client.submit(load_partition, str(path), lo, hi, shell.offers, shell.channels,
                                         shell.min_offers, shell.capacity, shell.budget, shell.hurdle_rate, shell.name,
                                         pure=False) for lo, hi in self.ranges]
        wait(self.parts)
        for fut in self.parts:                   # a bad row raises its DataError here, on the driver
            if fut.status == "error":
                fut.result()
        if self.policy_rules is not None:
            _warn_unknown_history(path.parent, self.ranges, sum(self.map(_unknown_history)))

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        futures = [self.client.submit(func, part, *args, pure=False) for part in self.parts]
        return self.client.gather(futures)

    def bounds(self) -> tuple[float, float]:
        """The campaign checks of :func:`~mmo_pyomo.offers.problem.check_feasible_campaign`, from
        per-partition summaries; returns (largest profit, smallest positive cost)."""
        stats = self.map(feasibility_stats)
        self.allowed = np.array([s[0].allowed for s in stats])          # (partitions, offers)
        check_feasible_campaign(self.shell, merge_summaries([s[0] for s in stats]))
        return max(s[1] for s in stats), min(s[2] for s in stats)

    def plan(self, rows: Any, lam: np.ndarray) -> PlanAt:
        """The repaired plan at ``lam``, checked from the totals the workers send (the scores stay there)."""
        view, choice, (idx, p, c), bad = self.repair(rows, lam)
        self.problem = view                                   # the campaign with its customer ids
        return PlanAt(choice, (idx, p, c), check_totals(view, contacts_of(choice)[1], p, c, bad))

    def repair(self, rows: Any, lam: np.ndarray) -> tuple[OfferProblem, np.ndarray, tuple, list[str]]:
        """The repaired plan at ``lam`` (:func:`mmo_pyomo.offers.repair.repair`), the same plan as one
        process would make: the pieces stay on the workers, which send only their sorted candidates.

        Returns (the campaign with its customer ids but without scores, choice, (positions, profit,
        cost) of the chosen options, the contact-policy rules the plan breaks, checked on the workers).
        """
        shell = self.shell
        pieces = WorkerPieces(self.client, [self.client.submit(exact_piece, part, rows, lam, pure=False)
                                            for part in self.parts])
        repair(pieces, shell)
        plans = pieces.map(_plan_of)
        bad = [v for part in pieces.map(_policy_check) for v in part]
        self.policy_report = _summed_reports(pieces.map(_policy_report)) if self.policy_rules is not None else None
        ids = np.concatenate(self.map(_ids))
        choice = np.concatenate([pl[0] for pl in plans])
        offsets = np.cumsum([0] + [len(pl[0]) for pl in plans[:-1]])
        idx = np.concatenate([pl[1] + off for pl, off in zip(plans, offsets)])
        values = (idx, np.concatenate([pl[2] for pl in plans]), np.concatenate([pl[3] for pl in plans]))
        J, K = len(shell.offers), len(shell.channels)
        view = OfferProblem(ids, shell.offers, shell.channels, np.zeros((0, J, K), np.float32),
                            np.zeros((0, J, K), np.float32), np.zeros((0, J, K), np.bool_), shell.min_offers,
                            shell.capacity, shell.budget, shell.hurdle_rate, shell.name)
        return view, choice, values, bad

    def close(self) -> None:
        self.client.close()


class WorkerPieces:
    """The repair's pieces (:class:`mmo_pyomo.offers.repair.Piece`) as Dask futures: each step's
    changes go to the workers and come back as new futures; only candidate arrays cross the network."""

    def __init__(self, client: Any, futures: list[Any]) -> None:
        self.client, self.futures = client, futures

    def __len__(self) -> int:
        return len(self.futures)

    def map(self, func: Callable[..., Any], *args: Any) -> list[Any]:
        return self.client.gather([self.client.submit(func, f, *args, pure=False) for f in self.futures])

    def update(self, func: Callable[..., Any], args_per_piece: list[tuple]) -> None:
        self.futures = [f if not len(a[0]) else self.client.submit(func, f, *a, pure=False)
                        for f, a in zip(self.futures, args_per_piece)]


def _plan_of(piece: Any) -> tuple[np.ndarray, ...]:
    """A piece's plan: (choice, positions with an offer, their profit, their cost)."""
    return (piece.choice, *chosen_values(piece.prob, piece.choice))


def _unknown_history(part: OfferProblem) -> int:
    return 0 if part.policy is None else int(part.policy.cache.get("unknown_history", 0))


def _warn_unknown_history(folder: Path, ranges: list[tuple[int, int]], inside: int) -> None:
    """The warning a local load gives for history of customers who are not in the scores, counted by the workers
    (within their ranges) and here (outside every range)."""
    path = history_path(folder)
    if path is None or not ranges:
        return
    ids = history_ids(path)
    outside = int(((ids < ranges[0][0]) | (ids >= ranges[-1][1])).sum())
    if inside + outside:
        log.warning("%s: %s row(s) are for customers who are not in the scores; they were left out", path,
                    f"{inside + outside:,}")


def _policy_check(piece: Any) -> list[str]:
    """The contact-policy rules a piece's plan breaks (its households are all its own)."""
    prob = piece.prob
    if prob.policy is None:
        return []
    idx, flat = contacts_of(piece.choice)
    return policy_violations(prob.policy, prob.customer_ids, idx, flat, len(prob.offers), len(prob.channels),
                             prob.offers)


def _policy_report(piece: Any) -> list[dict]:
    from mmo_pyomo.offers.outputs import policy_report
    return policy_report(piece.prob, piece.choice)


def _summed_reports(parts: list[list[dict]]) -> list[dict]:
    """The pieces' policy reports as one: the counts added (households never straddle two pieces)."""
    out = [dict(row) for row in parts[0]]
    for part in parts[1:]:
        for row, other in zip(out, part):
            row["bound"] += other["bound"]
    return out
