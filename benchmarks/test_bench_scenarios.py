"""Scenarios beyond one steady budget, on HiGHS: time-phased plans with adstock, and CVaR over posterior draws.

Run: ``python -m pytest benchmarks/test_bench_scenarios.py --benchmark-json out.json``; compare the rows of one
run only. Each case records the status, the certified gap and the model size in ``extra_info``:

* a 20-channel × 52-week plan with geometric adstock L = 8 and carry-out, and the same at T = 13 and 26 (how the
  time grows with T); without discrete rules (its LP relaxation is exact), and with a 10% minimum change;
* 10 channels under ``--risk cvar:0.1`` with S = 50, 100 and 200 draws (how the time grows with S).
"""
from __future__ import annotations

import pytest

from mmo_pyomo import solve
from mmo_pyomo.curves.examples import drawn_instance, write_time_phased
from mmo_pyomo.instance import load_instance

GAP, LIMIT = 1e-6, 600.0


def _record(benchmark, result) -> None:
    benchmark.extra_info.update(status=str(result.status), gap=result.gap, objective=result.objective,
                                bound=result.bound, size=result.model_size, message=result.message[:200])
    assert result.ok and result.bound >= result.objective * (1 - 1e-6)


@pytest.mark.parametrize("periods", [13, 26, 52])
def test_time_phased_adstock(benchmark, tmp_path, periods):
    inst = load_instance(write_time_phased(str(tmp_path / "tp"), 20, periods, 8))
    result = benchmark.pedantic(lambda: solve(inst, "hull_oa", "highs", mip_gap=GAP, time_limit=LIMIT),
                                rounds=1, iterations=1)
    _record(benchmark, result)


@pytest.mark.parametrize("periods", [4, 8])
def test_time_phased_adstock_min_change(benchmark, tmp_path, periods):
    inst = load_instance(write_time_phased(str(tmp_path / "tp"), 20, periods, 8, min_change=0.1))
    result = benchmark.pedantic(lambda: solve(inst, "hull_oa", "highs", mip_gap=GAP, time_limit=LIMIT),
                                rounds=1, iterations=1)
    _record(benchmark, result)


@pytest.mark.parametrize("draws", [50, 100, 200])
def test_cvar_draws(benchmark, draws):
    inst = drawn_instance(10, draws, max_changes=5)
    result = benchmark.pedantic(lambda: solve(inst, "hull_oa", "highs", mip_gap=GAP, time_limit=LIMIT,
                                              risk="cvar:0.1"), rounds=1, iterations=1)
    _record(benchmark, result)
