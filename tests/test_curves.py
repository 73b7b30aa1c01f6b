"""Response curves: families, loading, and exact optimization with hull_oa against a direct MINLP."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo.curves.examples import curve_instance
from mmo_pyomo.curves.families import ResponseCurves
from mmo_pyomo.curves.quadratic import fit_quadratics
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.instance import load_instance
from mmo_pyomo.instance.csv_folder import write_csv_dir
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.direct import solve_direct
from mmo_pyomo.mix.runner import solve

from helpers import local_optima

ROOT = Path(__file__).resolve().parent.parent
NAMES = ("a", "b", "c")


def _curves(**rows):
    return ResponseCurves.from_rows(tuple(rows), rows, {}, "test")


# --------------------------------------------------------------------------- families
def test_values_slopes_and_inflection():
    c = _curves(a={"family": "hill", "beta": 10, "k": 5, "s": 3}, b={"family": "michaelis_menten", "beta": 4, "k": 2},
                c={"family": "logistic", "beta": 6, "lam": 0.3})
    x = np.array([5.0, 2.0, 1.0])
    assert c.response(x) == pytest.approx([5.0, 2.0, 6 * np.tanh(0.15)])
    h = 1e-6
    assert c.slope(x) == pytest.approx((c.response(x + h) - c.response(x - h)) / (2 * h), rel=1e-6)
    infl = c.inflection()
    assert infl[0] == pytest.approx(5 * (2 / 4) ** (1 / 3)) and infl[1] == infl[2] == 0
    r = lambda t: c.response(np.array([t, 1.0, 1.0]))[0]
    second = lambda t: (r(t + 1e-3) - 2 * r(t) + r(t - 1e-3)) / 1e-6
    assert second(infl[0] - 0.5) > 0 > second(infl[0] + 0.5)       # S-shaped: convex, then concave
    concave = c.concave_on(np.array([0.0, 0.0, 0.0]), np.array([10.0, 10.0, 10.0]))
    assert concave.tolist() == [False, True, True]
    assert c.concave_on(np.array([infl[0] + 0.1, 0, 0]), np.array([10.0, 10, 10]))[0]


@pytest.mark.parametrize("row,points,message", [
    ({"family": "gompertz", "beta": 1}, {}, "unknown curve family"),
    ({"family": "hill", "beta": 1, "k": 0, "s": 1}, {}, "must be positive"),
    ({"family": "hill", "beta": 1, "k": 2, "s": ""}, {}, "not a number"),
    ({"family": "logistic", "beta": -3, "lam": 1}, {}, "must be positive"),
    ({"family": "table"}, {"a": [(0, 0), (1, 2), (2, 1)]}, "falls from 2 to 1"),
    ({"family": "table"}, {"a": [(0, 0), (2, 2), (1, 3)]}, "increasing spend"),
    ({"family": "table"}, {"a": [(0, 0)]}, "1 point"),
])
def test_bad_curves_are_refused(row, points, message):
    with pytest.raises(DataError, match=message):
        ResponseCurves.from_rows(("a",), {"a": row}, points, "curves.csv")


def test_a_table_must_cover_the_spend_range(tmp_path):
    inst = curve_instance(3, "table")
    folder = write_csv_dir(inst, tmp_path / "t")
    text = (folder / "activities.csv").read_text().splitlines()
    text[1] = ",".join(text[1].split(",")[:3] + ["1e6"] + text[1].split(",")[4:])      # upper far beyond the table
    (folder / "activities.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataError, match="covers spend"):
        load_instance(folder)


# --------------------------------------------------------------------------- files
@pytest.mark.parametrize("family", ["hill", "michaelis_menten", "logistic", "table"])
def test_csv_folder_round_trip(tmp_path, family):
    inst = curve_instance(5, family, seed=3)
    back = load_instance(write_csv_dir(inst, tmp_path / family))
    assert back.curves is not None and back.curves.family == inst.curves.family
    x = inst.lower + 0.37 * (inst.upper - inst.lower)
    assert back.curves.response(x) == pytest.approx(inst.curves.response(x), rel=1e-12)
    assert back.const == pytest.approx(inst.curves.response(inst.baseline))


def test_quadratic_columns_and_curves_together_are_refused(tmp_path):
    folder = write_csv_dir(curve_instance(3), tmp_path / "x")
    acts = (folder / "activities.csv").read_text().splitlines()
    (folder / "activities.csv").write_text("\n".join([acts[0] + ",quad"] + [r + ",-1" for r in acts[1:]]) + "\n")
    with pytest.raises(DataError, match="not both"):
        load_instance(folder)


# --------------------------------------------------------------------------- exact optimization
@pytest.fixture(scope="module", params=["michaelis_menten", "logistic"])
def concave_case(request):
    inst = curve_instance(6, request.param, seed=1, max_changes=3)
    stats, delta, revenue = solve_direct(inst, mip_gap=1e-7)
    assert stats.status == "optimal"
    return inst, revenue, stats.bound


@pytest.mark.parametrize("engine", ["highs", "scip"])
def test_hull_oa_reaches_the_direct_minlp_optimum(concave_case, engine):
    inst, reference, reference_bound = concave_case
    r = solve(inst, "hull_oa", engine, mip_gap=1e-6)
    assert r.status == "optimal" and check_plan(inst, r.plan).feasible
    assert r.objective == pytest.approx(float(inst.revenue(r.delta).sum()), rel=1e-12)   # the curves' revenue
    assert r.objective == pytest.approx(reference, rel=1e-6)
    assert r.bound >= reference * (1 - 1e-9) and r.gap <= 1e-6 + 1e-12           # a valid certificate
    assert r.n_changes <= inst.max_changes and r.interpolation_error is None


def test_concave_table_is_solved_exactly():
    inst = curve_instance(6, "table", seed=2)
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert r.status == "optimal" and r.gap <= 1e-6 + 1e-12 and check_plan(inst, r.plan).feasible


def test_s_shaped_curves_get_a_surrogate_with_a_valid_bound():
    inst = curve_instance(6, "hill", seed=1, max_changes=3, shape=2.5)
    assert not inst.curves.concave_on(inst.lower, inst.upper).all()
    _, _, reference = solve_direct(inst, mip_gap=1e-7)
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert r.interpolation_error is not None and r.interpolation_error > 0
    assert r.objective <= reference * (1 + 1e-9)                 # the curves' global optimum is not beaten
    assert r.bound >= reference * (1 - 1e-9)                      # the bound (surrogate + error) still holds
    assert "interpolation" in r.message
    with pytest.raises(DataError, match="inflection"):
        solve(inst, "hull_oa", "highs", formulation_options={"nonconcave": "error"})


def test_quadratic_formulations_refuse_curves():
    with pytest.raises(MMOError, match="response curves") as info:
        solve(curve_instance(4), "misocp")
    assert "hull_oa" in info.value.fix


def test_quadratic_approximation_reports_an_error_that_bounds_any_plan():
    inst = curve_instance(6, "michaelis_menten", seed=4, max_changes=3)
    fit = fit_quadratics(inst)
    assert (fit.instance.quad <= 0).all() and fit.instance.curves is None
    r = solve(fit.instance, "misocp", "scip", mip_gap=0.0)
    true_revenue = float(inst.revenue(r.delta).sum())
    assert abs(true_revenue - r.objective) <= fit.error_k + 1e-9
    exact = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert true_revenue <= exact.bound and exact.objective >= true_revenue - 1e-6 * exact.objective


def test_cli_solves_a_curve_folder(tmp_path):
    folder = write_csv_dir(curve_instance(6, "logistic", seed=5), tmp_path / "mmm")
    out = tmp_path / "out.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "--data", str(folder), "--formulation",
                           "hull_oa", "--solver", "highs", "--gap", "1e-6", "--json", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(out.read_text())
    assert result["status"] == "optimal" and result["bound"] >= result["objective"]
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "--data", str(folder)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "response curves" in proc.stderr and "Traceback" not in proc.stderr
    fitted = tmp_path / "fitted.json"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "--data", str(folder), "--approximate",
                           "quadratic", "--json", str(fitted)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    approximation = json.loads(fitted.read_text())["approximation"]
    errors = approximation["errors"]
    assert sorted(errors) == [f"ch{i}" for i in range(6)] and all(e >= 0 for e in errors.values())
    assert approximation["error_sum_k_largest"] == pytest.approx(sum(sorted(errors.values())[-3:]))
    # the certificate is about the curves: their revenue for the plan, and the fit's error on the bound
    fitted_result = json.loads(fitted.read_text())
    inst = load_instance(folder)
    on_curves = float(inst.revenue(np.array(list(fitted_result["plan"].values())) - inst.baseline).sum())
    assert fitted_result["objective"] == pytest.approx(on_curves, rel=1e-12)
    exact = json.loads(out.read_text())
    assert fitted_result["bound"] >= exact["objective"] - 1e-6 * abs(exact["objective"])
    assert fitted_result["interpolation_error"] == pytest.approx(approximation["error_sum_k_largest"])


@pytest.mark.parametrize("family", ["hill", "table"])
def test_dat_round_trip(tmp_path, family):
    from mmo_pyomo.instance import write_dat
    inst = curve_instance(4, family, seed=6)
    back = load_instance(write_dat(inst, tmp_path / "c.dat"))
    x = inst.lower + 0.61 * (inst.upper - inst.lower)
    assert back.curves.family == inst.curves.family
    assert back.curves.response(x) == pytest.approx(inst.curves.response(x), rel=1e-12)


def test_dat_with_both_quadratic_and_curves_is_refused(tmp_path):
    from mmo_pyomo.instance import write_dat
    path = write_dat(curve_instance(3, "logistic"), tmp_path / "c.dat")
    text = path.read_text().replace("param : baseline lower upper min_change :=",
                                    "param quad := ch0 -1 ch1 -1 ch2 -1 ;\nparam : baseline lower upper min_change :=")
    path.write_text(text)
    with pytest.raises(DataError, match="both"):
        load_instance(path)


@pytest.mark.parametrize("engine", ["scip", "gurobi", "cplex", "xpress"])
def test_michaelis_menten_cone_is_exact(engine, concave_case):
    from engine_matrix import require_engine
    inst, reference, _ = concave_case
    if inst.curves.family[0] != "michaelis_menten":
        pytest.skip("the cone is for Michaelis–Menten curves")
    require_engine(engine)
    r = solve(inst, "mm_cone", engine, mip_gap=1e-7)
    assert r.status == "optimal" and check_plan(inst, r.plan).feasible
    assert r.objective == pytest.approx(reference, rel=1e-6) and r.bound >= reference * (1 - 1e-6)


def test_michaelis_menten_cone_refuses_other_curves():
    with pytest.raises(DataError, match="Michaelis–Menten"):
        solve(curve_instance(4, "logistic"), "mm_cone", "scip")


@pytest.mark.parametrize("engine", ["scip", "highs", "gurobi", "cplex", "xpress"])
def test_hull_oa_takes_curves_on_every_mip_engine(engine):
    """A 5-channel logistic instance: 40 columns and about 90 rows, inside every pip edition's limit."""
    from engine_matrix import require_engine
    require_engine(engine)
    inst = curve_instance(5, "logistic", seed=8, max_changes=2)
    reference = solve(inst, "hull_oa", "scip", mip_gap=1e-7)
    r = solve(inst, "hull_oa", engine, mip_gap=1e-6, threads=1)
    assert r.status == "optimal" and check_plan(inst, r.plan).feasible
    assert r.objective == pytest.approx(reference.objective, rel=2e-6) and r.bound >= reference.objective * (1 - 2e-6)


