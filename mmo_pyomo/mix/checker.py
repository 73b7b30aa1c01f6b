"""An independent plan checker: it reads the raw instance data, never a Pyomo model.

It checks the spend bounds, the minimum change, the number of changes, the budget and
the business rules, and recomputes the revenue Σ a δ² + b δ + c.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from mmo_pyomo import ranges
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.units import revenue_swing, useful_reach

#: Feasibility tolerance, relative to the magnitude of each quantity (:func:`magnitude`).
TOLERANCE = 1e-6


def magnitude(inst: Instance) -> np.ndarray:
    """Per activity, the magnitude its spend is measured against: max(|x̄|, |l|, |u|) over the range the units
    are measured over (:func:`~mmo_pyomo.instance.units.useful_reach`: an upper bound of 10¹² that the budget
    makes unreachable does not count, nor an increase past the revenue's vertex), or 1 where all three are 0.
    Tolerances relative to it mean the same at a spend of 10⁻² as at 10⁸."""
    lo, hi = useful_reach(inst)
    mag = np.maximum(np.abs(inst.baseline), np.maximum(np.abs(inst.baseline + lo), np.abs(inst.baseline + hi)))
    return np.where(mag > 0, mag, 1.0)


def budget_tolerance(inst: Instance, tol: float = TOLERANCE) -> float:
    """The budget row's tolerance: ``tol`` times the budget itself (its larger limit), or the largest activity's
    magnitude where that is larger (a budget near 0): the unit in which the models write the row."""
    return tol * max(*map(abs, inst.budget_interval), float(magnitude(inst).max(initial=1.0)))


def rule_tolerance(inst: Instance, tol: float = TOLERANCE) -> tuple[np.ndarray, np.ndarray]:
    """(below, above): each rule's tolerance on its lower and on its upper level: ``tol`` times that level, or
    the row's unit (its largest term's magnitude, :func:`rule_scale`) where that is larger."""
    unit = rule_scale(inst)
    with np.errstate(invalid="ignore"):
        lower = np.where(np.isfinite(inst.rule_lower), np.abs(inst.rule_lower), 0.0)
        upper = np.where(np.isfinite(inst.rule_upper), np.abs(inst.rule_upper), 0.0)
    return tol * np.maximum(unit, lower), tol * np.maximum(unit, upper)


def revenue_allowance(inst: Instance, tol: float = TOLERANCE) -> float:
    """How much more than the optimum a plan can earn by using the feasibility tolerance ``tol``: each spend
    off by up to tol·magnitude, and the budget by up to its tolerance (:func:`budget_tolerance`), at the
    steepest slope the activities have over the range they can reach."""
    lo, hi = useful_reach(inst)
    with np.errstate(invalid="ignore", over="ignore"):
        slope = np.maximum(np.abs(inst.revenue_slope(lo)), np.abs(inst.revenue_slope(hi)))
    slope = np.where(np.isfinite(slope), slope, 0.0)
    return float(tol * np.sum(magnitude(inst) * slope) + budget_tolerance(inst, tol) * slope.max(initial=0.0))


def regions_of(inst: Instance, delta: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """The region (0 decrease, 1 keep, 2 increase) each activity's change takes, a change within ``tol`` of its
    magnitude counting as none (as the checker counts changes)."""
    changed = np.abs(delta) > tol * magnitude(inst)
    return np.where(~changed, 1, np.where(delta > 0, 2, 0))


def rule_scale(inst: Instance) -> np.ndarray:
    """max_i |g_ri|·magnitude_i for every rule r (1 for a rule without terms): the row's unit, as the models
    write it (:meth:`~mmo_pyomo.instance.units.Units.row_unit`)."""
    unit = np.zeros(len(inst.rules))
    np.maximum.at(unit, inst.rule_index, np.abs(inst.rule_coef) * magnitude(inst)[inst.rule_activity])
    return np.where(unit > 0, unit, 1.0)


@dataclass
class PlanCheck:
    """The checker's verdict on one plan."""

    feasible: bool
    violations: list[str] = field(default_factory=list)
    revenue: float = float("nan")
    baseline_revenue: float = float("nan")
    n_changes: int = 0
    total_spend: float = float("nan")
    #: What the solve maximizes: the revenue, or, under a ``response:V`` target, minus the total spend.
    objective: float = float("nan")

    def summary(self, limit: int = 5) -> str:
        """A one-paragraph description of the violations (empty when feasible)."""
        more = f" (+{len(self.violations) - limit} more)" if len(self.violations) > limit else ""
        return "; ".join(self.violations[:limit]) + more


def spend_array(inst: Instance, new_spend: Mapping[str, float] | np.ndarray) -> np.ndarray:
    """The plan as an array in activity order; a mapping must name every activity and nothing else."""
    if isinstance(new_spend, Mapping) or hasattr(new_spend, "index") and hasattr(new_spend, "to_dict"):
        spend = dict(new_spend.to_dict() if hasattr(new_spend, "to_dict") else new_spend)   # a pandas Series by label
        missing = [a for a in inst.activities if a not in spend]
        if missing:
            raise DataError(f"the plan has no spend for activity '{missing[0]}'", "give a spend for every activity")
        unknown = [a for a in spend if a not in set(inst.activities)]
        if unknown:
            raise DataError(f"the plan names unknown activity '{unknown[0]}'", "remove it, or check its spelling")
        try:
            x = np.array([float(spend[a]) for a in inst.activities])
        except (TypeError, ValueError) as exc:
            raise DataError(f"the plan has a spend that is not a number ({exc})", "give numbers") from None
    else:
        try:
            x = np.asarray(new_spend, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"the plan is not an array of numbers ({exc})",
                            "give one spend per activity, in activity order, or a mapping activity → spend") from None
        if x.shape != (inst.n,):
            raise DataError(f"the plan has shape {x.shape}, not one spend per activity ({inst.n})",
                            "give one spend per activity, in activity order")
    return x


