"""The independent checker finds every kind of violation."""
from __future__ import annotations

import numpy as np

from mmo_pyomo.mix.checker import check_plan

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
