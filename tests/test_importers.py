"""Importers: curves from PyMC-Marketing (a real export), Robyn (documented layout) and tables."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo.curves.importers import PlanningRules, curves_from_pymc_export, from_table
from mmo_pyomo.curves.robyn import from_robyn
from mmo_pyomo.errors import DataError
from mmo_pyomo.instance import load_instance
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.runner import solve

from helpers import local_optima

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXPORT = json.loads((FIXTURES / "pymc_marketing_export.json").read_text())


def test_pymc_marketing_curves_are_the_exact_posterior_mean():
    """Each channel's curve is the mean of its 100 posterior draws, in value and slope: no grid."""
    inst = curves_from_pymc_export(EXPORT, PlanningRules())
    assert inst.curves.family == ("logistic",) * 5 and all(len(d["beta"]) == 100 for d in inst.curves.draws.values())
    assert inst.curves.concave_on(inst.lower, inst.upper).all()           # a mean of concave curves
    i, x = 2, 0.8 * inst.baseline[2]
    lam, beta = np.array(EXPORT["params"]["lam"][i]), np.array(EXPORT["params"]["beta"][i])
    u = x / EXPORT["channel_scale"][i]
    by_draw = EXPORT["target_scale"] * beta * (1 - np.exp(-lam * u)) / (1 + np.exp(-lam * u))
    assert inst.curves.response(inst.baseline * 0.8)[i] == pytest.approx(by_draw.mean(), rel=1e-12)
    slope = EXPORT["target_scale"] * beta * lam / EXPORT["channel_scale"][i] / 2 * (1 - np.tanh(lam * u / 2) ** 2)
    assert inst.curves.slope(inst.baseline * 0.8)[i] == pytest.approx(slope.mean(), rel=1e-12)
    at_mean = EXPORT["target_scale"] * beta.mean() * np.tanh(lam.mean() * u / 2)
    assert abs(by_draw.mean() - at_mean) > 1e-6                  # not the curve at the mean parameters


def test_the_bound_covers_the_models_own_mean_curve(tmp_path):
    """The certificate is about the model: on the PyMC-Marketing model's posterior mean curves (bounds and a
    budget only), the reported bound is at least the optimum found independently on those curves, and the
    plan is worth it. The instance survives a CSV folder and a .dat file with its draws."""
    from mmo_pyomo.instance import write_csv_dir, write_dat

    from helpers import concave_budget_optimum
    inst = curves_from_pymc_export(EXPORT, PlanningRules(lower=0.5, upper=2.0, budget_upper=1.0))
    reference = concave_budget_optimum(inst)
    for copy in (inst, load_instance(write_csv_dir(inst, tmp_path / "csv")),
                 load_instance(write_dat(inst, tmp_path / "x.dat"))):
        r = solve(copy, "hull_oa", "highs", mip_gap=1e-7)
        assert r.status == "optimal" and r.interpolation_error is None
        assert r.bound >= reference - 1e-9 * reference
        assert r.objective == pytest.approx(reference, rel=2e-7)


