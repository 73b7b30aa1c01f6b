"""Time-phased plans (periods.csv, adstock, history, per-period rules, carry-out): real solves on hull_oa,
checked against the steady model they reduce to, an independent recomputation of the adstocked response, a
second engine and an independent local solver."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmo_pyomo import solve
from mmo_pyomo.errors import DataError
from mmo_pyomo.instance import load_instance
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.plan_table import plan_frame

from helpers import cvar_solves, local_optima

ROOT = Path(__file__).resolve().parent.parent
GAP = 1e-6

pytest.importorskip("highspy")

ACTIVITIES = pd.DataFrame({"activity": ["tv", "radio", "search"], "baseline": [100.0, 60.0, 80.0],
                           "lower": [20.0, 10.0, 20.0], "upper": [300.0, 200.0, 250.0], "min_change": [10.0, 6.0, 8.0]})
CURVES = pd.DataFrame({"activity": ["tv", "radio", "search"], "family": ["logistic", "logistic", "michaelis_menten"],
                       "beta": [400.0, 250.0, 300.0], "k": [None, None, 90.0], "s": [None, None, None],
                       "lam": [0.01, 0.015, None], "adstock": [0.6, 0.3, None], "adstock_lmax": [3, 2, None],
                       "adstock_normalize": [1, 0, None]})


def write_folder(path: Path, periods: int = 4, *, activities: pd.DataFrame = ACTIVITIES, curves: pd.DataFrame = CURVES,
                 budget_upper: float = 1.0, max_changes: int = 6, carry_out: int = 1, period_budget: dict | None = None,
                 rules: pd.DataFrame | None = None, history: pd.DataFrame | None = None,
                 baseline_plan: pd.DataFrame | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    activities.to_csv(path / "activities.csv", index=False)
    curves.to_csv(path / "curves.csv", index=False)
    upper = [(period_budget or {}).get(t, "") for t in range(1, periods + 1)]
    pd.DataFrame({"period": range(1, periods + 1), "budget_lower": "", "budget_upper": upper}).to_csv(
        path / "periods.csv", index=False)
    pd.DataFrame({"name": ["budget_lower", "budget_upper", "max_changes", "carry_out"],
                  "value": [0, budget_upper, max_changes, carry_out]}).to_csv(path / "settings.csv", index=False)
    for name, frame in (("rules.csv", rules), ("history.csv", history), ("baseline_plan.csv", baseline_plan)):
        if frame is not None:
            frame.to_csv(path / name, index=False)
    return path


def independent_response(folder: Path, plan: pd.DataFrame) -> float:
    """Σ_t Σ_i r_i(a[i,t]) from the files and the plan table alone: PyMC-Marketing's geometric adstock (a convolution
    over the history and the plan, l_max = L + 1 weights), then the closed-form curves."""
    acts = pd.read_csv(folder / "activities.csv").set_index("activity")
    curves = pd.read_csv(folder / "curves.csv").set_index("activity")
    periods = len(pd.read_csv(folder / "periods.csv"))
    settings = dict(pd.read_csv(folder / "settings.csv").values)
    history = pd.read_csv(folder / "history.csv") if (folder / "history.csv").is_file() else None
    total = 0.0
    for a, row in curves.iterrows():
        theta = 0.0 if pd.isna(row.get("adstock")) else float(row["adstock"])
        lmax = 0 if pd.isna(row.get("adstock_lmax")) else int(row["adstock_lmax"])
        w = theta ** np.arange(lmax + 1)
        if pd.isna(row.get("adstock_normalize")) or int(row["adstock_normalize"]) == 1:
            w = w / w.sum()
        past = np.full(lmax, float(acts.loc[a, "baseline"]))             # periods −L+1 .. 0
        if history is not None:
            for _, h in history[history["activity"] == a].iterrows():
                past[lmax - 1 + int(h["period"])] = float(h["spend"])
        spend = plan[plan["activity"] == a].sort_values("period")["new_spend"].to_numpy()
        carry = lmax if int(settings.get("carry_out", 0)) else 0
        series = np.r_[past, spend, np.zeros(carry)]
        eff = np.convolve(series, w)[lmax:lmax + periods + carry]
        if row["family"] == "logistic":
            e = np.exp(-row["lam"] * eff)
            total += float((row["beta"] * (1 - e) / (1 + e)).sum())
        else:
            total += float((row["beta"] * eff / (row["k"] + eff)).sum())
    return total


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("tp") / "tp")


def test_without_adstock_it_is_t_steady_problems(tmp_path):
    steady = load_instance(ROOT / "data" / "curves")
    steady = steady.with_changes(max_changes=steady.n)
    one = solve(steady, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    acts = pd.read_csv(ROOT / "data" / "curves" / "activities.csv")
    curves = pd.read_csv(ROOT / "data" / "curves" / "curves.csv")
    budget = steady.budget_interval[1]
    phased = load_instance(write_folder(tmp_path / "x", 3, activities=acts, curves=curves, max_changes=3 * steady.n,
                                        carry_out=0, period_budget={1: budget, 2: budget, 3: budget}))
    assert phased.n == 3 * steady.n and not phased.horizon.has_adstock
    r = solve(phased, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    assert r.objective == pytest.approx(3 * one.objective, rel=2e-6)
    assert r.bound >= 3 * one.objective * (1 - 2e-6)


def test_adstock_response_is_recomputed_from_the_files(folder):
    inst = load_instance(folder)
    r = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    table = plan_frame(inst, r.delta)
    assert list(table.columns) == ["activity", "period", "baseline", "new_spend", "change"]
    assert r.objective == pytest.approx(independent_response(folder, table), rel=1e-9)
    assert r.baseline_revenue == pytest.approx(independent_response(folder, table.assign(new_spend=table["baseline"])),
                                               rel=1e-9)
    assert r.n_changes <= 6 and check_plan(inst, r.plan).feasible


def test_engines_agree_with_the_discrete_rules(folder):
    inst = load_instance(folder)
    a = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    b = solve(inst, "hull_oa", "scip", mip_gap=GAP).raise_for_status()
    assert a.objective == pytest.approx(b.objective, rel=2e-6)
    assert a.bound >= b.objective * (1 - 2e-6) and b.bound >= a.objective * (1 - 2e-6)


def test_adstock_agrees_with_an_independent_local_solve(tmp_path):
    """Without the discrete rules (every cell may change, no minimum change) the plan is a smooth concave NLP."""
    folder = write_folder(tmp_path / "c", 4, activities=ACTIVITIES.assign(min_change=0.0), max_changes=12)
    inst = load_instance(folder)
    ours = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    best = float(np.nanmax(local_optima(inst)))
    assert best <= ours.bound * (1 + 1e-7)
    assert best == pytest.approx(ours.objective, rel=1e-5)


def test_rules_by_period_history_and_baseline_plan(tmp_path):
    rules = pd.DataFrame({"rule": ["cap", "media", "media"], "activity": ["tv", "tv", "radio"], "coef": [1, 1, 1],
                          "rule_lower": ["", "", ""], "rule_upper": [90, 250, 250], "period": [2, "", ""]})
    history = pd.DataFrame({"activity": ["tv", "tv"], "period": [0, -1], "spend": [250.0, 10.0]})
    plan0 = pd.DataFrame({"activity": ["search"] * 4, "period": [1, 2, 3, 4], "spend": [40.0, 60.0, 80.0, 100.0]})
    folder = write_folder(tmp_path / "r", 4, rules=rules, history=history, baseline_plan=plan0)
    inst = load_instance(folder)
    assert sorted(inst.rules) == ["cap@2", "media@1", "media@2", "media@3", "media@4"]
    r = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    table = plan_frame(inst, r.delta).set_index(["activity", "period"])
    assert table.loc[("tv", 2), "new_spend"] <= 90 * (1 + 1e-6)
    assert table.loc[("search", 3), "baseline"] == 80.0 and table.loc[("search", 1), "baseline"] == 40.0
    assert r.objective == pytest.approx(independent_response(folder, table.reset_index()), rel=1e-9)
    changed = (np.abs(table["change"]) > 1e-6 * 300).sum()
    assert changed == r.n_changes <= 6


def test_a_target_on_a_time_phased_plan(folder):
    inst = load_instance(folder)
    base = solve(inst, "hull_oa", "highs", mip_gap=GAP).raise_for_status()
    least = solve(inst, "hull_oa", "highs", mip_gap=GAP, target=f"response:{0.99 * base.objective}").raise_for_status()
    assert least.response >= 0.99 * base.objective * (1 - 1e-6) and least.objective < base.total_spend
    assert least.response == pytest.approx(inst.total_revenue(least.delta), rel=1e-9)


@pytest.mark.parametrize("change,match", [
    (lambda f: CURVES.assign(adstock=[1.0, 0.3, None]).to_csv(f / "curves.csv", index=False), r"outside \[0, 1\)"),
    (lambda f: CURVES.assign(adstock_lmax=[-1, 2, None]).to_csv(f / "curves.csv", index=False), "negative"),
    (lambda f: pd.DataFrame({"period": [1, 2, 4]}).to_csv(f / "periods.csv", index=False), "period 3 is missing"),
    (lambda f: pd.DataFrame({"activity": ["tv"], "period": [1], "spend": [5.0]}).to_csv(f / "history.csv", index=False),
     "history for period 1"),
    (lambda f: pd.DataFrame({"activity": ["tv"], "period": [9], "spend": [5.0]}).to_csv(f / "baseline_plan.csv",
                                                                                       index=False),
     "period 9 is not in periods.csv"),
    (lambda f: pd.DataFrame({"rule": ["cap"], "activity": ["tv"], "coef": [1], "rule_lower": [""], "rule_upper": [9],
                             "period": [7]}).to_csv(f / "rules.csv", index=False), "names period 7"),
    (lambda f: pd.DataFrame({"name": ["budget_upper", "max_changes", "carry_out"], "value": [1, 3, 2]}).to_csv(
        f / "settings.csv", index=False), "carry_out = '2'"),
    (lambda f: (f / "periods.csv").unlink(), "has adstock columns"),
])
def test_bad_time_phased_input_is_named(tmp_path, change, match):
    folder = write_folder(tmp_path / "bad")
    change(folder)
    with pytest.raises(DataError, match=match):
        load_instance(folder)


def test_cli_writes_one_row_per_cell_and_refuses_bad_input(folder, tmp_path):
    plan = tmp_path / "plan.csv"
    ok = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--data", str(folder), "--formulation", "hull_oa",
                         "--solver", "highs", "--plan", str(plan)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert ok.returncode == 0, ok.stderr
    assert "3 activities × 4 periods = 12 cells" in ok.stdout
    table = pd.read_csv(plan)
    assert list(table.columns) == ["activity", "period", "baseline", "new_spend", "change"] and len(table) == 12
    bad = write_folder(tmp_path / "bad", curves=CURVES.assign(adstock=[1.5, 0.3, None]))
    out = tmp_path / "bad.csv"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--data", str(bad), "--formulation", "hull_oa",
                           "--plan", str(out)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 2 and "adstock θ = 1.5 is outside [0, 1)" in proc.stderr and "row 2" in proc.stderr
    assert not out.exists() and "Traceback" not in proc.stderr


def test_cvar_over_draws_on_a_time_phased_plan(tmp_path):
    """--risk on a plan over periods: cvar:1 is the mean; cvar:0.2 is the exact CVaR of Σ_t Σ_i r_iˢ(a[i,t]) over the
    draws, recomputed here from the files by convolution, and two engines agree."""
    folder = tmp_path / "weekly"
    export = ROOT / "tests" / "fixtures" / "pymc_multidim_export.json"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "import-curves", "--from", "pymc-marketing", "--input",
                           str(export), "--periods", "4", "--draws", "20", "--min-change", "0.1", "--max-changes", "4",
                           "--out", str(folder)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    inst = load_instance(folder)
    mean, a = cvar_solves(inst, 0.2, rel=2e-6, gap=GAP)
    assert a.n_changes <= 4
    curves = pd.read_csv(folder / "curves.csv").set_index("activity")
    draws = pd.read_csv(folder / "curve_draws.csv")
    plan = plan_frame(inst, a.delta)
    totals = np.zeros(20)
    for name, row in curves.iterrows():
        w = row["adstock"] ** np.arange(int(row["adstock_lmax"]) + 1)
        w = w / w.sum()
        base = float(pd.read_csv(folder / "activities.csv").set_index("activity").loc[name, "baseline"])
        spend = plan[plan["activity"] == name].sort_values("period")["new_spend"].to_numpy()
        lag = len(w) - 1
        eff = np.convolve(np.r_[np.full(lag, base), spend], w)[lag:lag + 4]           # history: the baseline
        d = draws[draws["activity"] == name].sort_values("draw")
        e = np.exp(-d["lam"].to_numpy()[:, None] * eff[None, :])
        totals += (d["beta"].to_numpy()[:, None] * (1 - e) / (1 + e)).sum(axis=1)
    worst = np.sort(totals)[:4]                                                        # 20% of 20 draws
    assert a.objective == pytest.approx(worst.mean(), rel=1e-9)
    from mmo_pyomo.instance.risk import cvar, draw_totals
    assert a.objective >= cvar(draw_totals(inst, mean.delta), 0.2) - 1e-6 * abs(a.objective)   # the mean's plan
