"""Targets instead of a budget (``--target response:V | roi:R | mroi:M``): real solves on several formulations and
engines, checked against the plain revenue problem they are equivalent to, at the paper's magnitudes and at
users' (budgets in tens of millions, curvatures near 10⁻⁹)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo import solve
from mmo_pyomo.curves.examples import curve_instance
from mmo_pyomo.errors import InfeasibleInstanceError, MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.targets import Target, parse_target, with_target
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.pipeline import plan

from engine_matrix import engine_state
from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent
GAP = 1e-6
INST = random_instance(12, 3, rules=True, k_fraction=0.5)

#: (formulation, engine) pairs that take a target row; hull_oa on both MIP engines of the base install.
ROW_SOLVERS = [("misocp", "scip"), ("hull", "scip"), ("hull_oa", "highs"), ("hull_oa", "scip")]


def scaled(inst: Instance, lam: float, mu: float) -> Instance:
    """Spends × λ and revenues × μ: x' = λx, a' = μa/λ², b' = μb/λ, c' = μc (plans map to plans, δ' = λδ)."""
    return inst.with_changes(baseline=inst.baseline * lam, lower=inst.lower * lam, upper=inst.upper * lam,
                             min_change=inst.min_change * lam, quad=inst.quad * mu / lam**2, lin=inst.lin * mu / lam,
                             const=inst.const * mu, rule_lower=inst.rule_lower * lam, rule_upper=inst.rule_upper * lam,
                             name=f"{inst.name}-scaled")


def _need(engine: str) -> None:
    installed, licence = engine_state(engine)
    if not installed or licence.startswith("missing"):
        pytest.skip(f"{engine} is not available here")


@pytest.fixture(scope="module")
def plain():
    return solve(INST, "misocp", "scip", mip_gap=GAP).raise_for_status()


# --------------------------------------------------------------------------- mroi: a price on the instance
@pytest.mark.parametrize("formulation,engine", [("minlp", "scip"), ("miqp", "scip"), ("perspective", "scip"),
                                                ("misocp", "scip"), ("hull", "scip"), ("hull_oa", "highs")])
def test_mroi_is_the_net_response_on_every_formulation(formulation, engine):
    _need(engine)
    m = 1.2                                        # above some activities' marginal return: their spend falls
    ref = solve(INST, "hull", "scip", mip_gap=GAP, target=f"mroi:{m}").raise_for_status()
    r = solve(INST, formulation, engine, mip_gap=GAP, target=f"mroi:{m}").raise_for_status()
    raw = check_plan(INST, r.plan)                 # the user's instance, without the target: the gross response
    assert raw.feasible
    assert r.objective == pytest.approx(raw.revenue - m * raw.total_spend, rel=1e-9)
    assert r.response == pytest.approx(raw.revenue, rel=1e-9) and r.roi == pytest.approx(raw.revenue / raw.total_spend)
    assert r.objective == pytest.approx(ref.objective, rel=1e-5)
    assert r.bound >= ref.objective * (1 - 1e-6) and ref.bound >= r.objective * (1 - 1e-6)


def test_mroi_lowers_the_spend_where_returns_fall_short(plain):
    r = solve(INST, "hull", "scip", mip_gap=GAP, target="mroi:1.2").raise_for_status()
    assert r.total_spend < plain.total_spend * (1 - 1e-3)
    assert r.response < plain.objective                    # the most response − M·spend is not the most response
    assert r.objective >= plain.objective - 1.2 * plain.total_spend - 1e-6 * abs(r.objective)


# --------------------------------------------------------------------------- roi: a hurdle row
@pytest.mark.parametrize("formulation,engine", ROW_SOLVERS)
def test_roi_row_binds_and_formulations_agree(plain, formulation, engine):
    _need(engine)
    hurdle = 1.01 * plain.objective / plain.total_spend          # above the revenue optimum's ROI: the row binds
    ref = solve(INST, "misocp", "scip", mip_gap=GAP, target=f"roi:{hurdle}").raise_for_status()
    r = solve(INST, formulation, engine, mip_gap=GAP, target=f"roi:{hurdle}").raise_for_status()
    raw = check_plan(INST, r.plan)
    assert raw.feasible and raw.revenue >= hurdle * raw.total_spend * (1 - 1e-6)
    assert r.objective == pytest.approx(raw.revenue, rel=1e-9) and r.objective < plain.objective
    assert r.objective == pytest.approx(ref.objective, rel=2e-6)
    assert r.bound >= ref.objective * (1 - 2e-6) and ref.bound >= r.objective * (1 - 2e-6)


def test_roi_below_the_optimum_changes_nothing(plain):
    r = solve(INST, "hull", "scip", mip_gap=GAP, target=f"roi:{0.9 * plain.objective / plain.total_spend}")
    assert r.raise_for_status().objective == pytest.approx(plain.objective, rel=1e-6)


def test_roi_out_of_reach_names_the_highest_roi():
    with pytest.raises(InfeasibleInstanceError) as info:
        solve(INST, "misocp", "scip", mip_gap=GAP, target="roi:5").raise_for_status()
    text = info.value.cause
    assert "no plan reaches the target roi:5" in text and "highest ROI" in text
    highest = float(text.split("allow is ")[1].split(" ")[0])
    # Dinkelbach's ρ*: just below it a plan exists, just above it none does
    assert solve(INST, "misocp", "scip", mip_gap=GAP, target=f"roi:{highest * (1 - 1e-4)}").ok
    assert solve(INST, "misocp", "scip", mip_gap=GAP, target=f"roi:{highest * (1 + 1e-4)}").status == "infeasible"


# --------------------------------------------------------------------------- response: the least spend
@pytest.mark.parametrize("formulation,engine", ROW_SOLVERS)
def test_least_spend_for_a_response(plain, formulation, engine):
    _need(engine)
    v = 0.999 * plain.objective
    r = solve(INST, formulation, engine, mip_gap=GAP, target=f"response:{v}").raise_for_status()
    assert r.sense == "minimize" and r.lift is None
    raw = check_plan(INST, r.plan)
    assert raw.feasible and raw.revenue >= v * (1 - 1e-6)
    assert r.objective == pytest.approx(raw.total_spend, rel=1e-12) and r.bound <= r.objective * (1 + 1e-6)
    assert r.objective < plain.total_spend


def test_least_spend_is_the_budget_at_which_the_most_response_is_the_target(plain):
    """The two problems are one: at the least spend S* the most response reaches V, and 0.1% below S* it does not."""
    v = 0.999 * plain.objective
    least = solve(INST, "hull", "scip", mip_gap=GAP, target=f"response:{v}").raise_for_status().objective
    at = INST.with_changes(budget_upper=least * (1 + 1e-7) / INST.total_baseline)
    below = INST.with_changes(budget_upper=least * (1 - 1e-3) / INST.total_baseline)
    assert solve(at, "hull", "scip", mip_gap=GAP).raise_for_status().objective >= v * (1 - 1e-6)
    assert solve(below, "hull", "scip", mip_gap=GAP).raise_for_status().bound < v


def test_response_out_of_reach_names_the_most_response(plain):
    r = solve(INST, "hull_oa", "highs", mip_gap=GAP, target=f"response:{1.01 * plain.objective}")
    assert r.status == "infeasible" and r.plan is None
    assert f"{plain.objective:,.6g}" in r.message
    with pytest.raises(InfeasibleInstanceError) as info:
        r.raise_for_status()
    assert info.value.exit_code == 3


# --------------------------------------------------------------------------- users' magnitudes
@pytest.mark.parametrize("kind", ["mroi", "roi", "response"])
def test_targets_scale_with_the_instance(plain, kind):
    """Spends × 10⁵ (tens of millions) and revenues × 10³ (curvatures near 10⁻⁹): every target maps to the same plan."""
    lam, mu = 1e5, 1e3
    big = scaled(INST, lam, mu)
    assert np.abs(big.quad[big.quad != 0]).max() < 1e-7
    value = {"mroi": 1.2, "roi": 1.01 * plain.objective / plain.total_spend, "response": 0.999 * plain.objective}[kind]
    factor = {"mroi": mu / lam, "roi": mu / lam, "response": mu}[kind]
    small = solve(INST, "hull", "scip", mip_gap=GAP, target=Target(kind, value)).raise_for_status()
    for formulation, engine in (("misocp", "scip"), ("hull_oa", "highs")):
        r = solve(big, formulation, engine, mip_gap=GAP, target=Target(kind, value * factor)).raise_for_status()
        assert r.total_spend == pytest.approx(lam * small.total_spend, rel=1e-5)
        assert r.response == pytest.approx(mu * small.response, rel=1e-5)


# --------------------------------------------------------------------------- response curves (hull_oa)
def test_mroi_on_curves_spends_to_the_marginal_return():
    """With the budget slack, every activity changed to an interior spend earns r′(x) = M there (the KKT condition),
    checked on the curves themselves."""
    _need("highs")
    inst = curve_instance(6, "logistic", seed=1, max_changes=6)
    inst = inst.with_changes(budget_upper=5.0, lower=inst.baseline * 0.2, upper=inst.baseline * 3,
                             min_change=inst.baseline * 0.01)
    m = float(np.median(inst.curves.slope(inst.baseline)))
    r = solve(inst, "hull_oa", "highs", mip_gap=GAP, target=f"mroi:{m}").raise_for_status()
    x = np.array([r.plan[a] for a in inst.activities])
    free = (x > inst.lower * 1.001) & (x < inst.upper * 0.999) & (np.abs(x - inst.baseline) > inst.min_change * 1.01)
    assert free.sum() >= 2
    np.testing.assert_allclose(inst.curves.slope(x)[free], m, rtol=2e-3)
    other = solve(inst, "hull_oa", "scip", mip_gap=GAP, target=f"mroi:{m}").raise_for_status()
    assert other.objective == pytest.approx(r.objective, rel=1e-5)


@pytest.mark.parametrize("kind", ["roi", "response"])
def test_rows_on_curves_agree_across_engines(kind):
    _need("highs")
    inst = curve_instance(6, "logistic", seed=2, max_changes=3)
    base = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    value = 1.01 * base.objective / base.total_spend if kind == "roi" else 0.998 * base.objective
    a = solve(inst, "hull_oa", "highs", mip_gap=GAP, target=Target(kind, value)).raise_for_status()
    b = solve(inst, "hull_oa", "scip", mip_gap=GAP, target=Target(kind, value)).raise_for_status()
    raw = check_plan(inst, a.plan)
    need = value * raw.total_spend if kind == "roi" else value
    assert raw.feasible and raw.revenue >= need * (1 - 1e-6)
    assert a.objective == pytest.approx(b.objective, rel=1e-5)
    assert a.bound >= b.objective * (1 - 1e-5) if kind == "roi" else a.bound <= b.objective * (1 + 1e-5)


# --------------------------------------------------------------------------- the pipeline and bad input
def test_pipeline_takes_a_target_and_a_chord_start(plain):
    v = 0.999 * plain.objective
    planned = plan(INST, "hull", "scip", start="chord", target=f"response:{v}")
    direct = solve(INST, "hull", "scip", target=f"response:{v}")
    assert planned.result.ok and planned.result.objective == pytest.approx(direct.objective, rel=1e-5)
    with pytest.raises(MMOError, match="maximize the response"):
        plan(INST, "hull", "scip", start="chord", fix=True, target=f"response:{v}")


@pytest.mark.parametrize("text,match", [
    ("roi:abc", "not a number"), ("roi:nan", "not a finite number"), ("response:inf", "not a finite number"),
    ("roi:0", "not positive"), ("mroi:-1", "negative"), ("budget:3", "kind:value"), ("roi", "kind:value"),
])
def test_bad_targets_are_named(text, match):
    with pytest.raises(MMOError, match=match):
        parse_target(text)


def test_a_row_needs_a_linear_revenue():
    with pytest.raises(MMOError, match="not linear"):
        solve(INST, "miqp", "scip", target="roi:1.7")
    with pytest.raises(MMOError, match="already has the target"):
        with_target(with_target(INST, "roi:1.7"), "mroi:1")


def test_cli_target_writes_the_result_and_refuses_bad_input(tmp_path):
    out, plan_csv = tmp_path / "r.json", tmp_path / "plan.csv"
    ok = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--formulation", "hull", "--target",
                         "response:6300", "--json", str(out), "--plan", str(plan_csv)],
                        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "least spend" in ok.stdout and "target          response:6300" in ok.stdout
    record = json.loads(out.read_text())
    assert record["target"] == "response:6300" and record["sense"] == "minimize"
    assert record["response"] >= 6300 * (1 - 1e-7) and record["objective"] == pytest.approx(record["total_spend"])
    assert plan_csv.exists()
    for target, code, words in (("roi:abc", 2, "is not a number"), ("roi:-2", 2, "not positive"),
                                ("response:7000", 3, "the most response the bounds, budget and rules allow")):
        bad = tmp_path / f"bad-{code}.json"
        proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--formulation", "hull", "--target", target,
                               "--json", str(bad)], capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert proc.returncode == code and words in proc.stderr and "Traceback" not in proc.stderr
        assert not bad.exists()