def test_sampled_curves_get_a_bound_that_covers_the_curve_between_samples():
    """A smooth concave curve known only at 9 samples: the interpolated table lies below it, so its optimum
    and bound understate the curve's. As ``samples`` the bound adds how far a concave curve can lie above
    its samples, and covers the curve's own optimum; as a ``table`` it would not."""
    from mmo_pyomo.curves.curve_files import with_curves
    from mmo_pyomo.curves.families import ResponseCurves

    from helpers import concave_budget_optimum
    names = ("tv", "radio", "search")
    beta, k, base = np.array([900.0, 400.0, 600.0]), np.array([80.0, 30.0, 60.0]), np.array([100.0, 50.0, 80.0])
    smooth = ResponseCurves.from_rows(names, {a: {"family": "michaelis_menten", "beta": b, "k": kk}
                                              for a, b, kk in zip(names, beta, k)}, {}, "test")
    shell = curves_from_pymc_export(EXPORT, PlanningRules()).with_changes(
        activities=names, baseline=base, lower=0.5 * base, upper=2 * base, min_change=np.zeros(3),
        quad=np.zeros(3), lin=np.zeros(3), const=np.zeros(3), max_changes=3, budget_upper=0.9, curves=None)
    exact = with_curves(shell, smooth)
    grid = np.linspace(0.5, 2.0, 9)[None, :] * base[:, None]
    points = {a: list(zip(grid[i], beta[i] * grid[i] / (k[i] + grid[i]))) for i, a in enumerate(names)}
    reference = concave_budget_optimum(exact)
    for family in ("samples", "table"):
        sampled = with_curves(shell, ResponseCurves.from_rows(names, {a: {"family": family} for a in names}, points, "t"))
        r = solve(sampled, "hull_oa", "highs", mip_gap=1e-7)
        plan_on_curve = float(smooth.response(np.array(list(r.plan.values()))).sum())
        assert plan_on_curve <= reference + 1e-9 and r.objective <= plan_on_curve + 1e-9   # chords lie below
        if family == "samples":
            assert r.interpolation_error > 0 and r.bound >= reference
        else:
            assert r.interpolation_error is None and r.bound < reference          # what the table alone certifies


def test_beats_the_budget_optimizer_on_its_own_curves():
    """Bounds and a total budget only: the certified optimum is at least the allocation that
    pymc-marketing's optimize_budget returned for this model (recorded in the fixture)."""
    inst = curves_from_pymc_export(EXPORT, PlanningRules(lower=0.5, upper=2.0, budget_upper=1.0))
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    theirs = np.array(EXPORT["budget_optimizer"]["allocation"])
    assert theirs.sum() <= inst.total_baseline * (1 + 1e-9)
    their_value = float(inst.curves.response(theirs).sum())
    assert r.status == "optimal" and r.gap <= 1e-6 + 1e-12
    assert r.objective >= their_value
    assert np.nanmax(local_optima(inst)) == pytest.approx(r.objective, rel=1e-6)   # a scaled SLSQP reaches it too
    rules = PlanningRules(lower=0.5, upper=2.0, budget_upper=1.0, min_change=0.10, max_changes=3)
    practical = solve(curves_from_pymc_export(EXPORT, rules), "hull_oa", "highs", mip_gap=1e-6)
    assert practical.status == "optimal" and practical.n_changes <= 3
    moved = np.abs(np.array(list(practical.plan.values())) - inst.baseline)
    assert ((moved == 0) | (moved >= 0.10 * inst.baseline - 1e-6)).all()


def test_beats_meridians_optimizer_on_its_own_curves():
    """Meridian's BudgetOptimizer plan (recorded in the fixture) is feasible here, since the bounds
    0.49–2× contain its spend grid's rounding. The certified optimum is at least as good on the
    same mean response curves."""
    from mmo_pyomo.curves.importers import curves_from_meridian_export
    export = json.loads((FIXTURES / "meridian_export.json").read_text())
    budget = export["budget_optimizer"]["budget"]
    inst = curves_from_meridian_export(export, PlanningRules(lower=0.49, upper=2.0,
                                                             budget_upper=budget / sum(export["baseline_spend"])))
    theirs = np.array(export["budget_optimizer"]["allocation"])
    assert ((theirs >= inst.lower) & (theirs <= inst.upper)).all() and theirs.sum() <= budget + 1e-9
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert inst.curves.family == ("samples",) * 4             # Meridian's mean curve, known at 26 spends
    assert r.status == "feasible" and 0 < r.interpolation_error and r.bound >= r.objective + r.interpolation_error
    assert r.gap <= 0.005                                      # the samples' error: 0.42% here
    assert r.objective >= float(inst.curves.response(theirs).sum())
    assert np.nanmax(local_optima(inst)) == pytest.approx(r.objective, rel=1e-6)


