"""What a target no plan reaches would need: the most the rules allow (docs/mathematics.md §12).

* ``response:V``: the most response any plan earns — the instance solved for its revenue, without the
  target; its checked plan and its bound are named.
* ``roi:R``: the highest ROI any plan reaches, by Dinkelbach's method: solve max Σr − ρ·Σx (the target
  ``mroi:ρ``), set ρ to the ROI of the plan found, and repeat until the optimum is 0 within the gap. Every
  plan is checked; the last bound β gives ROI ≤ ρ + β / (the least total spend the bounds and budget allow).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.targets import Target

#: Dinkelbach rounds at most (it converges superlinearly; 3–6 rounds are typical).
MAX_ROUNDS = 20

#: The optimum of Σr − ρΣx, relative to Σr, below which ρ counts as the highest ROI.
ROI_TOLERANCE = 1e-7


#: Solves an instance for a target (None: its revenue) and returns the checked result or raises (the runner's
#: ``solve`` with the failed solve's formulation, engine and options).
Solver = Callable[[Instance, "Target | None"], Any]


def unreachable(inst: Instance, solve: Solver) -> str:
    """The message of a target ``inst.target`` that no plan reaches, naming the most the rules allow."""
    target = inst.target
    assert target is not None
    plain = inst.with_changes(target=None)
    try:
        if target.kind == "roi":
            return _highest_roi(plain, target, solve)
        return _most_response(plain, target, solve)
    except MMOError as exc:                   # the instance itself has no plan: say that
        return f"no plan reaches the target {target}, and the most the rules allow could not be found ({exc.cause})"


def _most_response(plain: Instance, target: Target, solve: Solver) -> str:
    best = solve(plain, None)
    return (f"no plan reaches the target {target}: the most response the bounds, budget and rules allow is at most "
            f"{best.bound:,.6g} (the best checked plan earns {best.objective:,.6g})")


def least_total_spend(inst: Instance) -> float:
    """A lower bound on every plan's total spend: the larger of Σ lower and the budget's lower end."""
    return max(float(inst.lower.sum()), inst.budget_interval[0])


def _highest_roi(plain: Instance, target: Target, solve: Solver) -> str:
    rho, best_roi, bound = target.value, -np.inf, np.inf
    for round_ in range(MAX_ROUNDS):          # round 0 at ρ = R only finds a first plan, whose ROI is below R
        solved = rho
        result = solve(plain, Target("mroi", max(rho, 0.0)))
        assert result.response is not None and result.total_spend is not None
        bound = result.bound if result.bound is not None else np.inf
        roi = result.response / result.total_spend if result.total_spend > 0 else -np.inf
        best_roi = max(best_roi, roi)
        if round_ and (bound <= ROI_TOLERANCE * max(abs(result.response), 1.0) or roi <= rho):
            break
        rho = roi
    least = least_total_spend(plain)
    ceiling = (f"; no plan's ROI exceeds {solved + max(bound, 0.0) / least:.6g}"
               if np.isfinite(bound) and least > 0 and solved >= 0 else "")
    return (f"no plan reaches the target {target}: the highest ROI the bounds, budget and rules allow is "
            f"{best_roi:.6g} (a checked plan){ceiling}")
