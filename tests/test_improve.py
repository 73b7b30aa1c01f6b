"""The improvement heuristic: from a weak feasible plan to a better one, every plan checked."""
from __future__ import annotations

import pytest

from mmo_pyomo.checker import check_plan
from mmo_pyomo.errors import MMOError
from mmo_pyomo.improve import improve
from mmo_pyomo.runner import solve

from helpers import random_instance

INST = random_instance(60, 4, rules=True, k_fraction=0.3)


@pytest.fixture(scope="module")
def weak_and_optimum():
    weak = solve(INST.with_changes(max_changes=INST.max_changes // 3), "hull", "scip")   # feasible, far from best
    best = solve(INST, "hull", "scip", mip_gap=0.0)
    assert weak.ok and best.status == "optimal" and weak.objective < best.objective * (1 - 1e-3)
    return weak, best


@pytest.mark.parametrize("formulation,engine", [("hull", "scip"), ("hull_oa", "highs")])
def test_neighbourhoods_improve_a_weak_plan(weak_and_optimum, formulation, engine):
    weak, best = weak_and_optimum
    found = improve(INST, weak.delta, formulation=formulation, solver=engine, time_limit=30, slice_s=5, k=4, threads=1)
    assert found.improved and found.start_revenue == pytest.approx(weak.objective)
    check = check_plan(INST, INST.baseline + found.delta)
    assert check.feasible and check.revenue == pytest.approx(found.revenue, rel=1e-12)
    assert found.revenue <= best.objective * (1 + 1e-9)                 # never above the proved optimum
    assert found.revenue >= best.objective * (1 - 1e-4)                 # and close to it on this case
    kinds = {s["kind"] for s in found.slices}
    assert kinds == {"local_branching", "rule_groups"}


def test_improved_plan_is_a_mip_start(weak_and_optimum):
    weak, best = weak_and_optimum
    found = improve(INST, weak.delta, time_limit=15, slice_s=5, k=4, threads=1)
    r = solve(INST, "hull", "scip", start=found.delta, mip_gap=0.0)
    assert r.status == "optimal" and r.objective == pytest.approx(best.objective, rel=1e-9)


def test_infeasible_start_is_refused():
    with pytest.raises(MMOError, match="feasible start"):
        improve(INST, INST.upper - INST.baseline, time_limit=5)