def test_robyn_solution_gives_hill_curves_and_its_bounds():
    inst = from_robyn(FIXTURES / "robyn", "1_2_3", PlanningRules())
    assert inst.curves.family == ("hill",) * 3 and inst.activities == ("tv_S", "search_S", "social_S")
    assert inst.lower.tolist() == [28000, 8400, 12600] and inst.upper.tolist() == [60000, 18000, 27000]
    assert inst.curves.response(np.array([48000.0, 15000, 22000])) == pytest.approx([155000, 47500, 60000])
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert r.ok and check_plan(inst, r.plan).feasible and r.bound >= r.objective
    with pytest.raises(DataError, match="no solution '9_9_9'"):
        from_robyn(FIXTURES / "robyn", "9_9_9", PlanningRules())


def test_table_and_cli_write_a_folder_that_solves(tmp_path):
    pts = tmp_path / "curves.csv"
    pts.write_text("activity,spend,response\n" + "".join(
        f"{a},{x},{b * x / (k + x):.6f}\n" for a, b, k in (("tv", 900, 80), ("radio", 400, 30))
        for x in np.linspace(0, 300, 13)))
    base = tmp_path / "base.csv"
    base.write_text("activity,baseline\ntv,100\nradio,50\n")
    inst = from_table(pts, {"tv": 100.0, "radio": 50.0}, PlanningRules())
    assert inst.curves.response(np.array([100.0, 50.0])) == pytest.approx([900 * 100 / 180, 400 * 50 / 80], rel=1e-2)
    out = tmp_path / "instance"
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "import_curves.py"), "--from", "table", "--input",
                           str(pts), "--baseline", str(base), "--min-change", "0.1", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    back = load_instance(out)
    assert back.curves is not None and back.min_change.tolist() == [10.0, 5.0]
    assert solve(back, "hull_oa", "highs").ok


def test_fresh_pymc_marketing_fit_exports_and_imports(tmp_path):
    """With the [pymc] extra: fit a tiny model, export it, and beat its optimizer (about 2 minutes)."""
    pytest.importorskip("pymc_marketing")
    import pandas as pd
    from pymc_marketing.mmm import MMM, GeometricAdstock, LogisticSaturation

    from mmo_pyomo.curves.importers import export_pymc_marketing
    rng = np.random.default_rng(0)
    dates = pd.date_range("2024-01-01", periods=52, freq="W-MON")
    X = pd.DataFrame({"date": dates, **{f"ch{i}": rng.uniform(50, 200, 52) for i in range(5)}})
    y = 500 + sum(rng.uniform(100, 300) * np.tanh(rng.uniform(0.005, 0.02) * X[f"ch{i}"] / 2) for i in range(5))
    mmm = MMM(date_column="date", channel_columns=[f"ch{i}" for i in range(5)], adstock=GeometricAdstock(l_max=4),
              saturation=LogisticSaturation())
    mmm.fit(X, pd.Series(y + rng.normal(0, 10, 52)), chains=1, draws=50, tune=50, random_seed=1, progressbar=False)
    inst = curves_from_pymc_export(export_pymc_marketing(mmm), PlanningRules())
    bounds = {c: (0.5 * b, 2.0 * b) for c, b in zip(inst.activities, inst.baseline)}
    alloc, _ = mmm.optimize_budget(budget=inst.total_baseline, num_periods=1, budget_bounds=bounds)
    theirs = np.array([float(alloc.sel(channel=c)) for c in inst.activities])
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert r.status == "optimal" and r.objective >= float(inst.curves.response(theirs).sum()) - 1e-9


