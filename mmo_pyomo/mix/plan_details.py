"""What a result file says of the plan beyond the totals: every activity's move, the use of the budget,
of K and of every group rule, and the response curves of the activities that moved most.

It is recomputed from the raw instance (like the checker), so a page drawn from the result file alone
(``mmo page RESULT.json``) shows what the plan does without the instance at hand.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.checker import TOLERANCE, budget_tolerance, regions_of, rule_scale

#: How many response curves a result file carries (the activities whose spend moved most).
CURVES_SHOWN = 6
#: Points per curve, from the activity's lower to its upper spend.
CURVE_POINTS = 61


def _binding(level: float, lower: float, upper: float, scale: float) -> str | None:
    """'upper' or 'lower' where ``level`` sits on that bound (within the checker's tolerance), else None."""
    tol = TOLERANCE * max(scale, abs(level), 1.0)
    if np.isfinite(upper) and level >= upper - tol:
        return "upper"
    if np.isfinite(lower) and level <= lower + tol:
        return "lower"
    return None


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def plan_details(inst: Instance, new_spend: np.ndarray) -> dict[str, Any]:
    """The ``details`` section of a result file for the plan ``new_spend`` (in activity order)."""
    x = np.asarray(new_spend, dtype=float)
    delta = x - inst.baseline
    region_index = regions_of(inst, delta)
    delta = np.where(region_index != 1, delta, 0.0)
    base_rev = inst.revenue(np.zeros(inst.n))
    new_rev = inst.revenue(delta)
    region = np.array(["decrease", "keep", "increase"])[region_index]
    activities = [
        {"activity": a, "baseline": float(inst.baseline[k]), "new_spend": float(x[k]), "change": float(delta[k]),
         "lower": float(inst.lower[k]), "upper": float(inst.upper[k]), "min_change": float(inst.min_change[k]),
         "region": str(region[k]), "revenue_baseline": float(base_rev[k]), "revenue_new": float(new_rev[k]),
         "revenue_gain": float(new_rev[k] - base_rev[k])}
        for k, a in enumerate(inst.activities)]
    lo, hi = inst.budget_interval
    total = float(x.sum())
    rules = []
    if len(inst.rules):
        level = inst.rule_activity_of(x)
        reach = rule_scale(inst)
        for r, name in enumerate(inst.rules):
            rules.append({"rule": name, "level": float(level[r]), "lower": _finite(inst.rule_lower[r]),
                          "upper": _finite(inst.rule_upper[r]),
                          "binding": _binding(level[r], inst.rule_lower[r], inst.rule_upper[r], reach[r])})
    n_changes = int((region_index != 1).sum())
    return {
        "activities": activities,
        "budget": {"total_spend": total, "baseline_spend": inst.total_baseline, "lower": lo, "upper": hi,
                   "binding": _binding(total, lo, hi, budget_tolerance(inst) / TOLERANCE)},
        "changes": {"count": n_changes, "max_changes": int(inst.max_changes),
                    "binding": "upper" if n_changes >= inst.max_changes else None},
        "rules": rules,
        "curves": response_curves(inst, delta),
        "revenue_model": _revenue_model(inst),
    }


def _revenue_model(inst: Instance) -> str:
    """What the per-activity revenues above are: a quadratic's, a curve's, or, with adstock, each cell's own curve at
    its own spend (the objective also counts what each period's spend carries into the next)."""
    if inst.horizon is not None and inst.horizon.has_adstock:
        return "response curves with adstock (per cell: its curve at its own spend, without carry-over)"
    return "response curves" if inst.has_curves else "quadratic"


def response_curves(inst: Instance, delta: np.ndarray, count: int = CURVES_SHOWN,
                    points: int = CURVE_POINTS) -> list[dict[str, Any]]:
    """Sampled revenue curves of the ``count`` activities whose spend moved most (|change|, largest first)."""
    moved = np.flatnonzero(delta != 0)
    order = moved[np.argsort(-np.abs(delta[moved]), kind="stable")][:count]
    out = []
    for k in order:
        grid = np.linspace(inst.lower[k], inst.upper[k], points)
        grid = np.union1d(grid, [inst.baseline[k], inst.baseline[k] + delta[k]])
        trial = np.zeros((len(grid), inst.n))
        trial[:, k] = grid - inst.baseline[k]
        revenue = np.array([inst.revenue(row)[k] for row in trial])
        out.append({"activity": inst.activities[k], "spend": grid.tolist(), "revenue": revenue.tolist(),
                    "baseline": float(inst.baseline[k]), "new_spend": float(inst.baseline[k] + delta[k]),
                    "lower": float(inst.lower[k]), "upper": float(inst.upper[k]),
                    "min_change": float(inst.min_change[k])})
    return out
