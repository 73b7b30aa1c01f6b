"""The current PyMC-Marketing API (``multidimensional.MMM``, channel × geo) and its own optimizer, side by side with
mmo-pyomo on timing and on CVaR, from committed fixtures of real fits (tests/fixtures/README.md); a fresh fit runs
when pymc-marketing is installed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmo_pyomo import solve
from mmo_pyomo.curves.importers import PlanningRules, curves_from_pymc_export
from mmo_pyomo.instance import load_instance
from mmo_pyomo.instance.risk import cvar, draw_totals, with_risk
from mmo_pyomo.mix.checker import check_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
EXPORT = FIXTURES / "pymc_multidim_export.json"
GEO = FIXTURES / "pymc_multidim_geo_export.json"
THEIRS = json.loads((FIXTURES / "pymc_multidim_optimizer.json").read_text())

pytest.importorskip("highspy")


def test_channel_by_geo_export_imports_one_activity_per_cell():
    inst = curves_from_pymc_export(json.loads(GEO.read_text()), PlanningRules())
    assert inst.activities == ("tv|north", "radio|north", "search|north", "tv|south", "radio|south", "search|south")
    assert inst.curves.n_draws == 200
    response = inst.curves.response(inst.baseline)
    assert not np.allclose(response[:3], response[3:])              # each geo has its own saturation draws
    r = solve(inst, "hull_oa", "highs", mip_gap=1e-6).raise_for_status()
    assert r.status == "optimal" and r.objective > r.baseline_revenue


@pytest.fixture(scope="module")
def weekly(tmp_path_factory):
    """The export as an 8-week plan, as PyMC-Marketing's optimizer sees it: no spend before the window (zero history)
    and the carry-over after it counted."""
    folder = tmp_path_factory.mktemp("pymc") / "weekly"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "import-curves", "--from", "pymc-marketing", "--input",
                           str(EXPORT), "--periods", "8", "--lower", "0.5", "--upper", "2", "--out", str(folder)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    channels = THEIRS["channels"]
    pd.DataFrame({"activity": [a for a in channels for _ in range(3)], "period": [0, -1, -2] * len(channels),
                  "spend": 0.0}).to_csv(folder / "history.csv", index=False)
    settings = pd.read_csv(folder / "settings.csv")
    pd.concat([settings, pd.DataFrame({"name": ["carry_out"], "value": [1]})]).to_csv(folder / "settings.csv",
                                                                                     index=False)
    return folder


def test_timing_against_pymc_marketing_over_eight_weeks(weekly):
    inst = load_instance(weekly)
    assert inst.n == 24 and inst.horizon.lag == 3 and inst.max_changes == 24
    theirs = np.repeat(np.array(THEIRS["average_response"]["per_period"])[:, None], 8, axis=1).ravel()
    valued = check_plan(inst, theirs)
    assert valued.feasible
    # the same plan on the same curves: ours at the posterior mean decay, theirs averaging each draw's decay
    assert valued.revenue == pytest.approx(-THEIRS["average_response"]["fun"], rel=5e-4)
    assert valued.revenue == pytest.approx(4114.973, rel=1e-6)
    ours = solve(inst, "hull_oa", "highs", mip_gap=1e-6).raise_for_status()
    assert ours.status == "optimal" and ours.gap <= 1e-6
    assert ours.objective == pytest.approx(4118.577, rel=1e-5) and ours.objective > valued.revenue
    x = np.array([ours.plan[a] for a in inst.activities]).reshape(3, 8)
    assert (x[:, 0] > x[:, 3]).all() and (x[:, 7] > x[:, 3]).all()    # front-load (no carry-in), back-load (carry-out)


def test_timing_with_the_discrete_rules(weekly, tmp_path):
    inst = load_instance(weekly).with_changes(max_changes=6)
    inst = inst.with_changes(min_change=0.1 * inst.baseline)
    ours = solve(inst, "hull_oa", "highs", mip_gap=1e-6).raise_for_status()
    assert ours.n_changes <= 6 and ours.objective == pytest.approx(4032.633, rel=1e-5)
    theirs = np.repeat(np.array(THEIRS["average_response"]["per_period"])[:, None], 8, axis=1).ravel()
    assert not check_plan(inst, theirs).feasible                      # it changes all 24 cells


@pytest.mark.parametrize("rules,expected", [(PlanningRules(lower=0.5, upper=2.0), 354.99971),
                                            (PlanningRules(lower=0.5, upper=2.0, min_change=0.1, max_changes=2),
                                             354.85244)])
def test_cvar_against_pymc_marketing(rules, expected):
    """PyMC-Marketing's conditional_value_at_risk(0.9) plan and ours, both valued on the same 200 draws (the steady
    weekly response of each draw) by the exact CVaR of the worst 10%."""
    inst = curves_from_pymc_export(json.loads(EXPORT.read_text()), rules)
    risky = with_risk(inst, "cvar:0.1")
    theirs = np.array(THEIRS["conditional_value_at_risk_0.9"]["per_period"])
    their_cvar = cvar(draw_totals(risky, theirs - inst.baseline), 0.1)
    assert their_cvar == pytest.approx(354.96577, rel=1e-6)
    ours = solve(inst, "hull_oa", "highs", mip_gap=1e-6, risk="cvar:0.1").raise_for_status()
    assert ours.status == "optimal" and ours.objective == pytest.approx(expected, rel=1e-6)
    assert ours.draws["baseline"]["cvar"] == pytest.approx(333.00128, rel=1e-6)
    if rules.max_changes is None:
        assert ours.objective >= their_cvar and ours.bound >= their_cvar
    else:
        assert not check_plan(inst, theirs).feasible                  # three channels change, K = 2


def test_fresh_multidimensional_fit_exports_exactly(tmp_path):
    """With the [pymc] extra: fit a small multidimensional MMM with a geo and check every exported curve against
    PyMC-Marketing's own saturation, in original units (about 2 minutes)."""
    pytest.importorskip("pymc_marketing")
    from pymc_marketing.mmm import GeometricAdstock, LogisticSaturation
    from pymc_marketing.mmm.multidimensional import MMM

    from mmo_pyomo.curves.importers import export_pymc_marketing
    rng = np.random.default_rng(3)
    dates = pd.date_range("2024-01-01", periods=40, freq="W-MON")
    frames = []
    for geo in ("north", "south"):
        spend = {c: rng.uniform(50, 150, 40) for c in ("tv", "radio")}
        y = 500 + sum(200 * (1 - np.exp(-spend[c] / 100)) for c in spend) + rng.normal(0, 20, 40)
        frames.append(pd.DataFrame({"date": dates, "geo": geo, **spend, "y": y}))
    df = pd.concat(frames, ignore_index=True)
    mmm = MMM(date_column="date", channel_columns=["tv", "radio"], target_column="y", dims=("geo",),
              adstock=GeometricAdstock(l_max=3), saturation=LogisticSaturation())
    mmm.fit(df.drop(columns="y"), df["y"], draws=50, tune=50, chains=1, random_seed=1, progressbar=False)
    export = export_pymc_marketing(mmm, df.drop(columns="y"))
    inst = curves_from_pymc_export(export, PlanningRules())
    post = mmm.idata.posterior
    for k, name in enumerate(inst.activities):
        channel, geo = name.split("|")
        sel = {"channel": channel, **({"geo": geo} if "geo" in post["saturation_lam"].dims else {})}
        lam, beta = post["saturation_lam"].sel(sel).values.ravel(), post["saturation_beta"].sel(sel).values.ravel()
        scale = float(mmm.scalers._channel.sel({d: v for d, v in (("channel", channel), ("geo", geo))
                                                if d in mmm.scalers._channel.dims}))
        target = float(mmm.scalers._target.sel({"geo": geo} if "geo" in mmm.scalers._target.dims else {}))
        z = lam * inst.baseline[k] / scale
        assert inst.curves.response(inst.baseline)[k] == pytest.approx(
            float((beta * (1 - np.exp(-z)) / (1 + np.exp(-z))).mean() * target), rel=1e-9)
    assert "adstock" in export and export["adstock"]["l_max"] == 3
