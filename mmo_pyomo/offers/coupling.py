"""The coupling rows of the customer-level LP, and the Lagrangian oracle over a partition.

Rows (each a ≤ row ``Σ a_o x_o ≤ b`` over all options o = (customer, offer, channel)):

* ``budget``: a = cost, b = B;
* ``roi_hurdle``: a = (1 + H)·cost − profit, b = 0 (Σ profit ≥ (1 + H) Σ cost);
* ``capacity[k]`` for each channel with a finite capacity: a = 1 on channel k, b = cap_k;
* ``minimum[j]`` for each offer with a minimum: a = −1 on offer j, b = −min_j.

For multipliers λ ≥ 0 the Lagrangian separates by customer:
L(λ) = Σ_i max(0, max_o (profit_o − λᵀa_o)) + λᵀb, an upper bound on the LP (and MILP) optimum.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.policies import active, package_args
from mmo_pyomo.offers.problem import OfferProblem


@dataclass(frozen=True)
class Rows:
    """Names, right-hand sides and structure of the coupling rows of one problem."""

    names: list[str]
    rhs: np.ndarray
    cap_channels: np.ndarray      # channel index of each capacity row
    min_offers: np.ndarray        # offer index of each minimum row
    hurdle: float

    @property
    def m(self) -> int:
        return len(self.names)

    def split(self, lam: np.ndarray) -> tuple[float, float, np.ndarray, np.ndarray]:
        """(λ_budget, λ_hurdle, μ per capacity row, ν per minimum row)."""
        kc = len(self.cap_channels)
        return float(lam[0]), float(lam[1]), lam[2:2 + kc], lam[2 + kc:]


def lp_multipliers(model: object, duals: dict, rows: Rows) -> np.ndarray:
    """The LP duals of a model's coupling rows (its ``budget``, ``roi_hurdle``, ``capacity[k]`` and ``minimum[j]``
    constraints, as the customer-level and the cluster LP name them), as multipliers in :class:`Rows` order."""
    m: Any = model
    values = [duals.get(m.budget, 0.0), duals.get(m.roi_hurdle, 0.0)]
    values += [duals.get(m.capacity[k], 0.0) for k in rows.cap_channels]
    values += [duals.get(m.minimum[j], 0.0) for j in rows.min_offers]
    return np.abs(np.array(values, dtype=float))


def coupling_rows(prob: OfferProblem) -> Rows:
    cap_ch = np.flatnonzero(np.isfinite(prob.capacity))
    min_off = np.flatnonzero(prob.min_offers > 0)
    names = ["budget", "roi_hurdle"] + [f"capacity[{prob.channels[k]}]" for k in cap_ch] + \
            [f"minimum[{prob.offers[j]}]" for j in min_off]
    rhs = np.concatenate([[prob.budget, 0.0], prob.capacity[cap_ch], -prob.min_offers[min_off]])
    return Rows(names, rhs, cap_ch, min_off, prob.hurdle_rate)


def reduced_profit_terms(prob: OfferProblem, rows: Rows, lam: np.ndarray) -> tuple[float, float, np.ndarray]:
    """(a, b, shift) with reduced profit = a·profit − b·cost + shift[option] (options flat, offer·K + channel)."""
    lb, lh, mu, nu = rows.split(lam)
    J, K = len(prob.offers), len(prob.channels)
    shift = np.zeros((J, K))
    shift[:, rows.cap_channels] -= mu
    shift[rows.min_offers, :] += nu[:, None]
    return 1.0 + lh, lb + lh * (1 + rows.hurdle), shift.ravel()


@dataclass
class PartOracle:
    """What one partition returns for one λ: its part of L(λ) and of the row activities A·x(λ)."""

    value: float
    activity: np.ndarray     # Σ a_o x_o(λ) per row
    profit: float
    cost: float


def partition_oracle(prob: OfferProblem, rows: Rows, lam: np.ndarray, part: slice) -> PartOracle:
    """Each customer of ``part`` takes the option of highest positive reduced profit (or none):
    one compiled pass over the partition's arrays (:func:`mmo_pyomo.offers.kernels.oracle_pass`)."""
    a, b, shift = reduced_profit_terms(prob, rows, lam)
    J, K = len(prob.offers), len(prob.channels)
    n = part.stop - part.start
    counts = np.zeros(J * K, np.int64)
    arrays = (prob.profit[part].reshape(n, J * K), prob.cost[part].reshape(n, J * K),
              prob.eligible[part].reshape(n, J * K))
    if active(prob.policy):
        assert prob.policy is not None and part == slice(0, prob.n_customers), "a policy's partition is a sub-problem"
        value, p, c = package_oracle(prob, arrays, a, b, shift, counts)
    else:
        value, p, c = kernels.oracle_pass(*arrays, a, b, shift, counts)
    per = counts.reshape(J, K)
    activity = np.concatenate([[c, (1 + rows.hurdle) * c - p],
                               per.sum(axis=0)[rows.cap_channels], -per.sum(axis=1)[rows.min_offers]])
    return PartOracle(float(value), activity, float(p), float(c))


def package_oracle(prob: OfferProblem, arrays: tuple[np.ndarray, ...], a: float, b: float, shift: np.ndarray,
                   counts: np.ndarray, out: np.ndarray | None = None) -> tuple[float, float, float]:
    """:func:`mmo_pyomo.offers.kernels.package_pass` over ``prob``'s customers under its policy (``out``: the
    packages, (n, M))."""
    assert prob.policy is not None
    g = package_args(prob.policy)
    J, K = len(prob.offers), len(prob.channels)
    write = out is not None
    sink = out if out is not None else np.empty((1, 1), np.int64)
    P, C, E = arrays
    return kernels.package_pass(P, C, E, a, b, shift, J, K, g.D, g.cap, g.rule, g.valid, g.req, g.order, g.starts, g.H,
                                counts, sink, write)