def test_chord_start_works_on_curves():
    """The chord of a concave curve lies below it: the chord MILP's plan is feasible, and a MIP start."""
    from mmo_pyomo.mix.chord import chord_start
    inst = curve_instance(8, "logistic", max_changes=3, budget_upper=0.9)
    start = chord_start(inst, "highs", "highs")
    best = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert check_plan(inst, inst.baseline + start.delta).feasible
    assert start.revenue <= best.bound and start.revenue >= 0.95 * best.objective
    warm = solve(inst, "hull_oa", "highs", mip_gap=1e-6, start=start.delta)
    assert warm.objective == pytest.approx(best.objective, rel=2e-6)


def test_interpolation_error_of_a_table_is_exact():
    """A table's surrogate error is measured at the table's own points, where its kinks are."""
    px = np.array([0.0, 10, 20, 30, 40])
    py = np.array([0.0, 1, 5, 6, 6.5])                     # convex, then concave: not concave
    c = ResponseCurves.from_rows(("a",), {"a": {"family": "table"}}, {"a": list(zip(px, py))}, "t")
    error = c.interpolation_error(0, 0.0, 40.0, segments=3)
    grid = np.linspace(0, 40, 4)
    fine = np.linspace(0, 40, 40_001)
    brute = np.max(np.abs(np.interp(fine, grid, np.interp(grid, px, py)) - np.interp(fine, px, py)))
    assert error == pytest.approx(brute, rel=1e-9) and error > 0


def test_s_shaped_curves_against_a_local_solver():
    """S-shaped Hill curves (slope 3) with spend allowed down to 0: SLSQP from the baseline stops 10% below the
    optimum, which the certified plan (a 256-segment surrogate, its error in the bound) reaches within 10⁻⁵."""
    pytest.importorskip("highspy")
    inst = curve_instance(8, "hill", seed=0, max_changes=8, min_change=0.0, shape=3.0)
    inst = inst.with_changes(lower=np.full(inst.n, 1e-6), upper=inst.baseline * 3)
    ours = solve(inst, "hull_oa", "highs", mip_gap=1e-6, formulation_options={"breakpoints": 256})
    assert ours.gap <= 1e-5 and ours.objective == pytest.approx(1545.972, rel=1e-5)
    ends = local_optima(inst)
    from_baseline = ends[0]
    assert from_baseline < 0.91 * ours.objective
    assert ours.bound >= np.nanmax(ends) * (1 - 1e-9)
