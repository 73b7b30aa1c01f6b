"""The worked one-activity example of formulations/README.md, checked number by number."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.relaxation import root_bound
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.model_library import FORMULATIONS

ONE = Instance(activities=("tv",), baseline=np.array([10.0]), lower=np.array([4.0]), upper=np.array([16.0]),
               min_change=np.array([2.0]), quad=np.array([-0.5]), lin=np.array([1.5]), const=np.array([20.0]),
               budget_upper=1.6, max_changes=1, name="one_activity")


@pytest.mark.parametrize("formulation", list(FORMULATIONS))
def test_integer_optimum_is_21(formulation):
    r = solve(ONE, formulation)
    assert r.objective == pytest.approx(21.0, abs=1e-6)
    assert r.plan["tv"] == pytest.approx(12.0, abs=1e-6)


@pytest.mark.parametrize("formulation,bound", [("minlp", 21.125), ("miqp", 21.125), ("perspective", 21.125),
                                               ("misocp", 21.125), ("hull", 21.0), ("hull_oa", 21.0)])
def test_root_bounds_with_both_regions(formulation, bound):
    assert root_bound(ONE, formulation) == pytest.approx(bound, rel=1e-6)   # cone tolerances: 6 digits


@pytest.mark.parametrize("formulation,bound", [("minlp", 21.125), ("miqp", 21.125), ("perspective", 21.0),
                                               ("misocp", 21.0), ("hull", 21.0), ("hull_oa", 21.0)])
def test_root_bounds_without_the_decrease_region(formulation, bound):
    only_up = ONE.with_changes(lower=np.array([10.0]))
    assert root_bound(only_up, formulation) == pytest.approx(bound, rel=1e-6)


def _one_tangent_run(relaxed: bool = False):
    from mmo_pyomo.mix.model_run import ModelRun
    from mmo_pyomo.model_library import get_formulation
    from mmo_pyomo.solvers.registry import get_engine
    return ModelRun(ONE, get_formulation("hull_oa"), get_engine("highs"), relaxed=relaxed,
                    build_options={"tangents": 1})       # d̂ = ±4, the middle of each region


def test_one_tangent_at_the_middle_gives_a_root_bound_of_23():
    stats = _one_tangent_run(relaxed=True).solve()
    assert stats.bound == pytest.approx(23.0, abs=1e-6)


def test_refinement_adds_the_tangent_at_2_and_proves_21():
    import pyomo.environ as pyo

    from mmo_pyomo.mix.runner import _solve_refining
    from mmo_pyomo.solvers.options import SolveOptions
    run = _one_tangent_run()
    model = run.model
    stats, delta = _solve_refining(run, SolveOptions(time_limit=60, mip_gap=1e-6), None)
    assert delta[0] == pytest.approx(2.0) and stats.objective == pytest.approx(21.0)
    assert stats.bound == pytest.approx(21.0, abs=1e-6)
    assert "2 round(s), 1 tangent(s)" in stats.message
    # the tangent of g(δ) = −0.5δ² + 1.5δ at 2: w ≤ (g(2) − 2g′(2))·z + g′(2)·δ = 2z − 0.5δ, so w ≤ 1 = g(2)
    (cut,) = model.tangent_refinements.values()
    model.d_inc["tv"].set_value(2.0 / ONE.units.spend[0])     # δ⁺ = 2, in the model's units (δ = s·d)
    model.z_inc["tv"].set_value(1)
    assert pyo.value(model.delta_inc["tv"]) == pytest.approx(2.0) and ONE.units.revenue == 1.0

    def holds(w: float) -> bool:                          # w in revenue, the model's w_inc in units of R_i
        model.w_inc["tv"].set_value(w / ONE.units.change[0])
        body = pyo.value(cut.body)
        return (cut.lb is None or body >= cut.lb - 1e-9) and (cut.ub is None or body <= cut.ub + 1e-9)
    assert holds(1.0) and not holds(1.01)


def test_worked_michaelis_menten_activity_of_section_7_1():
    """r(x) = 300x/(100 + x), x̄ = 100: the tangent at δ = 100 is w ≤ 16.67z + δ/3, loose at δ = 40."""
    from mmo_pyomo.curves.curve_files import with_curves
    from mmo_pyomo.curves.families import ResponseCurves
    curves = ResponseCurves.from_rows(("tv",), {"tv": {"family": "michaelis_menten", "beta": 300, "k": 100}}, {}, "t")
    inst = with_curves(ONE.with_changes(baseline=np.array([100.0]), lower=np.array([50.0]), upper=np.array([200.0]),
                                        min_change=np.array([10.0])), curves)
    assert inst.const[0] == pytest.approx(150.0)
    d = np.array([100.0])
    g = inst.revenue(d)[0] - inst.const[0]
    slope = inst.revenue_slope(d)[0]
    assert (g, slope, g - slope * 100) == pytest.approx((50.0, 1 / 3, 50 - 100 / 3))
    assert (g - slope * 100) + slope * 40 == pytest.approx(30.0)                   # the cut at δ = 40
    assert inst.revenue(np.array([40.0]))[0] - 150 == pytest.approx(25.0)          # the curve there
    assert inst.revenue_slope(np.array([40.0]))[0] == pytest.approx(0.52083, abs=1e-5)
    r = solve(inst, "hull_oa", "highs")
    assert r.ok and r.bound >= r.objective


def test_lagrangian_region_bounds_of_section_11():
    """§11: L = 21, and the regions' bounds are B⁻ = 15, B⁰ = 20, B⁺ = 21; against the plan δ = 2 the keep and
    decrease regions are fixed away."""
    from mmo_pyomo.mix.lagrangian import solve_dual
    bound = solve_dual(ONE)
    assert bound.value == pytest.approx(21.0, abs=1e-9)
    np.testing.assert_allclose(bound.region_bound[0], [15.0, 20.0, 21.0], atol=1e-9)
    assert bound.fixed_away(21.0, keep=np.array([2])).tolist() == [[True, True, False]]


@pytest.mark.parametrize("formulation", ["miqp", "hull", "hull_oa"])
def test_a_price_of_one_keeps_the_baseline_of_section_12(formulation):
    """mroi:1 on §8's activity: keeping x̄ nets 20 − 10 = 10, the increase δ = 2 nets 21 − 12 = 9, δ = −2 nets 7."""
    r = solve(ONE, formulation, "scip", target="mroi:1", mip_gap=1e-9).raise_for_status()
    assert r.objective == pytest.approx(10.0, abs=1e-6) and r.plan["tv"] == pytest.approx(10.0)
    assert solve(ONE, formulation, "scip").raise_for_status().plan["tv"] == pytest.approx(12.0)
