"""Risk over posterior draws (``--risk cvar:ALPHA``): hull_oa with tangent cuts per draw, on the PyMC-Marketing
fixture's 100 joint draws, checked against the exact discrete CVaR, the mean solve, a second engine, an independent
local NLP, and at users' magnitudes."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmo_pyomo import solve
from mmo_pyomo.curves.importers import PlanningRules, curves_from_pymc_export, from_pymc_marketing
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.instance import load_instance
from mmo_pyomo.instance.csv_folder import write_csv_dir
from mmo_pyomo.instance.risk import cvar, draw_totals, parse_risk, with_risk
from mmo_pyomo.mix.checker import check_plan

from helpers import cvar_solves

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tests" / "fixtures" / "pymc_marketing_export.json"
GAP = 1e-6
RULES = PlanningRules(min_change=0.1, max_changes=3)

pytest.importorskip("highspy")


@pytest.fixture(scope="module")
def inst():
    return from_pymc_marketing(str(EXPORT), RULES)


def _spend(result, inst):
    return np.array([result.plan[a] for a in inst.activities])


def test_cvar_is_the_rockafellar_uryasev_maximum():
    rng = np.random.default_rng(0)
    for s, alpha in ((10, 0.1), (10, 0.25), (7, 0.3), (100, 0.05), (5, 1.0)):
        v = rng.normal(100, 10, size=s)
        ru = max(eta - np.maximum(eta - v, 0).sum() / (alpha * s) for eta in v)   # the maximum is at a draw's value
        assert cvar(v, alpha) == pytest.approx(ru, rel=1e-12)
    assert cvar(np.arange(10.0), 1.0) == pytest.approx(4.5)


@pytest.mark.parametrize("engine", ["highs", "scip"])
def test_cvar_at_one_is_the_mean(inst, engine):
    mean = solve(inst, "hull_oa", engine, mip_gap=GAP).raise_for_status()
    whole = solve(inst, "hull_oa", engine, mip_gap=GAP, risk="cvar:1").raise_for_status()
    assert whole.objective == pytest.approx(mean.objective, rel=2e-6)
    assert whole.risk == "cvar:1" and mean.risk is None and mean.draws is not None


def test_cvar_plan_is_certified_and_holds_up_better(inst):
    a = solve(inst, "hull_oa", "highs", mip_gap=GAP, risk="cvar:0.1").raise_for_status()
    b = solve(inst, "hull_oa", "scip", mip_gap=GAP, risk="cvar:0.1").raise_for_status()
    assert a.status == "optimal" and a.objective == pytest.approx(b.objective, rel=2e-6)
    assert a.bound >= b.objective * (1 - 2e-6) and b.bound >= a.objective * (1 - 2e-6)
    x = _spend(a, inst)
    totals = draw_totals(inst, x - inst.baseline)                  # from the raw draws, not the model
    assert a.objective == pytest.approx(cvar(totals, 0.1), rel=1e-9)
    assert a.draws["plan"]["cvar"] == pytest.approx(a.objective, rel=1e-9)
    assert check_plan(inst, a.plan).feasible
    mean = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    # each plan is best at its own measure
    assert a.draws["plan"]["cvar"] >= mean.draws["plan"]["cvar"] - 1e-6 * abs(a.objective)
    assert mean.draws["plan"]["mean"] >= a.draws["plan"]["mean"] - 1e-6 * abs(mean.objective)
    assert a.draws["baseline"]["cvar"] < a.objective


def test_cvar_agrees_with_an_independent_local_solve():
    """Without the discrete rules (K = n, no minimum change) the CVaR problem is a smooth concave NLP in the
    Rockafellar–Uryasev form; SLSQP from several starts may not beat the certified optimum, and reaches it."""
    from scipy.optimize import minimize
    export = json.loads(EXPORT.read_text())
    export["params"] = {k: [row[:20] for row in v] for k, v in export["params"].items()}    # 20 draws
    inst = curves_from_pymc_export(export, PlanningRules(min_change=0.0))
    alpha, n = 0.2, inst.n
    ours = solve(inst, "hull_oa", "highs", mip_gap=GAP, risk=f"cvar:{alpha}").raise_for_status()
    s = inst.curves.n_draws
    budget = inst.budget_interval[1]

    def totals(x):
        return inst.curves.draw_response(x).sum(axis=1)

    def negative(z):
        return -(z[n] - z[n + 1:].sum() / (alpha * s))
    cons = [{"type": "ineq", "fun": lambda z: z[n + 1:] - z[n] + totals(z[:n])},
            {"type": "ineq", "fun": lambda z: budget - z[:n].sum()}]
    bounds = [(lo, hi) for lo, hi in zip(inst.lower, inst.upper)] + [(None, None)] + [(0, None)] * s
    best = -np.inf
    rng = np.random.default_rng(1)
    for _ in range(4):
        x0 = rng.uniform(inst.lower, inst.upper)
        x0 *= min(1.0, budget / x0.sum())
        z0 = np.r_[x0, totals(x0).min(), np.zeros(s)]
        res = minimize(negative, z0, method="SLSQP", bounds=bounds, constraints=cons,
                       options={"maxiter": 500, "ftol": 1e-12})
        if res.success:
            best = max(best, cvar(totals(res.x[:n]), alpha))
    assert np.isfinite(best)
    assert best <= ours.bound * (1 + 1e-7)
    assert best == pytest.approx(ours.objective, rel=1e-5)


def test_cvar_scales_with_the_instance(inst):
    """Spends × 10⁵ and responses × 10³: the same plan, in the new units."""
    lam, mu = 1e5, 1e3
    export = json.loads(EXPORT.read_text())
    export["channel_scale"] = [c * lam for c in export["channel_scale"]]
    export["target_scale"] *= mu
    export["mean_spend"] = [m * lam for m in export["mean_spend"]]
    big = curves_from_pymc_export(export, RULES)
    small = solve(inst, "hull_oa", "highs", mip_gap=GAP, risk="cvar:0.1").raise_for_status()
    r = solve(big, "hull_oa", "highs", mip_gap=GAP, risk="cvar:0.1").raise_for_status()
    assert r.objective == pytest.approx(mu * small.objective, rel=1e-5)
    assert r.total_spend == pytest.approx(lam * small.total_spend, rel=1e-5)


@pytest.mark.parametrize("text,match", [("cvar:0", "outside"), ("cvar:1.5", "outside"), ("cvar:nan", "finite"),
                                        ("cvar:x", "not a number"), ("var:0.1", "not 'mean'"), ("cvar", "not 'mean'")])
def test_bad_risk_measures_are_named(text, match):
    with pytest.raises(MMOError, match=match):
        parse_risk(text)


def test_risk_needs_draws_and_hull_oa(inst):
    from mmo_pyomo.curves.examples import curve_instance
    with pytest.raises(MMOError, match="has none"):
        with_risk(curve_instance(3, "logistic"), "cvar:0.1")
    with pytest.raises(MMOError, match="does not model the risk measure"):
        solve(inst, "mm_cone", "scip", risk="cvar:0.1")
    with pytest.raises(MMOError, match="not taken together"):
        solve(inst, "hull_oa", "highs", risk="cvar:0.1", target="roi:1")


def test_a_draw_missing_an_activity_is_named(tmp_path, inst):
    folder = write_csv_dir(inst, tmp_path / "x")
    draws = pd.read_csv(folder / "curve_draws.csv")
    draws.drop(draws.index[(draws["activity"] == "ch2") & (draws["draw"] == 17)]).to_csv(folder / "curve_draws.csv",
                                                                                        index=False)
    with pytest.raises(DataError, match="draw 17 has no row for activity 'ch2'"):
        load_instance(folder)
    draws.assign(draw=draws["draw"].astype(str).str.replace("17", "x")).to_csv(folder / "curve_draws.csv", index=False)
    with pytest.raises(DataError, match="is not a whole number"):
        load_instance(folder)


def test_cli_imports_draws_and_solves_a_cvar(tmp_path):
    out = tmp_path / "curves"
    imp = subprocess.run([sys.executable, "-m", "mmo_pyomo", "import-curves", "--from", "pymc-marketing", "--input",
                          str(EXPORT), "--min-change", "0.1", "--max-changes", "3", "--draws", "30", "--out", str(out)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert imp.returncode == 0, imp.stderr
    draws = pd.read_csv(out / "curve_draws.csv")
    assert draws.groupby("activity")["draw"].nunique().eq(30).all()
    js = tmp_path / "r.json"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--data", str(out), "--formulation", "hull_oa",
                           "--solver", "highs", "--risk", "cvar:0.1", "--json", str(js)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "CVaR response" in proc.stdout and "draws baseline" in proc.stdout
    record = json.loads(js.read_text())
    assert record["risk"] == "cvar:0.1" and record["draws"]["plan"]["draws"] == 30
    assert record["objective"] == pytest.approx(record["draws"]["plan"]["cvar"], rel=1e-9)
    bad = tmp_path / "bad.json"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--data", str(out), "--formulation", "hull_oa",
                           "--risk", "cvar:2", "--json", str(bad)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 2 and "outside (0, 1]" in proc.stderr and not bad.exists()
    meridian = subprocess.run([sys.executable, "-m", "mmo_pyomo", "import-curves", "--from", "meridian", "--input",
                               str(ROOT / "tests" / "fixtures" / "meridian_export.json"), "--draws", "10", "--out",
                               str(tmp_path / "m")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert meridian.returncode == 2 and "has none" in meridian.stderr and not (tmp_path / "m").exists()


MERIDIAN = ROOT / "tests" / "fixtures" / "meridian_draws_export.json"


def test_meridian_draws_give_a_certified_cvar(tmp_path):
    """Meridian's own posterior draws of its response curves (samples at 26 spends, 50 draws): the mean of the draws
    is the mean curve, cvar:1 is the mean, two engines agree, the objective is the CVaR of the draws' own tables, and
    the bound adds the largest draw's samples error."""
    from mmo_pyomo.curves.importers import curves_from_meridian_export
    export = json.loads(MERIDIAN.read_text())
    inst = curves_from_meridian_export(export, PlanningRules(lower=0.49, upper=2.0, min_change=0.1, max_changes=2))
    assert inst.curves.family == ("samples",) * 4 and inst.curves.n_draws == 50
    np.testing.assert_allclose(inst.curves.response(np.array(export["baseline_spend"])),
                               np.array(export["response"])[:, 10], rtol=1e-9)
    mean, a = cvar_solves(inst, 0.1, rel=1e-6, gap=GAP)
    assert a.n_changes <= 2
    spend, draws = np.array(export["spend"]), np.array(export["response_draws"])          # channel × point × draw
    x = np.array([a.plan[c] for c in inst.activities])
    totals = sum(np.array([np.interp(x[c], spend[c], draws[c][:, s]) for s in range(50)]) for c in range(4))
    assert a.objective == pytest.approx(np.sort(totals)[:5].mean(), rel=1e-9)               # the worst 10% of 50
    assert a.bound >= a.objective + a.interpolation_error * (1 - 1e-9) and a.interpolation_error > 0
    assert a.objective > cvar(draw_totals(with_risk(inst, "cvar:0.1"), mean.delta), 0.1)    # the mean's plan, worse