def test_fresh_meridian_fit_exports_and_imports():
    """With google-meridian installed: fit a tiny model, export its curves, beat its optimizer (minutes)."""
    pytest.importorskip("meridian")
    from meridian.analysis import optimizer
    from meridian.data import test_utils
    from meridian.model import model, spec

    from mmo_pyomo.curves.importers import curves_from_meridian_export, export_meridian
    data = test_utils.sample_input_data_revenue(n_geos=2, n_times=30, n_media_times=33, n_controls=1,
                                                n_media_channels=4, seed=1)
    mmm = model.Meridian(input_data=data, model_spec=spec.ModelSpec())
    mmm.sample_posterior(n_chains=1, n_adapt=30, n_burnin=30, n_keep=30, seed=1)
    export = export_meridian(mmm, draws=True)
    draws = np.array(export.pop("response_draws"))                       # channel × spend × draw: their mean is the
    np.testing.assert_allclose(draws.mean(axis=2), export["response"], rtol=1e-9, atol=1e-9)  # curve Meridian gives
    opt = optimizer.BudgetOptimizer(mmm).optimize(spend_constraint_lower=0.5, spend_constraint_upper=1.0)
    theirs = np.asarray(opt.optimized_data["spend"].values, float)
    budget = float(theirs.sum())
    inst = curves_from_meridian_export(export, PlanningRules(lower=0.45, upper=2.0,
                                                             budget_upper=budget / sum(export["baseline_spend"])))
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6)
    assert r.ok and r.gap <= 0.01 and r.objective >= float(inst.curves.response(theirs).sum()) - 1e-9   # samples: a gap


# --------------------------------------------------------------------------- exports read strictly (issue 44)
MULTIDIM = FIXTURES / "pymc_multidim_export.json"


def _import(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "mmo_pyomo", "import-curves", *map(str, args)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)


def _with_adstock(**changes):
    export = json.loads(MULTIDIM.read_text())
    ad = export["adstock"]
    for key, value in changes.items():
        if value is KeyError:
            del ad[key]
        else:
            ad[key] = value
    return export


def _renamed(old, new):
    export = json.loads(MULTIDIM.read_text())
    export["adstock"][new] = export["adstock"].pop(old)
    return export


@pytest.mark.parametrize("export,message", [
    (_renamed("l_max", "lmax"), r"unknown key 'lmax' \(did you mean 'l_max'\?\)"),
    (_renamed("normalize", "normalise"), r"unknown key 'normalise' \(did you mean 'normalize'\?\)"),
    (_with_adstock(l_max=4.7), r"'l_max' is 4.7, not a whole number"),
    (_with_adstock(l_max="x"), r"'l_max' is \"x\", not a whole number"),
    (_with_adstock(l_max=True), r"'l_max' is true, not a whole number"),
    (_with_adstock(l_max=0), r"'l_max' is 0, below 1"),
    (_with_adstock(l_max=KeyError), r"has no key 'l_max'"),
    (_with_adstock(normalize="false"), r"'normalize' is \"false\", not true or false"),
    (_with_adstock(normalize=0), r"'normalize' is 0, not true or false"),
    (_with_adstock(family="weibull"), r"'family' is \"weibull\", not one of geometric"),
    (_with_adstock(alpha=[[0.5] * 200, [1.2] * 200, [0.1] * 200]), r"alpha of 'radio' holds 1.2, outside \[0, 1\)"),
    (_with_adstock(alpha=[[0.5] * 200, [0.2] * 200]), r"alpha has shape 2×200, not one row per channel \(3\)"),
])
def test_every_key_of_the_adstock_object_is_checked_with_or_without_periods(export, message):
    with pytest.raises(DataError, match=message):
        curves_from_pymc_export(export, PlanningRules())            # a steady import reads the object too


