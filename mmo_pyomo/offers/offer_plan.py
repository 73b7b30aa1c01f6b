"""Offer plans: the independent plan checker, and the result every method returns.

A plan is an int array ``choice`` with one entry per customer: −1 for no offer, else the flat
option index ``offer * n_channels + channel``. Under a contact policy that allows a customer more
than one contact, it has one row per customer of ``max_offers_per_customer`` such entries (−1
padded). The checker reads the problem's raw arrays only, the policy's included.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from mmo_pyomo.errors import PlanCheckError
from mmo_pyomo.offers.policies import ContactPolicy, plan_width
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.solvers.stats import bound_gap

TOL = 1e-6


@dataclass
class OfferCheck:
    """The checker's verdict and the plan's totals."""

    feasible: bool
    violations: list[str] = field(default_factory=list)
    profit: float = 0.0
    cost: float = 0.0
    offer_counts: np.ndarray | None = None
    channel_counts: np.ndarray | None = None

    @property
    def roi(self) -> float:
        """Return on the marketing investment: profit / cost − 1."""
        return self.profit / self.cost - 1 if self.cost else float("nan")


def contacts_of(choice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(customer position, flat option) of every contact of a plan, in customer order."""
    rows = choice.reshape(len(choice), -1)
    idx, slot = np.nonzero(rows >= 0)
    return idx, rows[idx, slot]