def test_meridian_draws_through_the_files_and_the_cli(tmp_path):
    out = tmp_path / "m"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "import-curves", "--from", "meridian", "--input",
                           str(MERIDIAN), "--lower", "0.49", "--draws", "20", "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    points = pd.read_csv(out / "curve_draw_points.csv")
    assert points.groupby("activity")["draw"].nunique().eq(20).all()
    inst = load_instance(out)
    assert inst.curves.n_draws == 20
    again = write_csv_dir(inst, tmp_path / "again")                                         # the same files back
    assert load_instance(again).curves.table_draws[0].tolist() == inst.curves.table_draws[0].tolist()
    js = tmp_path / "r.json"
    run = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--data", str(out), "--formulation", "hull_oa",
                          "--solver", "highs", "--risk", "cvar:0.2", "--json", str(js)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert json.loads(js.read_text())["draws"]["plan"]["draws"] == 20
    bad = points[~((points["activity"] == points["activity"].iloc[0]) & (points["draw"] == 7))]
    bad.to_csv(out / "curve_draw_points.csv", index=False)
    with pytest.raises(DataError, match="draw 7 has no row for activity"):
        load_instance(out)
    shifted = points.assign(response=points["response"] + (points["draw"] == 1) * 5.0)
    shifted.to_csv(out / "curve_draw_points.csv", index=False)
    with pytest.raises(DataError, match="is not its curve_points.csv response"):
        load_instance(out)


