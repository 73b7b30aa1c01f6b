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


def _k_follows_the_rule(slices: list[dict], n: int) -> None:
    """Local branching's k: kept after a gain, doubled after a proof that nothing better lies within k,
    halved after a slice that ran out of time."""
    lb = [s for s in slices if s["kind"] == "local_branching"]
    for a, b in zip(lb, lb[1:]):
        expected = a["k"] if a["gained"] else min(2 * a["k"], n) if a["status"] == "optimal" else max(1, a["k"] // 2)
        assert b["k"] == expected, (a, b)


def test_local_branching_looks_further_after_a_proof_and_closer_after_a_timeout(weak_and_optimum):
    weak, best = weak_and_optimum
    # From the optimum nothing is better: each slice proves it within k, so k doubles.
    proved = improve(INST, best.delta, time_limit=20, slice_s=10, k=2, threads=1)
    first = [s for s in proved.slices if s["kind"] == "local_branching"][:2]
    assert first[0]["status"] == "optimal" and not first[0]["gained"] and first[1]["k"] == 4
    _k_follows_the_rule(proved.slices, INST.n)
    # Slices of no time cannot search anything: k halves down to 1.
    starved = improve(INST, weak.delta, time_limit=3, slice_s=0, k=8, threads=1)
    lb = [s for s in starved.slices if s["kind"] == "local_branching"]
    assert lb[0]["k"] == 8 and min(s["k"] for s in lb) < 8
    _k_follows_the_rule(starved.slices, INST.n)
