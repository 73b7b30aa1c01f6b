"""Bad input gets a clear error that names the activity or rule and the field."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo.errors import DataError, InfeasibleInstanceError
from mmo_pyomo.instance import load_instance, region_bounds, validate, write_dat
from mmo_pyomo.instance.dat import dat_text
from mmo_pyomo.instance.reach import level_range, rows_of

from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent


def _with(inst, field, k, value):
    arr = getattr(inst, field).copy()
    arr[k] = value
    return inst.with_changes(**{field: arr})


BASE = random_instance(6, 0, rules=True)

BAD = [
    ("baseline below lower", _with(BASE, "baseline", 1, BASE.lower[1] - 1), DataError, ["act1", "baseline", "lower"]),
    ("baseline above upper", _with(BASE, "baseline", 2, BASE.upper[2] + 1), DataError, ["act2", "baseline", "upper"]),
    ("lower above upper", _with(_with(BASE, "lower", 3, 500), "baseline", 3, 500), DataError, ["act3", "lower", "upper"]),
    ("negative min_change", _with(BASE, "min_change", 4, -1.0), DataError, ["act4", "min_change"]),
    ("convex revenue", _with(BASE, "quad", 5, 0.01), DataError, ["act5", "quad", "concave"]),
    ("negative max_changes", BASE.with_changes(max_changes=-1), DataError, ["max_changes"]),
    ("budget out of reach", BASE.with_changes(budget_upper=0.2, budget_lower=0.0), InfeasibleInstanceError,
     ["budget", "budget_upper"]),
    ("budget lower out of reach", BASE.with_changes(budget_lower=1.9, budget_upper=2.0), InfeasibleInstanceError,
     ["budget_lower"]),
]


@pytest.mark.parametrize("label,inst,error,words", BAD, ids=[b[0] for b in BAD])
def test_bad_instance_raises_named_error(label, inst, error, words):
    with pytest.raises(error) as info:
        validate(inst)
    for w in words:
        assert w in str(info.value)
    assert info.value.fix  # every error says what to do


def test_budget_check_counts_only_k_changes():
    # the budget is reachable with every activity at its lower bound, but not with K = 1 change
    raw = region_bounds(BASE.baseline, BASE.lower, BASE.upper, BASE.min_change)   # the bounds as given, not as reached
    lowest = BASE.baseline.sum() + raw.dec_lower.sum()   # every decrease taken
    reachable = lowest / BASE.baseline.sum() + 0.001
    inst = BASE.with_changes(budget_upper=reachable, budget_lower=0.0, max_changes=1)
    with pytest.raises(InfeasibleInstanceError, match="at most 1 changes"):
        validate(inst)
    validate(inst.with_changes(max_changes=6))


def _dat(tmp_path, text, name="bad.dat"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_unknown_activity_in_rule_coef(tmp_path):
    text = dat_text(BASE).replace("param rule_coef :=\n", "param rule_coef :=\ngroup_a ghost 1.0\n")
    with pytest.raises(DataError, match="unknown activity 'ghost'"):
        load_instance(_dat(tmp_path, text))


def test_missing_parameter(tmp_path):
    text = "\n".join(l for l in dat_text(BASE).splitlines() if not l.startswith("param max_changes"))
    with pytest.raises(DataError, match="missing parameter 'max_changes'"):
        load_instance(_dat(tmp_path, text))


def test_non_integer_max_changes(tmp_path):
    text = dat_text(BASE).replace(f"param max_changes := {BASE.max_changes} ;", "param max_changes := 2.5 ;")
    with pytest.raises(DataError, match="max_changes = 2.5 is not a non-negative integer"):
        load_instance(_dat(tmp_path, text))


def test_missing_activity_value(tmp_path):
    text = dat_text(BASE).replace(":=\nact0 ", ":=\nact0x ", 1)
    with pytest.raises(DataError, match="act0"):
        load_instance(_dat(tmp_path, text))


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("label,inst,error,words", BAD[:7], ids=[b[0] for b in BAD[:7]])
def test_cli_exits_nonzero_without_traceback(tmp_path, label, inst, error, words):
    path = write_dat(inst, tmp_path / "bad.dat")
    out = tmp_path / "result.json"
    proc = _cli("--data", str(path), "--json", str(out))
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr + proc.stdout
    assert proc.stderr.startswith("error: ") and "fix:" in proc.stderr
    assert not out.exists()  # nothing half-written


def test_cli_missing_file_and_unknown_formulation(tmp_path):
    for args, word in ((["--data", str(tmp_path / "nope.dat")], "does not exist"),
                       (["--formulation", "nope"], "unknown formulation")):
        proc = _cli(*args)
        assert proc.returncode != 0 and word in proc.stderr and "Traceback" not in proc.stderr


def test_infeasible_rules_reported_by_the_solver(tmp_path):
    # each rule's level is reachable alone (99% of the most its K changes can give it), not both with the budget
    most = np.array([level_range(BASE, idx, g)[1] for idx, g, _, _ in list(rows_of(BASE))[1:]])
    assert np.allclose(most, [295.7765, 170.0996])
    inst = BASE.with_changes(rule_lower=most * 0.99, rule_upper=most * 1.01, budget_lower=0.0, budget_upper=1.0)
    validate(inst)
    proc = _cli("--data", str(write_dat(inst, tmp_path / "inf.dat")))
    assert proc.returncode == 3 and "infeasible" in proc.stderr and "Traceback" not in proc.stderr


def test_negative_spend_bound_is_refused():
    inst = random_instance(8, 1)
    bad = inst.with_changes(lower=inst.lower - inst.baseline - 50.0)
    with pytest.raises(DataError, match="lower = .* is negative"):
        validate(bad)


def test_checker_rejects_nan_and_unknown_keys():
    import numpy as np

    from mmo_pyomo.mix.checker import check_plan
    inst = random_instance(8, 1)
    x = inst.baseline.copy()
    x[2] = np.nan
    check = check_plan(inst, x)
    assert not check.feasible and "act2" in check.violations[0] and "not a finite number" in check.violations[0]
    plan = dict(zip(inst.activities, inst.baseline.tolist()))
    with pytest.raises(DataError, match="unknown activity 'ghost'"):
        check_plan(inst, {**plan, "ghost": 1.0})
    with pytest.raises(DataError, match="one spend per activity"):
        check_plan(inst, inst.baseline[:-1])


@pytest.mark.parametrize("args,words", [
    (["--gap", "2"], "relative gap must lie in [0, 1)"),
    (["--time-limit", "-1"], "must be ≥ 0 seconds"),
    (["--threads", "0"], "whole number ≥ 1"),
    (["--formulation", "all", "--json", "x.json"], "--json, --plan and --page write one solve's result"),
])
def test_cli_range_checks_before_any_work(args, words):
    proc = _cli(*args)
    assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr


def _with_rule(inst, name, terms, lower=-np.inf, upper=np.inf):
    """``inst`` with one more rule ``name`` of ``terms`` (activity position, coefficient) and the given levels."""
    r = len(inst.rules)
    return inst.with_changes(
        rules=(*inst.rules, name), rule_lower=np.append(inst.rule_lower, lower), rule_upper=np.append(inst.rule_upper, upper),
        rule_index=np.append(inst.rule_index, [r] * len(terms)).astype(np.int64),
        rule_activity=np.append(inst.rule_activity, [k for k, _ in terms]).astype(np.int64),
        rule_coef=np.append(inst.rule_coef, [g for _, g in terms]))


#: Rules no plan can meet, each for its own reason: no terms, only zero coefficients, terms whose activities' bounds
#: (and K) keep the level below its lower limit or above its upper one, and a negative coefficient that does the same.
UNREACHABLE_RULES = [
    ("no terms", [], 5.0, np.inf, "no term with a nonzero coefficient"),
    ("zero coefficients", [(0, 0.0), (2, 0.0)], 5.0, np.inf, "no term with a nonzero coefficient"),
    ("no terms, upper below 0", [], -np.inf, -1.0, "no term with a nonzero coefficient"),
    ("above the reach", [(0, 1.0), (2, 1.0)], 1e6, np.inf, "highest level"),
    ("below the reach", [(0, 1.0), (2, 1.0)], -np.inf, 1.0, "lowest level"),
    ("negative coefficient", [(1, -1.0)], 0.0, np.inf, "highest level"),
]


@pytest.mark.parametrize("label,terms,lower,upper,words", UNREACHABLE_RULES, ids=[u[0] for u in UNREACHABLE_RULES])
def test_a_rule_no_plan_can_meet_is_refused_before_the_solve(label, terms, lower, upper, words):
    inst = _with_rule(BASE, "never", terms, lower, upper)
    with pytest.raises(InfeasibleInstanceError, match=words) as err:
        validate(inst)
    assert "'never'" in err.value.cause and "never" in err.value.fix


def test_a_rule_that_the_bounds_reach_only_with_every_change_is_kept():
    """The reach counts K: a level one change cannot reach is refused at K = 1 and kept at K = 2 (where its plan is
    the optimum's business)."""
    a, b = BASE.baseline[0], BASE.baseline[3]                               # both can rise (Table 1's R⁺)
    rises = sorted([BASE.upper[0] - a, BASE.upper[3] - b])
    need = a + b + rises[1] + 0.5 * rises[0]                                 # both must rise
    inst = _with_rule(BASE.with_changes(rules=(), rule_lower=np.zeros(0), rule_upper=np.zeros(0),
                                        rule_index=np.zeros(0, np.int64), rule_activity=np.zeros(0, np.int64),
                                        rule_coef=np.zeros(0), budget_upper=2.0, budget_lower=0.0),
                      "both", [(0, 1.0), (3, 1.0)], need)
    with pytest.raises(InfeasibleInstanceError, match="with at most 1 changes"):
        validate(inst.with_changes(max_changes=1))
    validate(inst.with_changes(max_changes=2))


def test_a_rule_without_terms_exits_3_from_the_command(tmp_path):
    """The round-2 case: a rule with no terms and rule_lower 5 in a .dat; exit 3 before any solve, naming the rule."""
    text = dat_text(BASE).replace("set RULES := ", "set RULES := empty ")
    text += "\nparam rule_lower := empty 5 ;\n"
    path = tmp_path / "empty_rule.dat"
    path.write_text(text)
    proc = _cli("--data", str(path))
    assert proc.returncode == 3, proc.stderr
    assert "infeasible rule 'empty'" in proc.stderr and "Traceback" not in proc.stderr