def chosen_values(prob: OfferProblem, choice: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(customer position of each contact, its profit, its cost): one entry per customer with an offer, or with a
    policy's packages, per contact."""
    idx, flat = contacts_of(choice)
    n = prob.n_customers
    return idx, prob.profit.reshape(n, -1)[idx, flat].astype(np.float64), prob.cost.reshape(n, -1)[idx, flat].astype(np.float64)


def check_offer_plan(prob: OfferProblem, choice: np.ndarray) -> OfferCheck:
    """Only existing rows, at most one offer per customer (or the contact policy's rules), budget, hurdle,
    capacities, minimums."""
    choice = np.asarray(choice)
    bad: list[str] = []
    J, K = len(prob.offers), len(prob.channels)
    width = plan_width(prob.policy)
    shape = (prob.n_customers,) if width == 1 else (prob.n_customers, width)
    if choice.shape != shape:
        return OfferCheck(False, [f"plan has {choice.shape} entries for {prob.n_customers} customers (expected {shape})"])
    if ((choice < -1) | (choice >= J * K)).any():
        return OfferCheck(False, ["plan names an option that does not exist"])
    idx, p, c = chosen_values(prob, choice)
    flat = contacts_of(choice)[1]
    if not prob.eligible.reshape(prob.n_customers, -1)[idx, flat].all():
        k = int(idx[~prob.eligible.reshape(prob.n_customers, -1)[idx, flat]][0])
        bad.append(f"customer {prob.customer_ids[k]} gets an offer/channel with no score row (not allowed)")
    if prob.policy is not None:
        bad += policy_violations(prob.policy, prob.customer_ids, idx, flat, J, K, prob.offers)
    return check_totals(prob, flat, p, c, bad)


def contact_counts(n: int, J: int, K: int, idx: np.ndarray, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(contacts per customer, (n, J) copies of each offer per customer) of the contacts ``idx``/``flat``."""
    return np.bincount(idx, minlength=n), np.bincount(idx * J + flat // K, minlength=n * J).reshape(n, J)


def policy_violations(policy: ContactPolicy, customer_ids: np.ndarray, idx: np.ndarray, flat: np.ndarray, J: int,
                      K: int, offers: list[str]) -> list[str]:
    """Every contact-policy rule a plan breaks (contacts ``idx``/``flat`` in customer order), from the policy's
    arrays as read: counts per customer and offer, the exclusive and requires pairs, households, history."""
    r = policy.rules
    n = len(customer_ids)
    bad: list[str] = []
    per, copies = contact_counts(n, J, K, idx, flat)
    if len(np.unique(idx * (J * K) + flat)) < len(flat):
        bad.append("a customer gets the same offer on the same channel twice")

    def first(mask: Any, what: str) -> None:
        if mask.any():
            bad.append(f"{int(mask.sum()):,} customer(s) {what} (customer {customer_ids[int(np.argmax(mask))]})")
    first(per > r.max_offers_per_customer, f"get more than max_offers_per_customer = {r.max_offers_per_customer}")
    first((copies > r.max_per_offer_per_customer).any(axis=1),
          f"get an offer more than max_per_offer_per_customer = {r.max_per_offer_per_customer} times")
    held = copies > 0
    for x, y in r.exclusive:
        first(held[:, x] & held[:, y], f"get both '{offers[x]}' and '{offers[y]}', which are exclusive")
    for b, a in r.requires:
        first(held[:, b] & ~held[:, a], f"get '{offers[b]}' without '{offers[a]}', which it requires")
    if r.cooling_off_days is not None:
        first((per > 0) & (policy.days_since < r.cooling_off_days),
              f"are contacted within cooling_off_days = {r.cooling_off_days:g} of their last contact")
    if r.max_contacts_90_days is not None:
        first((per > 0) & (per + policy.contacts_90 > r.max_contacts_90_days),
              f"exceed max_contacts_90_days = {r.max_contacts_90_days} with their contacts of the last 90 days")
    if r.max_offers_per_household is not None and policy.household is not None:
        houses, code = np.unique(policy.household, return_inverse=True)
        load = np.bincount(code, weights=per, minlength=len(houses))
        over = load > r.max_offers_per_household
        if over.any():
            bad.append(f"{int(over.sum()):,} household(s) get more than max_offers_per_household = "
                       f"{r.max_offers_per_household} (household {houses[int(np.argmax(over))]})")
    return bad


def check_totals(prob: OfferProblem, flat: np.ndarray, p: np.ndarray, c: np.ndarray,
                 bad: list[str] | None = None) -> OfferCheck:
    """Budget, hurdle, capacities and minimums of the chosen options ``flat`` with their profit ``p`` and
    cost ``c`` (one entry per customer with an offer). Needs only the campaign's totals, not the scores."""
    bad = [] if bad is None else bad
    J, K = len(prob.offers), len(prob.channels)
    counts = np.bincount(flat, minlength=J * K).reshape(J, K)
    profit, cost = float(p.sum()), float(c.sum())
    if cost > prob.budget * (1 + TOL):
        bad.append(f"cost ${cost:,.2f} exceeds the budget ${prob.budget:,.2f}")
    if profit < (1 + prob.hurdle_rate) * cost * (1 - TOL):
        bad.append(f"ROI {profit / cost - 1:.2%} is below the hurdle {prob.hurdle_rate:.0%}")
    for k, ch in enumerate(prob.channels):
        if counts[:, k].sum() > prob.capacity[k]:
            bad.append(f"channel '{ch}' has {counts[:, k].sum():,} contacts, over its capacity {prob.capacity[k]:,.0f}")
    for j, off in enumerate(prob.offers):
        if counts[j].sum() < prob.min_offers[j]:
            bad.append(f"offer '{off}' is made {counts[j].sum():,} times, under its minimum {prob.min_offers[j]:,.0f}")
    return OfferCheck(not bad, bad, profit, cost, counts.sum(axis=1), counts.sum(axis=0))


def plan_frame(prob: OfferProblem, choice: np.ndarray,
               values: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """The plan table: customer_id, offer, channel, expected_profit, cost (customers with an offer only).

    ``values`` is :func:`chosen_values` when the caller has it (the scores may not be in memory)."""
    idx, p, c = chosen_values(prob, choice) if values is None else values
    K = len(prob.channels)
    off, ch = np.divmod(contacts_of(choice)[1], K)
    return pd.DataFrame({"customer_id": prob.customer_ids[idx],
                         "offer": pd.Categorical.from_codes(off, prob.offers),
                         "channel": pd.Categorical.from_codes(ch, prob.channels),
                         "expected_profit": p, "cost": c})


@dataclass
class OfferResult:
    """A checked plan, its bound and its constraint report, the same for every method and executor."""

    method: str
    choice: np.ndarray
    check: OfferCheck
    bound: float | None
    time_s: float
    marginal_values: dict[str, float] | None = None
    info: dict[str, Any] = field(default_factory=dict)
    #: (customer positions with an offer, their profit, their cost), when the scores are not in
    #: this process (the exact method with the data on Dask workers); else computed from the problem.
    chosen: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    #: The campaign the plan is for (without its scores when the workers held them).
    problem: OfferProblem | None = field(default=None, repr=False)

    def values(self, prob: OfferProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(customer positions with an offer, their profit, their cost)."""
        return self.chosen if self.chosen is not None else chosen_values(prob, self.choice)

    @property
    def bound_gap(self) -> float | None:
        """(bound − profit) / |bound| (:func:`~mmo_pyomo.solvers.stats.bound_gap`): certified when the
        bound comes from the Lagrangian dual."""
        return bound_gap(self.check.profit, self.bound)


def finished(method: str, prob: OfferProblem, choice: np.ndarray, bound: float | None, t0: float,
             marginal_values: dict[str, float] | None = None, **info: Any) -> OfferResult:
    """The result of ``method``'s plan ``choice``, once it passes the independent checker."""
    check = check_offer_plan(prob, choice)
    if not check.feasible:
        raise PlanCheckError(f"the {method} plan failed the checker: " + "; ".join(check.violations[:3]),
                             "report the campaign; the plan was not written")
    return OfferResult(method, choice, check, bound, time.perf_counter() - t0, marginal_values, info, problem=prob)
