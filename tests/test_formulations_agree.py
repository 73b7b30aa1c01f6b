"""All six formulations reach the same optimum on SCIP, and every plan passes the checker."""
from __future__ import annotations

import pytest

from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.model_library import FORMULATIONS

from helpers import brute_force_optimum, random_instance

#: (n, seed, options): with and without rules, K binding and slack, regions missing, m = 0.
CASES = [
    (20, 1, dict(rules=True, k_fraction=0.2)),
    (30, 2, dict(rules=False, k_fraction=0.2)),
    (40, 3, dict(rules=True, k_fraction=1.0)),
    (60, 4, dict(rules=True, k_fraction=0.1)),
    (25, 5, dict(rules=False, k_fraction=1.0, budget=(0.9, 0.95))),
]


@pytest.fixture(scope="module", params=CASES, ids=lambda c: f"n{c[0]}-s{c[1]}")
def solved(request):
    n, seed, opts = request.param
    inst = random_instance(n, seed, **opts)
    return inst, {f: solve(inst, f, "scip", mip_gap=0.0) for f in FORMULATIONS}


def test_all_formulations_reach_the_same_optimum(solved):
    inst, results = solved
    objectives = {f: r.objective for f, r in results.items()}
    assert all(r.status == "optimal" for r in results.values()), {f: r.status for f, r in results.items()}
    ref = objectives["miqp"]
    for _f, obj in objectives.items():
        assert obj == pytest.approx(ref, rel=1e-6), objectives


def test_bounds_bracket_the_optimum(solved):
    inst, results = solved
    best = max(r.objective for r in results.values())
    for f, r in results.items():
        assert r.bound >= best - 1e-6 * abs(best), (f, r.bound, best)
        assert r.gap is not None and r.gap <= 1e-6


def test_every_plan_passes_the_checker(solved):
    inst, results = solved
    for f, r in results.items():
        check = check_plan(inst, r.plan)
        assert check.feasible, (f, check.violations)
        assert check.revenue == pytest.approx(r.objective, rel=1e-12)
        assert check.n_changes == r.n_changes <= inst.max_changes


def test_cardinality_binds_when_k_is_small():
    inst = random_instance(30, 11, rules=False, k_fraction=0.1)
    loose = solve(inst.with_changes(max_changes=inst.n), "misocp")
    tight = solve(inst, "misocp")
    assert loose.n_changes > inst.max_changes          # K = 3 really binds here
    assert tight.n_changes <= inst.max_changes
    assert tight.objective < loose.objective


@pytest.mark.parametrize("n,seed", [(5, 0), (6, 1), (6, 2), (7, 3), (8, 4)])
def test_optimum_matches_brute_force(n, seed):
    inst = random_instance(n, seed, rules=seed % 2 == 0, k_fraction=0.5)
    reference = brute_force_optimum(inst)
    assert reference is not None
    for f in FORMULATIONS:
        r = solve(inst, f, "scip", mip_gap=0.0)
        assert r.status == "optimal"
        assert r.objective == pytest.approx(reference, rel=1e-6), f