@pytest.mark.parametrize("target,key,expected", [("roi:2", "target_roi_2", 674.8519), ("mroi:1", "target_mroi_1", 360.3536)])
def test_against_meridians_flexible_budget(target, key, expected):
    """Meridian's target-ROI and target-mROI scenarios (BudgetOptimizer.optimize(fixed_budget=False, ...)) against
    --target roi / mroi on its own curves, read as the table through its samples (a row needs an exact curve)."""
    from dataclasses import replace

    from mmo_pyomo.curves.curve_files import with_curves
    from mmo_pyomo.curves.importers import PlanningRules, curves_from_meridian_export
    export = json.loads((ROOT / "tests" / "fixtures" / "meridian_export.json").read_text())
    theirs = json.loads((ROOT / "tests" / "fixtures" / "meridian_optimizer.json").read_text())[key]
    inst = curves_from_meridian_export(export, PlanningRules(lower=0.49, upper=2.0, budget_upper=2.0))
    table = with_curves(inst, replace(inst.curves, family=("table",) * inst.n))
    x = np.array(theirs["spend"])
    valued = check_plan(table, x)
    assert valued.feasible and valued.revenue == pytest.approx(theirs["outcome"], rel=1e-3)   # its own valuation
    their_value = valued.revenue if key.startswith("target_roi") else valued.revenue - x.sum()
    if key.startswith("target_roi"):
        assert valued.revenue >= 2.0 * x.sum()
    ours = solve(table, "hull_oa", "highs", mip_gap=1e-6, target=target).raise_for_status()
    assert ours.status == "optimal" and ours.objective == pytest.approx(expected, rel=1e-6)
    assert ours.objective >= their_value
    if key == "target_mroi_1":                 # on Meridian's own curve (any concave curve through its samples)
        on_samples = solve(inst, "hull_oa", "highs", mip_gap=1e-6, target=target)
        assert on_samples.objective == pytest.approx(expected, rel=1e-6) and on_samples.gap <= 0.008


@pytest.mark.parametrize("engine", ["gurobi", "cplex", "xpress"])
def test_every_licensed_engine_agrees_on_the_targets(plain, engine):
    """The pip editions' size limits hold here (12 activities). Each target, on the cone and the cut formulation."""
    _need(engine)
    hurdle = 1.01 * plain.objective / plain.total_spend
    for target in (f"roi:{hurdle}", f"response:{0.999 * plain.objective}", "mroi:1.2"):
        ref = solve(INST, "hull", "scip", mip_gap=GAP, target=target).raise_for_status()
        for formulation in ("misocp", "hull_oa"):
            r = solve(INST, formulation, engine, mip_gap=GAP, target=target).raise_for_status()
            assert r.objective == pytest.approx(ref.objective, rel=2e-6), (engine, formulation, target)
