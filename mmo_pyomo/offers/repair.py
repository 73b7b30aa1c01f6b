"""From multipliers to a feasible integer plan, and the greedy fill shared by the heuristics.

The plan x(λ*) of the Lagrangian subproblem meets the coupling rows up to the few customers
that an LP optimum would split. The repair walks the rows in a fixed order, changing as few
customers as possible and always those whose reduced profit (``score``) says they matter least:
minimums first, then capacities, then budget and hurdle; finally spare budget is filled.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.plan import chosen_values
from mmo_pyomo.offers.problem import OfferProblem

NEG = np.float32(-np.inf)


@dataclass(frozen=True)
class Score:
    """A linear score of each option o: a·profit − b·cost + shift[o] (options flat, offer·K + channel).

    The exact method scores by reduced profit at the multipliers, greedy by profit − cost.
    """

    a: float
    b: float
    shift: np.ndarray

    def offer(self, prob: OfferProblem, j: int) -> np.ndarray:
        """(n, K) score of offer j on each channel, −inf where it is not allowed (one compiled pass)."""
        n, J, K = prob.shape
        out = np.empty((n, K), np.float64)
        kernels.offer_scores(prob.profit.reshape(n, J * K), prob.cost.reshape(n, J * K), prob.eligible.reshape(n, J * K),
                             j, K, self.a, self.b, self.shift, out)
        return out


def _counts(prob: OfferProblem, choice: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    J, K = len(prob.offers), len(prob.channels)
    c = np.bincount(choice[choice >= 0], minlength=J * K).reshape(J, K)
    return c.sum(axis=1), c.sum(axis=0)


def _removable(prob: OfferProblem, choice: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Of the customers in ``order`` (all holding an offer), those that can lose it without breaking
    an offer minimum, taking them in that order."""
    K = len(prob.channels)
    offer_of = choice[order] // K
    offer_counts, _ = _counts(prob, choice)
    spare = offer_counts - prob.min_offers
    rank = np.zeros(len(order), np.int64)
    for j in np.unique(offer_of):
        sel = offer_of == j
        rank[sel] = np.arange(sel.sum())
    return order[rank < spare[offer_of]]


def meet_minimums(prob: OfferProblem, choice: np.ndarray, score: Score) -> np.ndarray:
    """Give each offer under its minimum to the customers it costs least (in score) to switch."""
    K = len(prob.channels)
    for _ in range(3):
        offer_counts, channel_counts = _counts(prob, choice)
        short = np.flatnonzero(offer_counts < prob.min_offers)
        if not len(short):
            break
        for j in short:
            need = int(prob.min_offers[j] - offer_counts[j])
            sj = score.offer(prob, int(j))                            # (n, K) score of offer j per channel
            room = prob.capacity - channel_counts
            sj = np.where(room[None, :] > 0, sj, NEG)
            k_best = sj.argmax(axis=1)
            gain = sj[np.arange(len(k_best)), k_best]
            current = current_scores(prob, choice, score)
            offer_now = np.where(choice >= 0, choice // K, -1)
            spare = (offer_counts - prob.min_offers)
            can_leave = (offer_now < 0) | (spare[np.maximum(offer_now, 0)] > 0)
            ok = np.isfinite(gain) & (offer_now != j) & can_leave
            cand = np.flatnonzero(ok)
            order = cand[np.argsort(current[cand] - gain[cand], kind="stable")]
            # one at a time: a channel's room and another offer's spare shrink as customers move
            kernels.assign_in_order(order, k_best, offer_now, choice, room.astype(np.float64),
                                    spare.astype(np.float64), int(j), K, need)
            offer_counts, channel_counts = _counts(prob, choice)
    return choice


def current_scores(prob: OfferProblem, choice: np.ndarray, score: Score) -> np.ndarray:
    """The score of each customer's current option (0 for no offer)."""
    n = prob.n_customers
    out = np.empty(n, np.float64)
    kernels.chosen_scores(prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), choice, score.a, score.b, score.shift, out)
    return out


def enforce_capacities(prob: OfferProblem, choice: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Drop the lowest-score contacts of each channel over its capacity (minimums permitting)."""
    K = len(prob.channels)
    _, channel_counts = _counts(prob, choice)
    for k in np.flatnonzero(channel_counts > prob.capacity):
        excess = int(channel_counts[k] - prob.capacity[k])
        on_k = np.flatnonzero((choice >= 0) & (choice % K == k))
        order = on_k[np.argsort(score[on_k], kind="stable")]
        drop = _removable(prob, choice, order)[:excess]
        choice[drop] = -1
    return choice


def enforce_budget_and_hurdle(prob: OfferProblem, choice: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Drop contacts, lowest score per dollar first, until the budget and the ROI hurdle hold."""
    idx, p, c = chosen_values(prob, choice)
    cost, profit = c.sum(), p.sum()
    h = 1 + prob.hurdle_rate
    if cost <= prob.budget and profit >= h * cost:
        return choice
    order = idx[np.argsort(score[idx] / np.maximum(c, 1e-9), kind="stable")]
    order = _removable(prob, choice, order)
    pos = np.searchsorted(idx, order)
    cum_c, cum_p = np.cumsum(c[pos]), np.cumsum(p[pos])
    ok = (cost - cum_c <= prob.budget * (1 + 1e-12)) & (profit - cum_p >= h * (cost - cum_c))
    n_drop = int(np.argmax(ok)) + 1 if ok.any() else len(order)
    choice[order[:n_drop]] = -1
    return choice


def fill(prob: OfferProblem, choice: np.ndarray, best_option: np.ndarray, key: np.ndarray,
         limit: int = 200_000) -> np.ndarray:
    """Add customers without an offer, highest ``key`` first, while budget, hurdle and capacity allow.

    ``best_option`` is each customer's option to add (−1 for none).
    """
    idx, p, c = chosen_values(prob, choice)
    cost, profit = float(c.sum()), float(p.sum())
    _, channel_counts = _counts(prob, choice)
    room = prob.capacity - channel_counts
    K = len(prob.channels)
    n = prob.n_customers
    cand = np.flatnonzero((choice < 0) & (best_option >= 0))
    cand = cand[np.argsort(-key[cand], kind="stable")][:limit]
    h = 1 + prob.hurdle_rate
    if "cheapest_cost" not in prob.extra:
        cheapest = kernels.min_allowed_cost(prob.cost.reshape(-1), prob.eligible.reshape(-1), False)
        prob.extra["cheapest_cost"] = float(cheapest) if np.isfinite(cheapest) else 0.0
    cheapest = prob.extra["cheapest_cost"]
    kernels.fill_in_order(cand, best_option, prob.profit.reshape(n, -1), prob.cost.reshape(n, -1), K, choice, cost,
                          profit, prob.budget, h, room.astype(np.float64), cheapest)
    return choice
