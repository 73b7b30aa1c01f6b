"""The chord heuristic gives feasible starting plans, and a start never changes the optimum."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.chord import chord_coefficients, chord_start, fewest_changes
from mmo_pyomo.mix.runner import solve

from helpers import random_instance, scaled


def test_chords_meet_the_revenue_curve_at_both_ends_of_each_region():
    inst = random_instance(12, seed=3)
    r, a, b = inst.regions, inst.quad, inst.lin
    slope_dec, icept_dec, slope_inc, icept_inc = chord_coefficients(inst)
    for ends, slope, icept, present in (((r.dec_lower, r.dec_upper), slope_dec, icept_dec, r.has_dec),
                                        ((r.inc_lower, r.inc_upper), slope_inc, icept_inc, r.has_inc)):
        for end in ends:
            curve = a * end ** 2 + b * end
            np.testing.assert_allclose((slope * end + icept)[present], curve[present], rtol=1e-9, atol=1e-9)
        middle = (ends[0] + ends[1]) / 2        # concave curve: the chord lies below it inside the region
        assert np.all((slope * middle + icept)[present] <= (a * middle ** 2 + b * middle)[present] + 1e-9)


@pytest.mark.parametrize("seed", [1, 2])
def test_chord_start_is_feasible_and_a_start_keeps_the_optimum(seed):
    # budget at 95–97% of the baseline: the baseline plan itself is infeasible
    inst = random_instance(16, seed=seed, budget=(0.90, 0.97))
    assert not check_plan(inst, inst.baseline).feasible
    start = chord_start(inst, time_limit=60)
    check = check_plan(inst, inst.baseline + start.delta)
    assert check.feasible, check.summary()
    assert start.revenue == pytest.approx(check.revenue, rel=1e-12)
    assert start.revenue >= start.chord_revenue - 1e-9          # polishing never loses revenue
    cold = solve(inst, "misocp", time_limit=120)
    warm = solve(inst, "misocp", time_limit=120, start=start.delta)
    assert cold.status == warm.status == "optimal"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-6)
    assert start.revenue <= cold.objective + 1e-6 * abs(cold.objective)


def test_chord_start_runs_on_highs():
    pytest.importorskip("highspy")
    inst = random_instance(16, seed=4, budget=(0.90, 0.97))
    start = chord_start(inst, milp_solver="highs", time_limit=60)
    assert check_plan(inst, inst.baseline + start.delta).feasible


def test_chord_start_without_a_feasible_plan_says_so():
    from mmo_pyomo.errors import InfeasibleInstanceError
    inst = random_instance(10, seed=5, budget=(0.80, 0.85), k_fraction=1.0)
    level = np.bincount(inst.rule_index, weights=inst.rule_coef * inst.baseline[inst.rule_activity])
    inst = inst.with_changes(rule_lower=0.999 * level)   # the groups may not shrink: 15% cannot be cut
    with pytest.raises(InfeasibleInstanceError) as err:
        chord_start(inst, time_limit=30)
    assert "no plan meets the budget, the group rules" in err.value.cause and "max_changes" in err.value.fix


def test_cli_chord_start_on_a_budget_cut(tmp_path, capsys):
    from mmo_pyomo.cli.main import main
    from mmo_pyomo.instance.dat import write_dat
    path = write_dat(random_instance(16, seed=1, budget=(0.90, 0.97)), tmp_path / "cut.dat")
    assert main(["solve", "--data", str(path), "--formulation", "hull", "--start", "chord"]) == 0
    out = capsys.readouterr().out
    assert "chord start     revenue" in out and "status          optimal" in out
    assert "(which breaks the budget or a rule here)" in out    # the lift compares with a plan not allowed


def test_the_polish_qp_runs_on_highs_and_agrees_with_scip():
    pytest.importorskip("highspy")
    inst = random_instance(16, seed=2, budget=(0.90, 0.97))
    on_scip = chord_start(inst, milp_solver="scip", qp_solver="scip", time_limit=60)
    on_highs = chord_start(inst, milp_solver="scip", qp_solver="highs", time_limit=60)
    assert on_highs.chord_revenue == pytest.approx(on_scip.chord_revenue, rel=1e-9)   # the same MILP plan
    assert on_highs.revenue == pytest.approx(on_scip.revenue, rel=1e-6)               # the same convex QP
    assert check_plan(inst, inst.baseline + on_highs.delta).feasible


def test_a_size_limited_engine_gives_a_licence_error_not_a_traceback():
    from mmo_pyomo.errors import LicenceLimitError
    from mmo_pyomo.mix.instances import paper_instance

    from engine_matrix import require_engine
    if require_engine("cplex") != "size-limited":
        pytest.skip("CPLEX has a full licence here: no size limit to hit")
    inst = paper_instance(300, "weak", 0.1, 0.5, seed=1)      # 1,800 MILP columns: over the Community Edition
    with pytest.raises(LicenceLimitError) as err:
        chord_start(inst, milp_solver="cplex", time_limit=30)
    assert "over the licence's size limit" in err.value.cause and "--start-solver scip" in err.value.fix


@pytest.mark.parametrize("formulation", ["misocp", "hull"])
def test_a_solve_stopped_before_it_reads_its_start_keeps_the_start(formulation):
    """SCIP given no time returns no plan of its own; the checked start is then the result."""
    inst = random_instance(40, 3)
    start = chord_start(inst)
    result = solve(inst, formulation, "scip", time_limit=0, start=start.delta)
    assert result.status == "feasible" and "checked start" in result.message
    assert result.objective == pytest.approx(start.revenue, rel=1e-12)
    assert check_plan(inst, result.plan).feasible
    assert solve(inst, formulation, "scip", time_limit=0).objective is None     # without a start: no plan


@pytest.mark.parametrize("magnitude", [(1.0, 1.0), (1e6, 1e6)], ids=["unit", "millions"])
def test_fewest_changes_is_the_smallest_k_that_admits_a_plan(magnitude):
    """The budget alone could be met with 2 changes, but the group rules need 3: the fewest-changes MILP proves 3
    and gives a plan with 3, at spends near 10⁷ and curvatures near 10⁻⁸ as at unit scale; independently, the
    MISOCP on SCIP finds K = 2 infeasible and K = 3 feasible."""
    from mmo_pyomo.mix.pareto_curve import smallest_budget_feasible_k
    inst = scaled(random_instance(14, seed=3, budget=(0.85, 0.92), k_fraction=1.0), *magnitude)
    assert smallest_budget_feasible_k(inst) == 2
    fewest = fewest_changes(inst)
    assert fewest.proved and fewest.lower_bound == fewest.n_changes == 3
    at_3 = inst.with_changes(max_changes=3)
    check = check_plan(at_3, at_3.baseline + fewest.delta)
    assert check.feasible and check.revenue == pytest.approx(fewest.revenue, rel=1e-12)
    assert solve(inst.with_changes(max_changes=2), "misocp").status == "infeasible"
    best = solve(at_3, "misocp", mip_gap=0.0)
    assert best.status == "optimal" and fewest.revenue <= best.objective * (1 + 1e-9)


def test_fewest_changes_without_any_plan_says_so():
    from mmo_pyomo.errors import InfeasibleInstanceError
    inst = random_instance(10, seed=5, budget=(0.80, 0.85), k_fraction=1.0)
    level = np.bincount(inst.rule_index, weights=inst.rule_coef * inst.baseline[inst.rule_activity])
    inst = inst.with_changes(rule_lower=0.999 * level)
    with pytest.raises(InfeasibleInstanceError) as err:
        fewest_changes(inst, time_limit=30)
    assert "with any number of changes" in err.value.cause
