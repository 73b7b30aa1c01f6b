"""The independent checker finds every kind of violation."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.checker import budget_tolerance, check_plan, magnitude

from helpers import random_instance

INST = random_instance(8, 2, rules=True, k_fraction=0.25)


def test_baseline_plan_is_feasible_and_earns_the_constants():
    check = check_plan(INST, INST.baseline)
    assert check.feasible and check.n_changes == 0
    assert check.revenue == INST.const.sum()


def _violations(x):
    return " | ".join(check_plan(INST, x).violations)


def test_each_violation_is_named():
    x = INST.baseline.copy()
    x[5] = INST.upper[5] + 1
    assert "act5" in _violations(x) and "above upper" in _violations(x)
    x = INST.baseline.copy()
    x[6] += 0.5 * INST.min_change[6]
    assert "smaller than min_change" in _violations(x)
    x = INST.lower.copy()
    assert "more than max_changes" in _violations(x)
    x = INST.baseline * 1.0
    x[7] = INST.upper[7]
    x[6] = INST.upper[6]
    found = _violations(x)
    assert "total spend 375.39 above the budget 353.41" in found
    assert "rule 'group_a': 287.954 above rule_upper 284.65" in found


def test_rule_violation():
    inst = INST.with_changes(rule_upper=INST.rule_upper * 0 + 1.0)
    assert "rule 'group_a'" in " ".join(check_plan(inst, inst.baseline).violations)


def test_mapping_plans_are_accepted():
    assert check_plan(INST, dict(zip(INST.activities, INST.baseline))).feasible
    assert np.isfinite(check_plan(INST, INST.baseline).total_spend)


# --------------------------------------------------------------------------- tolerances relative to what they check
def _uncapped(cap: float) -> Instance:
    """$3M per activity, a budget of the baseline total, the second activity's upper bound at ``cap``, a rule on
    both of at most 6,200,000 − 100 (so the budget, not the rule, binds first... until the rule is tested alone)."""
    return Instance(activities=("tv", "search"), baseline=np.array([3e6, 3e6]), lower=np.zeros(2),
                    upper=np.array([6e6, cap]), min_change=np.array([1e3, 1e3]), quad=np.array([-1e-9, -1e-9]),
                    lin=np.array([0.5, 2.0]), const=np.zeros(2), budget_upper=1.0, max_changes=2, name="uncapped",
                    rules=("media",), rule_index=np.zeros(2, np.int64), rule_activity=np.arange(2),
                    rule_coef=np.array([1.0, 0.5]), rule_lower=np.array([-np.inf]), rule_upper=np.array([4.6e6]))


@pytest.mark.parametrize("cap", [6e6, 3e9, 1e12], ids=["capped", "1000x", "no cap"])
def test_the_budget_tolerance_is_relative_to_the_budget(cap):
    """Issue 44: at 1000× the baseline the tolerance was 1e-6 of the sum of the upper bounds (3,006 here), and a plan
    overspending the budget by 3,000 was accepted. The tolerance is 1e-6 of the budget (6) whatever the caps."""
    inst = _uncapped(cap)
    assert budget_tolerance(inst) == pytest.approx(6.0)
    over = inst.baseline + np.array([-1e3, 1e3 + 3000.0])
    assert "above the budget" in " ".join(check_plan(inst, over).violations)
    within = inst.baseline + np.array([-1e3, 1e3 + 5.0])
    assert check_plan(inst, within).feasible


@pytest.mark.parametrize("cap", [6e6, 1e12], ids=["capped", "no cap"])
def test_a_rule_tolerance_is_relative_to_its_level(cap):
    inst = _uncapped(cap)
    at = inst.baseline + np.array([-1e5, 1e5])           # level 2.95e6 + 1.55e6 = 4.55e6, under 4.6e6
    assert check_plan(inst, at).feasible
    level = 4.6e6
    step = (level - 3e6 + 2e4) / 0.5                      # search up, tv down by 2e4: the rule's level at its limit
    plan = lambda extra: inst.baseline + np.array([-2e4, step - 3e6 + extra])
    assert abs(inst.rule_activity_of(plan(0.0))[0] - level) < 1e-6 * level
    over_rule = inst.with_changes(budget_upper=2.0)          # the rule alone binds
    assert "rule 'media'" in " ".join(check_plan(over_rule, plan(2 * 100.0 / 0.5)).violations)    # 100 over 4.6e6
    assert check_plan(over_rule, plan(2 * 1.0 / 0.5)).feasible                                     # 1 over: within


def test_a_bound_tolerance_is_relative_to_that_activity_beside_a_huge_one():
    """An activity of $0.04 beside one uncapped at 1e12: its spend is checked against its own scale."""
    inst = Instance(activities=("tiny", "huge"), baseline=np.array([0.04, 1e6]), lower=np.array([0.02, 0.0]),
                    upper=np.array([0.05, 1e12]), min_change=np.zeros(2), quad=np.array([-1.0, -1e-9]),
                    lin=np.array([1.0, 1.0]), const=np.zeros(2), budget_upper=1.0, max_changes=2, name="mixed")
    x = inst.baseline.copy()
    x[0] = 0.05 * (1 + 1e-4)
    x[1] -= 0.01
    assert "'tiny'" in " ".join(check_plan(inst, x).violations)
    x[0] = 0.05 * (1 + 1e-8)
    assert check_plan(inst, x).feasible
    assert magnitude(inst)[1] == pytest.approx(1e6 + 0.02)      # what the budget lets it reach: 1e12 sets no scale
