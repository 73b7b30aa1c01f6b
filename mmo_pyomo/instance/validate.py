"""Validation of an :class:`Instance`: every error names the activity or rule and the field."""
from __future__ import annotations

import numpy as np

from mmo_pyomo.errors import DataError, InfeasibleInstanceError
from mmo_pyomo.instance.reach import level_range, rows_of
from mmo_pyomo.instance.schema import ACTIVITY_FIELDS, Instance

#: Relative tolerance used when comparing totals to the budget.
BUDGET_TOL = 1e-9


def _first_bad(inst: Instance, mask: np.ndarray) -> tuple[str, int, int]:
    idx = np.flatnonzero(mask)
    return inst.activities[idx[0]], int(idx[0]), len(idx)


def _more(count: int) -> str:
    return f" (and {count - 1} more activities)" if count > 1 else ""


def is_validated(inst: Instance) -> bool:
    """Whether :func:`validate` has passed this very instance object (instances are immutable)."""
    return bool(inst.__dict__.get("_validated", False))


def validate(inst: Instance) -> Instance:
    """Check an instance; raise :class:`DataError` or :class:`InfeasibleInstanceError`.

    Returns the instance, so that ``validate(read_dat(p))`` reads naturally. An instance that
    passed once is marked and not checked again.
    """
    if is_validated(inst):
        return inst
    if inst.n == 0:
        raise DataError("the instance has no activities", "list at least one activity in ACTIVITIES")
    for fname in ACTIVITY_FIELDS:
        arr = getattr(inst, fname)
        bad = ~np.isfinite(arr)
        if bad.any():
            a, k, c = _first_bad(inst, bad)
            raise DataError(f"activity '{a}': {fname} = {arr[k]} is not a finite number{_more(c)}",
                            f"give '{fname}' a finite value")
    checks = [
        (inst.lower < 0, "lower = {lower} is negative: a plan could then spend less than nothing",
         "use lower ≥ 0"),
        (inst.lower > inst.upper, "lower = {lower} > upper = {upper}", "make lower ≤ upper"),
        (inst.baseline < inst.lower, "baseline = {baseline} is below lower = {lower}",
         "raise lower to at most the baseline, or correct the baseline"),
        (inst.baseline > inst.upper, "baseline = {baseline} is above upper = {upper}",
         "raise upper to at least the baseline, or correct the baseline"),
        (inst.min_change < 0, "min_change = {min_change} is negative", "use min_change ≥ 0 (0 means no minimum)"),
        (inst.quad > 0, "quad = {quad} > 0 makes the revenue convex in the spend change",
         "the model needs a concave response: use quad ≤ 0 (refit the response curve)"),
    ]
    for mask, what, fix in checks:
        if mask.any():
            a, k, c = _first_bad(inst, mask)
            vals = {f: getattr(inst, f)[k] for f in ACTIVITY_FIELDS}
            raise DataError(f"activity '{a}': {what.format(**vals)}{_more(c)}", fix)
    _check_magnitudes(inst)
    if not (np.isfinite(inst.budget_upper) and inst.budget_upper >= 0):
        raise DataError(f"budget_upper = {inst.budget_upper} must be a non-negative fraction of the baseline total",
                        "set budget_upper to, e.g., 1.0 for 'no more than the baseline total'")
    if not (np.isfinite(inst.budget_lower) and inst.budget_lower >= 0):
        raise DataError(f"budget_lower = {inst.budget_lower} must be a non-negative fraction",
                        "set budget_lower to, e.g., 0.99, or leave it out (default 0)")
    if inst.budget_lower > inst.budget_upper:
        raise InfeasibleInstanceError(
            f"budget_lower = {inst.budget_lower} exceeds budget_upper = {inst.budget_upper}",
            "make budget_lower ≤ budget_upper")
    if inst.max_changes < 0 or int(inst.max_changes) != inst.max_changes:
        raise DataError(f"max_changes = {inst.max_changes} is not a non-negative integer",
                        "set max_changes to a whole number between 0 and the number of activities")
    for k, r in enumerate(inst.rules):
        if inst.rule_lower[k] > inst.rule_upper[k]:
            raise DataError(f"rule '{r}': rule_lower = {inst.rule_lower[k]} > rule_upper = {inst.rule_upper[k]}",
                            "make rule_lower ≤ rule_upper")
        if np.isnan(inst.rule_lower[k]) or np.isnan(inst.rule_upper[k]):
            raise DataError(f"rule '{r}': a bound is not a number", "give rule_lower/rule_upper numbers or leave them out")
    bad_coef = ~np.isfinite(inst.rule_coef)
    if bad_coef.any():
        t = int(np.flatnonzero(bad_coef)[0])
        raise DataError(
            f"rule_coef[{inst.rules[inst.rule_index[t]]},{inst.activities[inst.rule_activity[t]]}] is not finite",
            "give every rule coefficient a finite value")
    _check_budget_reachable(inst)
    _check_rules_reachable(inst)
    object.__setattr__(inst, "_validated", True)   # frozen dataclass: mark it once checked
    return inst