def check_plan(inst: Instance, new_spend: Mapping[str, float] | np.ndarray, tol: float = TOLERANCE) -> PlanCheck:
    """Check a plan (new spend per activity) against the instance's raw data."""
    x = spend_array(inst, new_spend)
    tol = ranges.finite(tol, "tol")
    if tol < 0:
        raise MMOError(f"tol = {tol} is negative", "give a tolerance ≥ 0 (the default is 1e-6)")
    bad: list[str] = []
    name = inst.activities
    for k in np.flatnonzero(~np.isfinite(x)):        # NaN compares false with every bound: catch it first
        bad.append(f"activity '{name[k]}': spend {x[k]} is not a finite number")
    delta = x - inst.baseline
    scale = magnitude(inst)
    changed = np.abs(delta) > tol * scale
    for k in np.flatnonzero(x < inst.lower - tol * scale):
        bad.append(f"activity '{name[k]}': spend {x[k]:.6g} below lower {inst.lower[k]:.6g}")
    for k in np.flatnonzero(x > inst.upper + tol * scale):
        bad.append(f"activity '{name[k]}': spend {x[k]:.6g} above upper {inst.upper[k]:.6g}")
    short = changed & (np.abs(delta) < inst.min_change - tol * scale)
    for k in np.flatnonzero(short):
        bad.append(f"activity '{name[k]}': change {delta[k]:.6g} smaller than min_change {inst.min_change[k]:.6g}")
    n_changes = int(changed.sum())
    if n_changes > inst.max_changes:
        bad.append(f"{n_changes} activities change, more than max_changes = {inst.max_changes}")
    total = float(x.sum())
    lo, hi = inst.budget_interval
    btol = budget_tolerance(inst, tol)
    if total > hi + btol:
        bad.append(f"total spend {total:,.6g} above the budget {hi:,.6g}")
    if total < lo - btol:
        bad.append(f"total spend {total:,.6g} below the budget lower limit {lo:,.6g}")
    if len(inst.rules):
        level = inst.rule_activity_of(x)
        below, above = rule_tolerance(inst, tol)
        for k in np.flatnonzero(level > inst.rule_upper + above):
            bad.append(f"rule '{inst.rules[k]}': {level[k]:.6g} above rule_upper {inst.rule_upper[k]:.6g}")
        for k in np.flatnonzero(level < inst.rule_lower - below):
            bad.append(f"rule '{inst.rules[k]}': {level[k]:.6g} below rule_lower {inst.rule_lower[k]:.6g}")
    if not np.isfinite(x).all():
        return PlanCheck(feasible=False, violations=bad, revenue=float("nan"), baseline_revenue=baseline_revenue(inst),
                         n_changes=n_changes, total_spend=total)
    revenue = inst.total_revenue(np.where(changed, delta, 0.0))
    bad.extend(target_violations(inst, revenue, total, tol))
    return PlanCheck(
        feasible=not bad, violations=bad, revenue=revenue,
        baseline_revenue=baseline_revenue(inst), n_changes=n_changes, total_spend=total,
        objective=-total if inst.target is not None and inst.target.minimizes else revenue,
    )


def baseline_revenue(inst: Instance) -> float:
    """The revenue of keeping every baseline spend (its CVaR under a risk measure)."""
    plain = inst.risk is None and (inst.horizon is None or not inst.horizon.has_adstock)
    return float(inst.const.sum()) if plain else inst.total_revenue(np.zeros(inst.n))


def target_violations(inst: Instance, revenue: float, total: float, tol: float = TOLERANCE) -> list[str]:
    """What a plan of total response ``revenue`` and total spend ``total`` breaks of the instance's target row
    (``roi:R``: revenue ≥ R·total; ``response:V``: revenue ≥ V), within ``tol`` of the row's own scale."""
    t = inst.target
    if t is None or not t.adds_row:
        return []
    need = t.value * total if t.kind == "roi" else t.value
    if revenue >= need - tol * max(abs(need), abs(revenue), 1.0):
        return []
    if t.kind == "roi":
        return [f"total response {revenue:,.6g} is below {t.value:g} × total spend {total:,.6g} = {need:,.6g} "
                f"(ROI {revenue / total if total else float('inf'):.6g}, target {t})"]
    return [f"total response {revenue:,.6g} is below the target {need:,.6g} ({t})"]


def target_shortfall(inst: Instance, check: PlanCheck) -> float:
    """How far a checked plan's response falls short of its target row (≤ 0 when it meets it; 0 without a row)."""
    t = inst.target
    if t is None or not t.adds_row:
        return 0.0
    return (t.value * check.total_spend if t.kind == "roi" else t.value) - check.revenue


def objective_scale(inst: Instance) -> tuple[float, float]:
    """(unit, allowance) of the solve's objective, for the certificate (:func:`mmo_pyomo.mix.certificate.certify`):
    the revenue swing and :func:`revenue_allowance`, or, when the objective is the total spend, the largest
    activity's spend magnitude and the spend the feasibility tolerance allows."""
    if inst.target is not None and inst.target.minimizes:
        mag = magnitude(inst)
        return float(mag.max(initial=1.0)), float(TOLERANCE * mag.sum())
    return float(revenue_swing(inst).max(initial=0.0)), revenue_allowance(inst)
