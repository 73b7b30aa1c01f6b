"""The improvement heuristic: from a weak feasible plan to a better one, every plan checked."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.errors import MMOError
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.improve import MAX_REST, WITH_CORE, Turns, _regions_of, core_activities, improve
from mmo_pyomo.mix.instances import retail_instance
from mmo_pyomo.mix.lagrangian import solve_dual
from mmo_pyomo.mix.runner import solve

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


def _size_follows_the_rule(slices: list[dict], kind: str, key: str, most: int, slice_s: float) -> None:
    """Rule groups and the core: twice the size after a slice proved in under half its time, half after a timeout."""
    rg = [s for s in slices if s["kind"] == kind]
    for a, b in zip(rg, rg[1:]):
        expected = (min(2 * a[key], most) if a["status"] == "optimal" and a["time_s"] < slice_s / 2
                    else a[key] if a["status"] == "optimal" else max(1, a[key] // 2))
        assert b[key] == expected, (a, b)


def _rules_follow_the_rule(slices: list[dict], n_rules: int, slice_s: float) -> None:
    _size_follows_the_rule(slices, "rule_groups", "rules", n_rules, slice_s)


def test_neighbourhoods_grow_after_a_proof_and_shrink_after_a_timeout(weak_and_optimum):
    weak, best = weak_and_optimum
    # From the optimum nothing is better: each slice proves it within k, so k doubles.
    proved = improve(INST, best.delta, time_limit=20, slice_s=10, k=2, threads=1)
    first = [s for s in proved.slices if s["kind"] == "local_branching"][:2]
    assert first[0]["status"] == "optimal" and not first[0]["gained"] and first[1]["k"] == 4
    _k_follows_the_rule(proved.slices, INST.n)
    _rules_follow_the_rule(proved.slices, len(INST.rules), 10)
    # Slices of no time cannot search anything: k halves down to 1.
    starved = improve(INST, weak.delta, time_limit=3, slice_s=0, k=8, free_rules=4, threads=1)
    lb = [s for s in starved.slices if s["kind"] == "local_branching"]
    assert lb[0]["k"] == 8 and min(s["k"] for s in lb) < 8
    _k_follows_the_rule(starved.slices, INST.n)
    _rules_follow_the_rule(starved.slices, len(INST.rules), 0)


def test_rule_groups_grow_while_they_solve_quickly():
    """A small retail case (80 activities, many rules) from its optimum: every rule-group slice is solved
    to optimality at once, so each frees twice the rules of the last."""
    inst = retail_instance(subgroups=10, store_groups=2, weeks=4, seed=3).with_changes(budget_upper=1.0)
    best = solve(inst, "hull", "scip", mip_gap=0.0, threads=1)       # (K = 25% cannot cut this small case's budget 10%)
    assert best.status == "optimal" and len(inst.rules) > 16
    found = improve(inst, best.delta, time_limit=15, slice_s=60, k=1, free_rules=2, threads=1)
    groups = [s for s in found.slices if s["kind"] == "rule_groups"]
    assert [s["rules"] for s in groups[:3]] == [2, 4, 8] and all(s["status"] == "optimal" for s in groups[:2])
    _rules_follow_the_rule(found.slices, len(inst.rules), 60)
    assert found.revenue == pytest.approx(best.objective, rel=1e-6)      # nothing beats the optimum


def test_a_neighbourhood_that_times_out_without_gain_sits_out_more_and_more_turns():
    turns = Turns()
    seq = []
    for _ in range(60):
        kind = turns.next()
        seq.append(kind[0])                                   # l(ocal branching) or r(ule groups)
        turns.record(kind, fruitless=kind == "local_branching")
    # local branching always times out: it sits out 1, 3, 7, then at most MAX_REST turns between tries
    runs = "".join(seq).split("l")[1:-1]
    assert "".join(seq).startswith("lr") and [len(r) for r in runs[:4]] == [3, 7, 15, 2 * MAX_REST + 1]
    turns.record("local_branching", fruitless=False)          # a gain or a proof: back to taking turns
    assert turns.strikes["local_branching"] == 0
    both = Turns()                                            # both fruitless: they still alternate
    kinds = []
    for _ in range(6):
        kinds.append(both.next())
        both.record(kinds[-1], fruitless=True)
    assert set(kinds) == {"local_branching", "rule_groups"}
    with_core = Turns(WITH_CORE)                              # the core first, and two turns in three
    order = [with_core.next() for _ in range(12)]
    assert order == list(WITH_CORE) * 2 and order.count("lagrangian_core") == 8
    resting = Turns(WITH_CORE)                                # the core rests: the next kind in the order goes
    resting.record("lagrangian_core", fruitless=True)
    assert [resting.next() for _ in range(3)] == ["rule_groups", "lagrangian_core", "rule_groups"]


def test_the_lagrangian_core_frees_the_activities_the_bound_prices_away_from_their_region(weak_and_optimum):
    """Without noise the core is the activities whose best other region's bound is furthest above their own
    region's; an activity with no other region is never in it."""
    weak, _ = weak_and_optimum
    bound = solve_dual(INST)
    region = _regions_of(weak.delta)
    rb = bound.region_bound
    own = rb[np.arange(INST.n), region]
    other = np.where(np.arange(3)[None, :] == region[:, None], -np.inf, rb).max(axis=1)
    picked = core_activities(bound, region, 10, 0.0, np.random.default_rng(0))
    assert len(picked) == 10 and len(set(picked.tolist())) == 10
    rest = np.setdiff1d(np.arange(INST.n), picked)
    assert (other - own)[picked].min() >= (other - own)[rest].max()
    # the weak plan (a third of K) keeps regions the bound prices below another: those lead the core
    assert (other - own)[picked].min() > 0
    noisy = core_activities(bound, region, 10, 1e6, np.random.default_rng(1))     # noise far above the scores
    assert len(noisy) == 10 and set(noisy.tolist()) != set(picked.tolist())


def test_the_lagrangian_core_improves_a_weak_plan_to_the_optimum(weak_and_optimum):
    """Given the bound, the core takes two turns in three; its plans pass the checker and reach the proved optimum
    (SCIP, 60 activities)."""
    weak, best = weak_and_optimum
    bound = solve_dual(INST)
    found = improve(INST, weak.delta, time_limit=20, slice_s=5, k=4, threads=1, bound=bound, core=8)
    core = [s for s in found.slices if s["kind"] == "lagrangian_core"]
    assert found.slices[0]["kind"] == "lagrangian_core" and core[0]["freed"] == 8 and core[0]["gained"]
    assert len(core) >= len(found.slices) // 2           # (it rests after a fruitless timeout)
    check = check_plan(INST, INST.baseline + found.delta)
    assert check.feasible and check.revenue == pytest.approx(found.revenue, rel=1e-12)
    assert best.objective * (1 - 1e-6) <= found.revenue <= best.objective * (1 + 1e-9)
    _rules_follow_the_rule(found.slices, len(INST.rules), 5)
    movable = int((np.isfinite(bound.region_bound).sum(axis=1) > 1).sum())
    _size_follows_the_rule(found.slices, "lagrangian_core", "freed", movable, 5)


def test_a_bound_of_another_instance_is_refused(weak_and_optimum):
    weak, _ = weak_and_optimum
    other = solve_dual(random_instance(20, 1))
    with pytest.raises(MMOError, match="prices 20 activities, and the instance has 60"):
        improve(INST, weak.delta, time_limit=5, bound=other)