def _check_magnitudes(inst: Instance) -> None:
    """Numbers near the float limits: a total, a revenue change or a revenue that overflows to infinity
    is refused here, naming the activity, not left to turn into NaN inside a model."""
    with np.errstate(over="ignore", invalid="ignore"):
        if not np.isfinite(inst.baseline.sum()) or not np.isfinite(inst.upper.sum()):
            raise DataError("the total spend overflows (it is larger than the largest number a float can hold)",
                            "give the spends in a larger unit (thousands or millions)")
        from mmo_pyomo.instance.units import revenue_swing
        swing = revenue_swing(inst)
        total = np.abs(inst.const).sum() + swing.sum()
    bad = ~np.isfinite(swing)
    if inst.curves is None and (bad.any() or np.isinf(np.abs(inst.quad) * inst.regions.big_m**2).any()):
        k = int(np.flatnonzero(bad | np.isinf(np.abs(inst.quad) * inst.regions.big_m**2))[0])
        raise DataError(f"activity '{inst.activities[k]}': its revenue change over its range overflows "
                        f"(quad = {inst.quad[k]:g} over a change of {inst.regions.big_m[k]:g})",
                        "give spends and revenues in units that keep them below about 1e150")
    if not np.isfinite(total):
        raise DataError("the total revenue overflows (it is larger than the largest number a float can hold)",
                        "give revenues in a larger unit (thousands or millions)")


def _check_budget_reachable(inst: Instance) -> None:
    """Raise if no plan with at most K changes can bring the total spend into the budget."""
    total = inst.total_baseline
    lo_budget, hi_budget = inst.budget_interval
    k = min(inst.max_changes, inst.n)
    min_total, max_total = level_range(inst, np.arange(inst.n), np.ones(inst.n))
    tol = BUDGET_TOL * max(1.0, abs(total))
    if min_total > hi_budget + tol:
        raise InfeasibleInstanceError(
            f"infeasible budget: the lowest total spend any plan can reach with at most {k} changes is "
            f"{min_total:,.2f}, above the budget upper limit {hi_budget:,.2f} "
            f"(budget_upper = {inst.budget_upper} × baseline total {total:,.2f})",
            f"raise budget_upper to at least {min_total / total if total else float('inf'):.6f}, "
            "lower the activities' lower bounds, or allow more changes (max_changes)")
    if max_total < lo_budget - tol:
        raise InfeasibleInstanceError(
            f"infeasible budget: the highest total spend any plan can reach with at most {k} changes is "
            f"{max_total:,.2f}, below the budget lower limit {lo_budget:,.2f} "
            f"(budget_lower = {inst.budget_lower} × baseline total {total:,.2f})",
            f"lower budget_lower to at most {max_total / total if total else 0:.6f}, "
            "raise the activities' upper bounds, or allow more changes (max_changes)")


def _check_rules_reachable(inst: Instance) -> None:
    """Raise, naming the rule, if no plan with at most K changes can bring a rule's level into its bounds: a rule
    with no terms (or only zero coefficients) has the level 0 whatever the plan, and its activities' bounds may
    keep any other away from its level. Like an unreachable budget, the data are each valid and no plan exists:
    :class:`InfeasibleInstanceError` (exit 3), before any model is built."""
    rows = rows_of(inst)
    next(rows)                                        # the budget: checked by _check_budget_reachable
    k = min(inst.max_changes, inst.n)
    for r, (idx, g, lo, hi) in zip(inst.rules, rows):
        least, most = level_range(inst, idx, g)
        tol = BUDGET_TOL * max(1.0, abs(lo) if np.isfinite(lo) else 0.0, abs(hi) if np.isfinite(hi) else 0.0,
                               float(np.abs(g * inst.baseline[idx]).sum()))
        if len(idx) == 0 and (lo > tol or hi < -tol):
            side = f"rule_lower = {lo:g}" if lo > tol else f"rule_upper = {hi:g}"
            raise InfeasibleInstanceError(
                f"infeasible rule '{r}': it has no term with a nonzero coefficient, so its level is 0 whatever the plan, and "
                f"{side} can never hold", f"give rule '{r}' its terms in rule_coef, or remove its {side.split()[0]}")
        if least > hi + tol:
            raise InfeasibleInstanceError(
                f"infeasible rule '{r}': the lowest level any plan can give it with at most {k} changes is {least:,.6g}, "
                f"above rule_upper = {hi:,.6g}",
                f"raise rule_upper of '{r}' to at least {least:,.6g}, lower the bounds of its activities, "
                "or allow more changes (max_changes)")
        if most < lo - tol:
            raise InfeasibleInstanceError(
                f"infeasible rule '{r}': the highest level any plan can give it with at most {k} changes is {most:,.6g}, "
                f"below rule_lower = {lo:,.6g}",
                f"lower rule_lower of '{r}' to at most {most:,.6g}, widen the bounds of its activities, "
                "or allow more changes (max_changes)")
