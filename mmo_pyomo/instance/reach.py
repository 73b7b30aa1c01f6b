"""The spend each activity can reach: its bounds [l_i, u_i] tightened by the budget and the business rules.

A user's "no cap" (an upper bound of 10¹² on a budget of 10⁶) is a range no plan can use, and it must not
drive the models: Table 1's region bounds, the MINLP's big-M, the units of every formulation and the
checker's tolerances are all measured against the range an activity can reach, not the one it is given.

Every linear row of the instance (the budget, each rule, each side on its own) reads Σ_j g_j x_j ≤ U. If
activity i changes, at most K − 1 others change with it, and every other activity j stays at x̄_j or moves
within its own regions (Table 1), which lowers g_j·x_j by at most its *fall* f_j = g_j·(largest decrease) for
g_j > 0, |g_j|·(largest increase) for g_j < 0. So

    g_i·δ_i ≤ U − Σ_j g_j x̄_j + (the K − 1 largest f_j, j ≠ i)

bounds δ_i on one side (above for g_i > 0, below for g_i < 0). An activity that does not change keeps x̄_i,
so the reachable range always holds the baseline. The tightened bounds feed the falls of the next pass;
:data:`PASSES` passes are enough for the ranges this is meant for. Every bound is a valid consequence of the
rows: no plan is lost, so no optimum and no bound changes.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mmo_pyomo.instance.regions import region_bounds

if TYPE_CHECKING:
    from mmo_pyomo.instance.schema import Instance

#: Passes of tightening (each uses the bounds of the one before).
PASSES = 2

#: Relative slack added to every derived bound, against round-off in the sums it comes from.
SLACK = 1e-12


@dataclass(frozen=True)
class Reach:
    """Per activity, the lowest and highest spend any plan can give it (``lower`` ≤ x̄ ≤ ``upper``)."""

    lower: np.ndarray
    upper: np.ndarray


def rows_of(inst: Instance) -> Iterator[tuple[np.ndarray, np.ndarray, float, float]]:
    """Every linear row of ``inst`` as (activity positions, coefficients, lower level, upper level): the budget,
    then each rule with its terms summed per activity and zero coefficients left out."""
    yield np.arange(inst.n), np.ones(inst.n), *inst.budget_interval
    for r in range(len(inst.rules)):
        sel = inst.rule_index == r
        coef = np.zeros(inst.n)
        np.add.at(coef, inst.rule_activity[sel], inst.rule_coef[sel])
        members = np.flatnonzero(coef != 0)
        yield members, coef[members], float(inst.rule_lower[r]), float(inst.rule_upper[r])


def largest_of_others(values: np.ndarray, k: int) -> np.ndarray:
    """For every position i, the sum of the ``k`` largest ``values`` at positions other than i."""
    count = len(values)
    k = min(k, count - 1)
    if k <= 0:
        return np.zeros(count)
    order = np.argsort(-values, kind="stable")
    ranked = values[order]
    top_k, top_k1 = float(ranked[:k].sum()), float(ranked[:k + 1].sum())
    rank = np.empty(count, dtype=np.int64)
    rank[order] = np.arange(count)
    return np.where(rank < k, top_k1 - values, top_k)


def _moves(inst: Instance, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per activity, its largest decrease and largest increase (0 where Table 1 has no such region)."""
    reg = region_bounds(inst.baseline, lower, upper, inst.min_change)
    return np.where(reg.has_dec, inst.baseline - lower, 0.0), np.where(reg.has_inc, upper - inst.baseline, 0.0)


def reach_of(inst: Instance) -> Reach:
    """The reachable spend range of every activity of ``inst`` (see the module docstring)."""
    xbar = np.asarray(inst.baseline, float)
    lower, upper = np.array(inst.lower, float), np.array(inst.upper, float)
    k = int(min(inst.max_changes, inst.n)) - 1          # others that may change along with activity i
    if k < 0:                                            # nothing may change
        return Reach(lower=xbar.copy(), upper=xbar.copy())
    with np.errstate(invalid="ignore", over="ignore"):
        for _ in range(PASSES):
            lower, upper = _tighten(inst, lower, upper, k)
    return Reach(lower=lower, upper=upper)


def _tighten(inst: Instance, lower: np.ndarray, upper: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """One pass of tightening over every row (``k`` others may change with each activity)."""
    xbar = np.asarray(inst.baseline, float)
    lower, upper = lower.copy(), upper.copy()
    down, up = _moves(inst, lower, upper)
    for idx, g, lo_level, hi_level in rows_of(inst):
        if len(idx) == 0:
            continue
        at_base = g * xbar[idx]
        level = float(at_base.sum())
        for sign, bound in ((1.0, hi_level), (-1.0, -lo_level)):     # sign·Σ g x ≤ bound
            if not np.isfinite(bound):
                continue
            c = sign * g
            fall = np.where(c > 0, c * down[idx], -c * up[idx])
            others = largest_of_others(fall, k)
            room = bound - sign * level + others
            room += SLACK * (abs(bound) + float(np.abs(at_base).sum()) + float(fall.sum()) + np.abs(room))
            step = room / c                          # c·δ_i ≤ room (NaN from overflowing sums: no bound)
            pos, neg = idx[c > 0], idx[c < 0]
            upper[pos] = np.fmin(upper[pos], xbar[pos] + step[c > 0])
            lower[neg] = np.fmax(lower[neg], xbar[neg] + step[c < 0])
    return np.fmin(lower, xbar), np.fmax(upper, xbar)          # an unchanged activity keeps x̄


def level_range(inst: Instance, idx: np.ndarray, g: np.ndarray) -> tuple[float, float]:
    """The lowest and highest level Σ g_j x_j that any plan with at most K changes can give a row of activity
    positions ``idx`` and coefficients ``g``, over the given bounds and Table 1's regions (the K largest falls,
    or rises, from the level at the baseline); (0, 0) for a row without terms."""
    if len(idx) == 0:
        return 0.0, 0.0
    down, up = _moves(inst, np.asarray(inst.lower, float), np.asarray(inst.upper, float))
    k = int(min(inst.max_changes, len(idx)))
    fall = np.where(g > 0, g * down[idx], -g * up[idx])
    rise = np.where(g > 0, g * up[idx], -g * down[idx])
    level = float(g @ inst.baseline[idx])
    return level - float(np.sort(fall)[::-1][:k].sum()), level + float(np.sort(rise)[::-1][:k].sum())
