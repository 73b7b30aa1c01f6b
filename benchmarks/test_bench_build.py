"""Benchmarks (pytest-benchmark), outside the default test run: ``python -m pytest benchmarks``.

Speed is reported as ratios within one run; absolute times on shared machines are noise.
"""
from __future__ import annotations

import pytest

from mmo_pyomo.instance import read_dat, write_dat
from mmo_pyomo.mix.concrete import create_model
from mmo_pyomo.mix.instances import paper_instance, retail_instance
from mmo_pyomo.mix.runner import solve

RETAIL = retail_instance(baseline="random")


@pytest.fixture(scope="module")
def retail_dat(tmp_path_factory):
    return write_dat(RETAIL, tmp_path_factory.mktemp("retail") / "retail.dat")


def test_retail_dat_load(benchmark, retail_dat):
    inst = benchmark.pedantic(read_dat, args=(retail_dat,), rounds=3, iterations=1)
    assert inst.n == 3000 and len(inst.rules) == 2630


@pytest.mark.parametrize("formulation", ["miqp", "misocp", "hull"])
def test_retail_model_build(benchmark, formulation):
    model = benchmark.pedantic(create_model, args=(RETAIL, formulation), rounds=3, iterations=1)
    assert len(model.ACTIVITIES) == 3000


GRID = [paper_instance(100, c, d, 0.5, seed=1) for c in ("uncorrelated", "strong") for d in (0.05, 0.20)]


@pytest.mark.parametrize("formulation", ["miqp", "misocp", "hull"])
def test_small_grid_solve(benchmark, formulation):
    """MIQP against MISOCP against hull on a fixed small grid (4 instances, n = 100), SCIP."""
    def run():
        return [solve(inst, formulation, "scip", time_limit=120) for inst in GRID]
    results = benchmark.pedantic(run, rounds=1, iterations=1)
    assert all(r.ok for r in results)