def test_every_figure_under_a_risk_and_a_price_is_what_its_label_says(inst):
    """With ``--risk cvar:A --target mroi:M`` the objective is the CVaR of the response less M × spend; the draws
    summary is of the response itself, the restated response is its CVaR, and each label says so."""
    from mmo_pyomo.cli.solve import summary

    m, alpha = 0.2, 0.1
    r = solve(inst, "hull_oa", "highs", mip_gap=GAP, risk=f"cvar:{alpha}", target=f"mroi:{m}").raise_for_status()
    x = _spend(r, inst)
    gross = inst.curves.draw_response(x).sum(axis=1)                 # Σ_i r_iˢ(x_i) per draw, independently
    base = inst.curves.draw_response(inst.baseline).sum(axis=1)
    assert r.objective == pytest.approx(float(cvar(gross, alpha)) - m * x.sum(), rel=1e-6)
    assert r.response == pytest.approx(float(cvar(gross, alpha)), rel=1e-6)
    for side, values in (("plan", gross), ("baseline", base)):
        d = r.draws[side]
        assert d["mean"] == pytest.approx(float(values.mean()), rel=1e-9)
        assert d["cvar"] == pytest.approx(float(cvar(values, alpha)), rel=1e-9)
        assert d["p50"] == pytest.approx(float(np.percentile(values, 50)), rel=1e-9)
    text = summary(r, response=True)
    assert "CVaR net response" in text and "CVaR response " in text and "CVaR net response lift" in text
    assert "draws of the response" in text and "total response" not in text
