"""Units: the scale in which the formulations measure spend and revenue, so that every model is
well scaled whatever the magnitudes of the data.

Marketing budgets are in millions and curvatures of 10⁻⁹ are common. Written in the data's own
units, the cone's epigraph variable t ≥ δ²/y then reaches 10¹² against an objective coefficient of
10⁻⁹, and an engine's tolerances (absolute, of the order of 10⁻⁶) stop meaning anything: SCIP
certified a plan worth 3% of the optimum as optimal. The formulations therefore measure

* the spend change of activity i in units of s_i, its largest useful change
  max(x̄_i − l_i, u_i − x̄_i) over the range the budget and rules let it reach, an increase counted no
  further than the vertex of its revenue (:func:`useful_reach`): δ_i = s_i·d_i, |d_i| ≤ 1 where it matters;
* a revenue change of activity i (hull_oa's w_i) in units of R_i, its own largest revenue change
  over its range, so that every cut of every activity has coefficients of order 1 however small the
  activity;
* revenue in units of R: the objective is revenue / R. R is 1 while the largest revenue change
  of one activity over its range lies in [1, 10⁴] (:data:`REVENUE_BAND`), where engines take the
  coefficients as they are, so the paper's instances and the examples keep their objective in
  revenue; beyond, R is that largest change.

Every variable of a model is then of order 1, and so is every coefficient that matters. The units are
the data's own ranges, not powers of ten above them: an engine's tolerances (absolute, about 10⁻⁶ in
the model's units) then cost at most that share of each range, where a power of ten up to 10× larger
cost up to 10× (100× through a square) more: Gurobi certified a MILP optimum 1.2e-5 below the true one
with R a power of ten, and SCIP's budget row exceeded the checker's tolerance.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mmo_pyomo.instance.schema import Instance


#: Largest revenue changes of one activity for which the objective stays in revenue units (R = 1).
REVENUE_BAND = (1.0, 1e4)


@dataclass(frozen=True)
class Units:
    """``spend[i]`` = s_i (δ_i = s_i·d_i), ``revenue`` = R (objective = revenue / R) and ``change[i]`` = R_i
    (activity i's revenue change is R_i·w_i)."""

    spend: np.ndarray
    revenue: float
    change: np.ndarray

    def row_unit(self, coefficients: np.ndarray, positions: np.ndarray) -> float:
        """The unit of a linear row Σ_k g_k δ_{i_k}: max_k |g_k|·s_{i_k}, by which the row is divided. Exactly
        that (not a power of ten above it): an engine's feasibility tolerance on the row is then at most its
        tolerance times the largest change, which the checker's tolerance covers (a power of ten up to 10×
        larger let SCIP's budget row exceed it)."""
        if len(coefficients) == 0:
            return 1.0
        unit = float(np.max(np.abs(coefficients) * self.spend[positions]))
        return unit if unit > 0 and math.isfinite(unit) else 1.0


def useful_reach(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Per activity, the spend changes (lowest, highest) that the units are measured over: the reachable range
    (:attr:`~mmo_pyomo.instance.schema.Instance.reach`), with an increase of a quadratic revenue taken no further
    than its vertex −b/(2a) (or its minimum change, if larger), past which every more unit spent loses revenue.
    A plan may still go there (forced by budget_lower, say), and the models allow it; but a range that only
    loses, 10⁵ times wider than the activity's own scale, must not set the scale of the model (an activity of
    baseline 0.04 and curvature −50 left uncapped gave a revenue unit of 4·10¹³ against an optimum of 3.6·10⁶)."""
    lo, hi = inst.reach.lower - inst.baseline, inst.reach.upper - inst.baseline
    if inst.curves is None:
        with np.errstate(divide="ignore", invalid="ignore"):
            vertex = np.where(inst.quad < 0, -inst.lin / (2 * inst.quad), np.inf)
        hi = np.minimum(hi, np.maximum(vertex, inst.min_change))
        hi = np.maximum(hi, 0.0)
    return lo, hi


def revenue_swing(inst: Instance) -> np.ndarray:
    """Per activity, a measure of how much its revenue can change over the spend changes the units are measured
    over (:func:`useful_reach`): |a|·M² + |b|·M for a quadratic (M the largest of those changes), max |r(δ) − r(0)|
    at the ends of the range for a response curve."""
    lo, hi = useful_reach(inst)
    if inst.curves is None:
        reach = np.maximum(-lo, hi)
        with np.errstate(over="ignore", invalid="ignore"):
            return np.abs(inst.quad) * reach**2 + np.abs(inst.lin) * reach
    zero = inst.revenue(np.zeros(inst.n))
    swing = np.maximum(np.abs(inst.revenue(lo) - zero), np.abs(inst.revenue(hi) - zero))
    return np.where(np.isfinite(swing), swing, 0.0)


def spend_unit(inst: Instance) -> np.ndarray:
    """Per activity, s_i: the largest change of :func:`useful_reach` (1 where that is 0)."""
    lo, hi = useful_reach(inst)
    reach = np.maximum(-lo, hi)
    return np.where(np.isfinite(reach) & (reach > 0), reach, 1.0)


def units_of(inst: Instance) -> Units:
    """The units of ``inst`` (see the module docstring)."""
    spend = spend_unit(inst)
    swing = revenue_swing(inst)
    largest = float(swing.max()) if len(swing) else 0.0
    inside = REVENUE_BAND[0] <= largest <= REVENUE_BAND[1]
    revenue = largest if largest > 0 and math.isfinite(largest) and not inside else 1.0
    change = np.where(swing > 0, swing, revenue)
    return Units(spend=spend, revenue=revenue, change=change)
