"""The §4.1 generator is deterministic, valid, and writes what it says."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.instance import load_instance, validate
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.instances import CORRELATIONS, example_instance, paper_instance
from mmo_pyomo.mix.runner import solve

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("correlation", CORRELATIONS)
def test_deterministic_and_valid(correlation):
    a = paper_instance(200, correlation, 0.10, 0.75, seed=3)
    b = paper_instance(200, correlation, 0.10, 0.75, seed=3)
    c = paper_instance(200, correlation, 0.10, 0.75, seed=4)
    validate(a)
    for f in ("baseline", "lower", "upper", "quad", "lin", "const", "rule_coef", "rule_upper"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    assert not np.array_equal(a.baseline, c.baseline)
    assert a.max_changes == 150 and a.budget_lower == 0.99 and a.budget_upper == 1.01
    assert len(a.rules) == 2 and np.allclose(a.min_change, np.round(0.10 * a.baseline, 2))


def test_strong_correlation_ties_profit_to_weight():
    inst = paper_instance(100, "strong", seed=1)
    w = inst.rule_coef.reshape(2, -1).mean(axis=0)
    np.testing.assert_allclose(inst.lin, np.round(2 * (w + 10) / 100, 2))


def test_cli_writes_the_same_instance(tmp_path):
    out = tmp_path / "x.dat"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate.py"), "--n", "50", "--correlation",
                           "weak", "--min-change", "0.2", "--max-changes", "0.5", "--seed", "2", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(load_instance(out).lin, paper_instance(50, "weak", 0.2, 0.5, 2).lin)


def test_example_file_is_the_generated_example():
    on_disk = load_instance(EXAMPLE_DAT)
    np.testing.assert_allclose(on_disk.baseline, example_instance().baseline)


def test_planned_retail_baseline_is_the_planning_optimum():
    """The planned baseline earns more than the draft under the same rules and budget, and its
    marginal returns are more even (balanced against the rules)."""
    from mmo_pyomo.mix.instances import retail_instance
    small = dict(subgroups=10, store_groups=2, weeks=4, seed=3)
    draft = retail_instance(**small, baseline="random")
    planned = retail_instance(**small)
    assert planned.n == draft.n and planned.rules == draft.rules
    assert planned.total_baseline == pytest.approx(draft.total_baseline, abs=0.01 * draft.n)   # the budget binds
    shift = planned.baseline - draft.baseline
    assert draft.revenue(shift).sum() > draft.const.sum()                      # the planning model gained
    assert planned.const == pytest.approx(draft.revenue(shift), abs=0.006)
    assert np.std(planned.lin) < np.std(draft.lin)
    relaxed = planned.with_changes(budget_upper=1.0)             # this small case cannot cut 10% with K = 25%
    r = solve(relaxed, "hull", "scip", time_limit=60)
    assert r.ok and check_plan(relaxed, r.plan).feasible
