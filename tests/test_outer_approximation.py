"""hull_oa: tangent cuts in perspective form give a valid bound, and refinement closes the gap."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.mix.runner import _solve_refining, solve
from mmo_pyomo.model_library import get_formulation
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import get_engine

from helpers import random_instance

INST = random_instance(40, 21, rules=True, k_fraction=0.3)


@pytest.fixture(scope="module")
def optimum() -> float:
    return solve(INST, "hull", "scip", mip_gap=0.0).objective


def test_a_tangent_never_exceeds_the_perspective():
    rng = np.random.default_rng(0)
    delta, z, d_hat = rng.normal(size=10_000), rng.uniform(1e-3, 1, 10_000), rng.normal(size=10_000)
    assert (delta ** 2 / z >= 2 * d_hat * delta - d_hat ** 2 * z - 1e-12).all()


def test_one_tangent_per_region_still_bounds_the_optimum(optimum):
    form = get_formulation("hull_oa")
    run = ModelRun(INST, form, get_engine("highs"), build_options={"tangents": 1})
    stats = run.solve(SolveOptions(mip_gap=0.0))
    assert stats.status == "optimal"
    assert stats.bound >= optimum * (1 - 1e-9)          # an over-estimate of a concave revenue
    assert stats.bound > optimum * (1 + 1e-4)           # and a loose one, which refinement must close


@pytest.mark.parametrize("engine", ["highs", "scip"])
def test_refinement_from_one_tangent_reaches_the_optimum(engine, optimum):
    form = get_formulation("hull_oa")
    run = ModelRun(INST, form, get_engine(engine), build_options={"tangents": 1})
    stats, delta = _solve_refining(run, SolveOptions(time_limit=120, mip_gap=1e-6, threads=1), None)
    check = check_plan(INST, INST.baseline + delta)
    assert stats.status == "optimal" and check.feasible
    assert stats.objective == pytest.approx(check.revenue, rel=1e-12)       # the true revenue, not the model's
    assert check.revenue == pytest.approx(optimum, rel=1e-6)
    assert optimum * (1 - 1e-9) <= stats.bound <= check.revenue * (1 + 1e-6)
    assert "tangent" in stats.message and int(stats.message.split(", ")[1].split()[0]) > 0   # cuts were added


def test_highs_takes_hull_oa_where_it_takes_no_other_formulation(optimum):
    r = solve(INST, "hull_oa", "highs", mip_gap=1e-6)
    assert r.status == "optimal" and r.objective == pytest.approx(optimum, rel=1e-6)
    assert r.bound >= optimum * (1 - 1e-9) and r.gap <= 1e-6 + 1e-12
    assert check_plan(INST, r.plan).feasible


def test_a_start_is_never_lost(optimum):
    """The model over-states the revenue of its own plans: a round may return a plan worse than the
    start it was given, and the runner must then keep the start."""
    best = solve(INST, "hull", "scip", mip_gap=0.0)
    form = get_formulation("hull_oa")
    run = ModelRun(INST, form, get_engine("highs"), build_options={"tangents": 1})   # loose: its plans can be worse
    stats, delta = _solve_refining(run, SolveOptions(time_limit=60, mip_gap=0.5, threads=1), best.delta)
    assert check_plan(INST, INST.baseline + delta).revenue >= best.objective * (1 - 1e-12)
    assert stats.objective >= best.objective * (1 - 1e-12)


def test_highs_receives_the_mip_start():
    """Pyomo's HiGHS interface has no warm start of its own; ours hands the start to HiGHS. With no time
    to search, HiGHS returns the start exactly when it was given one."""
    pytest.importorskip("highspy")
    best = solve(INST, "hull", "scip", mip_gap=0.0)
    form = get_formulation("hull_oa")
    found = {}
    for warm in (False, True):
        run = ModelRun(INST, form, get_engine("highs"))
        run.start(best.delta)
        found[warm] = run.solve(SolveOptions(time_limit=0), warm=warm)
    assert not found[False].has_solution
    assert found[True].has_solution and found[True].objective >= best.objective - 1e-6   # the OA over-states it


def test_highs_reports_its_bound_as_it_falls(optimum):
    """``on_bound``: every bound HiGHS logs during the solve is valid, and the last is the one it returns."""
    seen: list[float] = []
    r = solve(INST, "hull_oa", "highs", mip_gap=0.0, on_bound=seen.append)
    assert r.status == "optimal" and seen
    assert min(seen) >= optimum * (1 - 1e-9)
    assert seen == sorted(seen, reverse=True) or max(np.diff(seen)) <= 1e-9 * abs(optimum)
    assert min(seen) == pytest.approx(r.bound, rel=1e-6)


def test_highs_takes_a_plan_handed_over_during_the_solve(tmp_path):
    """``incumbents``: a better plan handed over at HiGHS's first user-solution point becomes its incumbent (its
    log line of source X, "user solution", shows the plan's revenue), and the result is at least that good."""
    inst = random_instance(60, 8, budget=(0.9, 0.97), k_fraction=0.3)
    best = solve(inst, "misocp", "scip", mip_gap=0.0)
    poor = solve(inst.with_changes(max_changes=inst.max_changes // 3), "misocp", "scip", mip_gap=0.0)
    assert poor.objective < best.objective * (1 - 1e-3)
    asked: list[int] = []

    def incumbents():
        asked.append(1)
        return best.delta if len(asked) == 1 else None
    log = tmp_path / "highs.log"
    r = solve(inst, "hull_oa", "highs", start=poor.delta, incumbents=incumbents, log_file=str(log))
    taken = [float(line.split()[6]) for line in log.read_text().splitlines() if line.startswith(" X ")]
    assert len(asked) > 1 and taken and taken[0] == pytest.approx(best.objective, rel=1e-6)
    assert r.objective >= best.objective * (1 - 1e-6)


def test_highs_hands_over_each_better_plan_it_finds():
    """``on_plan``: the plans HiGHS finds during the solve pass the independent checker, and the best of them
    earns what the result's plan earns, within the engine's tolerances (the runner polishes the engine's plan)."""
    inst = random_instance(60, 8, budget=(0.9, 0.97), k_fraction=0.3)
    found: list[np.ndarray] = []
    r = solve(inst, "hull_oa", "highs", mip_gap=0.0, on_plan=lambda delta: found.append(delta.copy()))
    assert r.status == "optimal" and found
    checks = [check_plan(inst, inst.baseline + delta) for delta in found]
    assert all(c.feasible for c in checks), [c.summary() for c in checks if not c.feasible][:1]
    best = max(c.revenue for c in checks)
    assert r.objective * (1 - 1e-6) <= best <= r.objective * (1 + 1e-12)


def test_cut_points_of_another_instance_are_an_error():
    from mmo_pyomo.errors import DataError
    with pytest.raises(DataError, match="cut point"):
        solve(INST, "hull_oa", "highs", formulation_options={"cut_at": (np.zeros(INST.n + 1),)})


@pytest.mark.parametrize("cut", [True, False], ids=["cut_at_start", "no_cut"])
def test_a_start_is_cut_exactly(cut):
    """A start gets its own tangents (the runner adds it to ``cut_at``): with the plan held, the model's most
    revenue is the plan's true revenue; without them the cuts over-state it."""
    import pyomo.environ as pyo

    from mmo_pyomo.mix.chord import chord_start
    start = chord_start(INST)
    run = ModelRun(INST, get_formulation("hull_oa"), get_engine("highs"),
                   build_options={"cut_at": (start.delta,) if cut else ()})
    run.start(start.delta)
    for var in run.model.component_objects(pyo.Var):
        if var.local_name.startswith(("d_", "z_")):
            for v in var.values():
                v.fix()
    stats = run.solve(SolveOptions(mip_gap=0.0))
    if cut:
        assert stats.objective == pytest.approx(start.revenue, rel=1e-9)
    else:
        assert stats.objective > start.revenue * (1 + 1e-6)
