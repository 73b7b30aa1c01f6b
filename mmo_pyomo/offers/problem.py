"""The offer problem: scores in long form on disk, dense (customer × offer × channel) arrays in memory.

On disk (a folder):

* ``scores.parquet`` (or ``scores.csv``): ``customer_id, offer, channel, expected_profit, cost``;
  a row exists only where the offer is allowed for that customer on that channel;
* ``offers.csv``: ``offer, min_offers``; ``channels.csv``: ``channel, capacity`` (empty = unlimited);
* ``campaign.json``: ``{"budget": ..., "hurdle_rate": ...}``.

In memory, profit and cost are float32 arrays of shape (customers, offers, channels), 0 where
a row is absent, with a boolean ``eligible`` mask.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.errors import DataError, InfeasibleInstanceError

SCORE_COLUMNS = ("customer_id", "offer", "channel", "expected_profit", "cost")


@dataclass
class OfferProblem:
    """One campaign. Arrays are indexed (customer, offer, channel)."""

    customer_ids: np.ndarray
    offers: list[str]
    channels: list[str]
    profit: np.ndarray
    cost: np.ndarray
    eligible: np.ndarray
    min_offers: np.ndarray            # (offers,)
    capacity: np.ndarray              # (channels,), inf = unlimited
    budget: float
    hurdle_rate: float
    name: str = "campaign"
    extra: dict = field(default_factory=dict)

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.profit.shape

    def partitions(self, size: int) -> list[slice]:
        """Customer slices of at most ``size`` customers: the unit of the map-reduce."""
        n = self.n_customers
        return [slice(s, min(s + size, n)) for s in range(0, n, max(1, size))]


def _read_scores(folder: Path) -> pd.DataFrame:
    for name in ("scores.parquet", "scores.csv"):
        p = folder / name
        if p.is_file():
            frame = pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p)
            missing = [c for c in SCORE_COLUMNS if c not in frame.columns]
            if missing:
                raise DataError(f"'{p}' lacks column(s) {missing}", f"give it the columns {', '.join(SCORE_COLUMNS)}")
            return frame
    raise DataError(f"no scores.parquet or scores.csv in '{folder}'", "write the scores in long form there")


def load_problem(folder: str | Path) -> OfferProblem:
    """Read and validate a campaign folder."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"'{folder}' is not a folder", "pass the folder written by 'offers.py generate'")
    scores = _read_scores(folder)
    for name in ("offers.csv", "channels.csv", "campaign.json"):
        if not (folder / name).is_file():
            raise DataError(f"'{folder / name}' is missing", "a campaign folder holds scores, offers.csv, "
                            "channels.csv and campaign.json")
    offers_df = pd.read_csv(folder / "offers.csv")
    channels_df = pd.read_csv(folder / "channels.csv")
    campaign = json.loads((folder / "campaign.json").read_text())
    for key in ("budget", "hurdle_rate"):
        if key not in campaign:
            raise DataError(f"campaign.json has no '{key}'", f"add \"{key}\": <number>")
    return build_problem(scores, offers_df, channels_df, float(campaign["budget"]), float(campaign["hurdle_rate"]),
                         name=folder.name)


def build_problem(scores: pd.DataFrame, offers_df: pd.DataFrame, channels_df: pd.DataFrame, budget: float,
                  hurdle_rate: float, name: str = "campaign") -> OfferProblem:
    """Validate long-form scores and tables, and lay them out densely."""
    offers = offers_df["offer"].astype(str).tolist()
    channels = channels_df["channel"].astype(str).tolist()
    for col, known, table in (("offer", offers, "offers.csv"), ("channel", channels, "channels.csv")):
        values = scores[col].astype(str)
        unknown = ~values.isin(known)
        if unknown.any():
            raise DataError(f"scores name unknown {col} '{values[unknown].iloc[0]}'",
                            f"add it to {table} or remove its rows")
    off_code = pd.Categorical(scores["offer"].astype(str), categories=offers)
    ch_code = pd.Categorical(scores["channel"].astype(str), categories=channels)
    cost = scores["cost"].to_numpy(np.float64)
    if (cost < 0).any() or np.isnan(cost).any():
        raise DataError("scores have a negative or missing cost", "every cost must be ≥ 0")
    profit = scores["expected_profit"].to_numpy(np.float64)
    if np.isnan(profit).any():
        raise DataError("scores have a missing expected_profit", "fill every expected_profit")
    cust_code, customer_ids = pd.factorize(scores["customer_id"], sort=True)
    J, K, n = len(offers), len(channels), len(customer_ids)
    flat = (cust_code.astype(np.int64) * J + off_code.codes) * K + ch_code.codes
    if len(np.unique(flat)) != len(flat):
        raise DataError("scores repeat a (customer_id, offer, channel) row", "keep one row per combination")
    P = np.zeros(n * J * K, np.float32)
    C = np.zeros(n * J * K, np.float32)
    E = np.zeros(n * J * K, bool)
    P[flat], C[flat], E[flat] = profit, cost, True
    mins = offers_df.set_index(offers_df["offer"].astype(str))["min_offers"].reindex(offers).fillna(0).to_numpy(float)
    cap = pd.to_numeric(channels_df["capacity"], errors="coerce").to_numpy(float)
    cap = np.where(np.isnan(cap), np.inf, cap)
    if (mins < 0).any() or (cap < 0).any() or budget < 0:
        raise DataError("a minimum, a capacity or the budget is negative", "use non-negative numbers")
    prob = OfferProblem(np.asarray(customer_ids), offers, channels, P.reshape(n, J, K), C.reshape(n, J, K),
                        E.reshape(n, J, K), mins, cap, float(budget), float(hurdle_rate), name=name)
    check_feasible_campaign(prob)
    return prob


def check_feasible_campaign(prob: OfferProblem) -> None:
    """Raise :class:`InfeasibleInstanceError` when the minimums cannot all be met."""
    elig_per_offer = prob.eligible.any(axis=2).sum(axis=0)
    for j, offer in enumerate(prob.offers):
        if elig_per_offer[j] < prob.min_offers[j]:
            raise InfeasibleInstanceError(
                f"offer '{offer}' needs {int(prob.min_offers[j]):,} offers but only {int(elig_per_offer[j]):,} "
                "customers may receive it", f"lower min_offers for '{offer}'")
    # the cheapest way to meet every minimum: each offer's min_j cheapest eligible contacts
    big = np.float32(np.inf)
    cheapest = np.where(prob.eligible, prob.cost, big).min(axis=2)       # (n, J)
    need = 0.0
    for j in range(len(prob.offers)):
        m = int(prob.min_offers[j])
        if m:
            need += float(np.partition(cheapest[:, j], m - 1)[:m].sum())
    if need > prob.budget * (1 + 1e-9):
        raise InfeasibleInstanceError(
            f"the offer minimums cost at least ${need:,.2f}, more than the budget ${prob.budget:,.2f}",
            f"raise the budget to at least ${need:,.2f} or lower min_offers")
    if prob.min_offers.sum() > prob.n_customers:
        raise InfeasibleInstanceError(f"the minimums ask for {int(prob.min_offers.sum()):,} offers but there are "
                                      f"only {prob.n_customers:,} customers", "lower min_offers")