def test_a_checked_adstock_is_used_as_written(tmp_path):
    """"normalize": false and a whole l_max written as 4.0 reach periods files as written (not the defaults)."""
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_with_adstock(normalize=False, l_max=4.0)))
    proc = _import("--from", "pymc-marketing", "--input", path, "--periods", "4", "--out", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    import pandas as pd
    curves = pd.read_csv(tmp_path / "out" / "curves.csv")
    assert curves["adstock_lmax"].tolist() == [3, 3, 3] and curves["adstock_normalize"].tolist() == [0, 0, 0]
    inst = load_instance(tmp_path / "out")
    assert inst.horizon.lag == 3 and inst.n == 12


@pytest.mark.parametrize("periods", [[], ["--periods", "4"]])
def test_a_bad_adstock_ends_the_import_with_the_fix_and_writes_nothing(tmp_path, periods):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(_renamed("l_max", "lmax")))
    proc = _import("--from", "pymc-marketing", "--input", path, *periods, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "did you mean 'l_max'" in proc.stderr and not (tmp_path / "out").exists()


@pytest.mark.parametrize("text,message", [
    ('{"tool": "pymc-marketing", "tool": "meridian"}', "gives the key 'tool' more than once"),
    (MULTIDIM.read_text().replace('"l_max": 4', '"l_max": 4, "l_max": 8'), "gives the key 'l_max' more than once"),
    (MULTIDIM.read_text().replace('"tool": "pymc-marketing"', '"tool": "meridian"'), r"'tool' is \"meridian\""),
    (MULTIDIM.read_text().replace('"mean_spend"', '"mean_spends"'), r"unknown key 'mean_spends' \(did you mean"),
    ("\ufeff" + MULTIDIM.read_text(), None),                          # a byte-order mark is no part of the JSON
])
def test_an_export_file_is_read_strictly(tmp_path, text, message):
    from mmo_pyomo.curves.importers import from_pymc_marketing
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    if message is None:
        assert from_pymc_marketing(path, PlanningRules()).n == 3
        return
    with pytest.raises(DataError, match=message):
        from_pymc_marketing(path, PlanningRules())


def test_a_channel_never_spent_is_named_with_the_cause_and_one_spent_zero_on_average_is_warned_of(caplog):
    export = json.loads(MULTIDIM.read_text())
    export["channel_scale"][1], export["mean_spend"][1] = 0.0, 0.0
    with pytest.raises(DataError, match=r"'radio' have a channel scale of 0 \(mean spend 0\): they were never spent") as err:
        curves_from_pymc_export(export, PlanningRules())
    assert "fit the model without these channels" in err.value.fix
    export["channel_scale"][1] = 250.0                                 # spent at times, 0 on average
    inst = curves_from_pymc_export(export, PlanningRules())
    assert inst.upper[1] == 0 and "'radio' have a mean spend of 0" in caplog.text
    export["mean_spend"][2] = -5.0
    with pytest.raises(DataError, match=r"mean_spend of 'search' holds -5, not a non-negative finite number"):
        curves_from_pymc_export(export, PlanningRules())


def test_a_meridian_channel_without_baseline_spend_is_named():
    from mmo_pyomo.curves.importers import curves_from_meridian_export
    export = json.loads((FIXTURES / "meridian_export.json").read_text())
    export["baseline_spend"][0] = 0.0
    with pytest.raises(DataError, match=f"baseline_spend of '{export['channels'][0]}' holds 0, not a positive"):
        curves_from_meridian_export(export, PlanningRules())


def _table(tmp_path, activities=("tv", "radio"), baseline=("tv", "radio")):
    pts = tmp_path / "points.csv"
    pts.write_text("activity,spend,response\n" + "".join(
        f"{a},{x},{900 * x / (80 + x):.6f}\n" for a in activities for x in np.linspace(0, 3e6, 13)))
    base = tmp_path / "base.csv"
    base.write_text("activity,baseline\n" + "".join(f"{a},1000000\n" for a in baseline))
    return pts, base


@pytest.mark.parametrize("curves,baseline,message", [
    (("tv", "radio", "search"), ("tv", "radio"), r"gives no baseline for 1 activity of '.*points.csv': 'search'"),
    (("tv", "radio", "search", "ooh"), ("radio",), r"gives no baseline for 3 activities .*'tv', 'search', 'ooh'"),
    (("tv",), ("tv", "radio"), r"has no curve for 1 activity of --baseline '.*base.csv': 'radio'"),
])
def test_table_curves_and_baselines_must_name_the_same_activities(tmp_path, curves, baseline, message):
    pts, base = _table(tmp_path, curves, baseline)
    proc = _import("--from", "table", "--input", pts, "--baseline", base, "--out", tmp_path / "out")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    import re
    assert re.search(message, proc.stderr), proc.stderr
    assert not (tmp_path / "out").exists()


def test_an_import_owns_its_folder_a_steady_import_over_a_time_phased_one_is_steady(tmp_path):
    out = tmp_path / "out"
    proc = _import("--from", "pymc-marketing", "--input", MULTIDIM, "--periods", "4", "--out", out)
    assert proc.returncode == 0 and (out / "periods.csv").is_file(), proc.stderr
    assert load_instance(out).n == 12
    proc = _import("--from", "pymc-marketing", "--input", MULTIDIM, "--out", out)
    assert proc.returncode == 0, proc.stderr
    assert not (out / "periods.csv").exists() and "removed periods.csv" in proc.stderr
    fresh = tmp_path / "fresh"
    assert _import("--from", "pymc-marketing", "--input", MULTIDIM, "--out", fresh).returncode == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in fresh.iterdir())
    steady, reference = load_instance(out), load_instance(fresh)
    assert steady.n == 3 and steady.horizon is None
    a, b = solve(steady, "hull_oa", "highs", mip_gap=1e-6), solve(reference, "hull_oa", "highs", mip_gap=1e-6)
    assert a.ok and a.objective == pytest.approx(b.objective, rel=1e-9)


