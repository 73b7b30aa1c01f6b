"""Lagrangian bounds per activity and region, and the fixing they allow: valid on instances solved exactly."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.mix.checker import regions_of
from mmo_pyomo.mix.chord import chord_start
from mmo_pyomo.mix.lagrangian import coupling_rows, evaluate, solve_dual
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.mix.pipeline import plan
from mmo_pyomo.mix.relaxation import root_bound
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.model_library import get_formulation
from mmo_pyomo.solvers.registry import get_engine

from helpers import random_instance

EXAMPLE = load_instance(EXAMPLE_DAT)
CASES = [EXAMPLE, random_instance(20, 1), random_instance(40, 2), random_instance(60, 3)]


@pytest.fixture(scope="module", params=CASES, ids=[c.name for c in CASES])
def case(request):
    inst = request.param
    optimum = solve(inst, "hull", "scip", mip_gap=0.0)
    assert optimum.status == "optimal"
    start = chord_start(inst)
    bound = solve_dual(inst)
    return inst, optimum, start, bound


def test_every_multiplier_gives_a_bound_and_the_dual_reaches_the_hull(case):
    inst, optimum, _, bound = case
    rows = coupling_rows(inst)
    rng = np.random.default_rng(0)
    for _ in range(20):                       # weak duality: any λ ≥ 0 bounds the optimum
        up, down = rng.exponential(0.5, rows.m), rng.exponential(0.5, rows.m)
        assert evaluate(inst, rows, up, down, float(rng.exponential(1.0))).value >= optimum.objective * (1 - 1e-12)
    assert bound.value >= optimum.objective * (1 - 1e-12)
    # the Lagrangian dual of the separable problem is the hull relaxation (one convex hull per activity)
    assert bound.value == pytest.approx(root_bound(inst, "hull", "scip"), rel=1e-5)


def test_fixing_keeps_the_optimum_and_fixes_no_optimal_region(case):
    inst, optimum, start, bound = case
    mask = bound.fixed_away(start.revenue, keep=regions_of(inst, start.delta))
    assert mask.sum() > 0, "nothing fixed: the test would not test the fixing"
    best = regions_of(inst, optimum.delta)
    assert not mask[np.arange(inst.n), best].any(), "a fixed region holds the optimal plan"
    fixed = solve(inst, "hull", "scip", mip_gap=0.0, start=start.delta, fixed_away=mask)
    assert fixed.status == "optimal" and fixed.fixed_regions == int(mask.sum())
    assert fixed.objective == pytest.approx(optimum.objective, rel=1e-9)
    assert fixed.bound >= optimum.objective * (1 - 1e-9)
    # each fixed region, forced: no plan that takes it earns the start's revenue (a sample of them)
    run = ModelRun(inst, get_formulation("hull"), get_engine("scip"))
    indicators = run.region_indicators()
    forced = 0
    for k, j in list(zip(*np.nonzero(mask)))[:6]:
        var = indicators[j][inst.activities[k]]
        var.fix(1)
        stats = run.solve()
        var.unfix()
        assert stats.status in ("optimal", "infeasible"), stats.message
        if stats.status == "optimal":
            _, check = run.checked_plan()          # (with min_change 0 the forced region may hold δ = 0)
            assert check.feasible
            assert check.revenue <= bound.region_bound[k, j] * (1 + 1e-9) + 1e-9      # the region's bound holds
            assert check.revenue < start.revenue, (k, j, check.revenue, start.revenue)
            forced += 1
    assert forced or mask.sum() == 0


@pytest.mark.parametrize("formulation,solver", [("hull", "scip"), ("hull_oa", "highs")])
def test_fixing_in_the_pipeline_reports_and_keeps_the_answer(formulation, solver):
    """(hull_oa also gets the tangents at the Lagrangian relaxation's points there.)"""
    planned = plan(EXAMPLE, formulation, solver, start="chord", fix=True)
    record = planned.to_dict()["fixing"][0]
    assert record["after"] == "start" and record["fixed"] == planned.result.fixed_regions > 0
    assert record["lagrangian_bound"] >= planned.result.objective
    assert planned.result.objective == pytest.approx(6405.214, abs=1e-3) and planned.result.status == "optimal"


def test_fixings_survive_the_improvement_neighbourhoods():
    inst = CASES[2]
    start = chord_start(inst)
    bound = solve_dual(inst)
    mask = bound.fixed_away(start.revenue, keep=regions_of(inst, start.delta))
    run = ModelRun(inst, get_formulation("hull"), get_engine("scip"))
    count = run.fix_away(mask)
    assert count == int(mask.sum())
    indicators = run.region_indicators()
    everything = [v for var in indicators for v in var.values()]
    run.unfix(everything)                                    # what a neighbourhood does when it ends
    still = sum(1 for var in indicators for v in var.values() if v.fixed)
    assert still == count


def test_a_fixing_that_removes_the_start_is_refused():
    inst = CASES[1]
    start = chord_start(inst)
    mask = np.zeros((inst.n, 3), bool)
    mask[np.arange(inst.n), regions_of(inst, start.delta)] = True
    with pytest.raises(MMOError, match="removes the start's own region"):
        solve(inst, "hull", "scip", start=start.delta, fixed_away=mask)
    with pytest.raises(MMOError, match="needs the plan"):
        solve(inst, "hull", "scip", fixed_away=np.zeros((inst.n, 3), bool))


@pytest.mark.parametrize("formulation", ["minlp", "miqp", "perspective", "misocp", "hull_oa"])
def test_every_formulation_takes_the_fixing_and_keeps_the_optimum(formulation):
    """The fixing is a property of the instance and a plan: the region formulations fix the indicators to 0, the
    MINLP (no region indicators) gets the spend change's bounds and its change indicator instead."""
    inst = random_instance(20, 1)
    optimum = solve(inst, "hull", "scip", mip_gap=0.0)
    start = chord_start(inst)
    mask = solve_dual(inst).fixed_away(start.revenue, keep=regions_of(inst, start.delta))
    assert mask.sum() > 0
    fixed = solve(inst, formulation, "scip", mip_gap=0.0, start=start.delta, fixed_away=mask)
    assert fixed.fixed_regions == int(mask.sum())
    assert fixed.objective == pytest.approx(optimum.objective, rel=1e-7)
    if formulation != "minlp":                     # SCIP proves the convex ones; the MINLP's bound is SCIP's too
        assert fixed.status == "optimal"


def test_tangents_at_the_lagrangian_points_make_the_oa_root_as_tight_as_the_hull(case):
    """With a tangent at each region's best point at the dual's multipliers, hull_oa's LP relaxation is bounded by
    the Lagrangian value (weak duality on the OA model), and it still bounds the hull's relaxation from above."""
    inst, optimum, _, bound = case
    from mmo_pyomo.mix.relaxation import relaxed_run
    from mmo_pyomo.solvers.options import SolveOptions
    hull = root_bound(inst, "hull", "scip")
    plain = relaxed_run(inst, "hull_oa", "highs").solve(SolveOptions())
    cut = relaxed_run(inst, "hull_oa", "highs", cut_at=bound.cut_points()).solve(SolveOptions())
    assert plain.status == cut.status == "optimal"
    assert hull * (1 - 1e-7) <= cut.bound <= bound.value * (1 + 1e-9)
    assert cut.bound <= plain.bound * (1 + 1e-12)
    assert optimum.objective <= cut.bound * (1 + 1e-12)
    dec, inc = bound.cut_points()
    assert (dec <= 0).all() and (inc >= 0).all()
    assert (dec[~inst.regions.has_dec] == 0).all() and (inc[~inst.regions.has_inc] == 0).all()