def test_an_import_refuses_a_folder_holding_a_users_file_and_never_writes_an_input(tmp_path):
    out = tmp_path / "out"
    assert _import("--from", "pymc-marketing", "--input", MULTIDIM, "--periods", "4", "--out", out).returncode == 0
    (out / "history.csv").write_text("activity,period,spend\ntv,0,1\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    proc = _import("--from", "pymc-marketing", "--input", MULTIDIM, "--out", out)
    assert proc.returncode == 2 and "holds history.csv" in proc.stderr and "new folder" in proc.stderr, proc.stderr
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before        # nothing written, nothing removed
    pts, base = _table(tmp_path)
    (out / "curves.csv").write_bytes(pts.read_bytes())                      # an input inside the output folder
    proc = _import("--from", "table", "--input", out / "curves.csv", "--baseline", base, "--out", out)
    assert proc.returncode == 2 and "would be overwritten" in proc.stderr, proc.stderr
    assert (out / "curves.csv").read_bytes() == pts.read_bytes()


def _robyn_copy(tmp_path):
    import shutil
    return Path(shutil.copytree(FIXTURES / "robyn", tmp_path / "robyn"))


@pytest.mark.parametrize("edit,solution,message", [
    (lambda f: (f / "1_2_3_reallocated.csv").write_text((f / "1_2_3_reallocated.csv").read_text()
                                                        + "tv_S,1,0.7,1.5,1\n"), "1_2_3", "give channels 'tv_S' twice"),
    (lambda f: (f / "1_2_3_reallocated.csv").write_text((f / "1_2_3_reallocated.csv").read_text()
                                                        .replace("40000", "forty", 1)), "1_2_3",
     r"row 2: initSpendUnit = 'forty' is not a finite number"),
    (lambda f: (f / "1_2_3_reallocated_v2.csv").write_text((f / "1_2_3_reallocated.csv").read_text()), "1_2_3",
     "has 2 allocations of solution '1_2_3'"),
    (lambda f: [(f / n).write_text((f / n).read_text() + "".join(line.replace("1_2_3", "1_2", 1) + "\n" for line in
                                                                 (f / n).read_text().splitlines() if "1_2_3" in line))
                for n in ("pareto_hyperparameters.csv", "pareto_aggregated.csv")],
     "1_2", "no '1_2_reallocated.csv'"),                                   # 1_2_3's allocation is not that of 1_2
    (lambda f: (f / "pareto_aggregated.csv").write_text((f / "pareto_aggregated.csv").read_text()
                                                        .replace("solID", "sol_id")), "1_2_3",
     r"pareto_aggregated.csv' has no column 'solID'"),
    (lambda f: (f / "pareto_aggregated.csv").write_text((f / "pareto_aggregated.csv").read_text()
                                                        + "1_2_3,tv_S,1,1\n"), "1_2_3", "give solID '1_2_3', rn 'tv_S'"),
])
def test_robyn_outputs_are_read_strictly(tmp_path, edit, solution, message):
    folder = _robyn_copy(tmp_path)
    edit(folder)
    with pytest.raises(DataError, match=message):
        from_robyn(folder, solution, PlanningRules())
