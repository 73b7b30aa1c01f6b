"""Both cores at once: the bound side and the plan side exchange plans and fixings; the certificate holds."""
from __future__ import annotations

import json
import time

import numpy as np
import pytest

from mmo_pyomo.cli.main import main
from mmo_pyomo.errors import MMOError
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.chord import chord_start
from mmo_pyomo.mix.concurrent import ConcurrentSettings, solve_concurrent
from mmo_pyomo.mix.instances import paper_instance, retail_instance
from mmo_pyomo.mix.runner import solve

from helpers import random_instance

FAST = ConcurrentSettings(first_round_s=5.0, slice_s=5.0)


@pytest.mark.parametrize("inst", [random_instance(40, 2), paper_instance(300, "strong", 0.05, 0.25, seed=3)],
                         ids=["random40", "strong300"])
def test_the_concurrent_certificate_brackets_the_optimum(inst):
    optimum = solve(inst, "hull", "scip", mip_gap=0.0)
    assert optimum.status == "optimal"
    run = solve_concurrent(inst, chord_start(inst).delta, gap=1e-7, time_limit=60, settings=FAST)
    r = run.result
    check = check_plan(inst, inst.baseline + r.delta)
    assert check.feasible and r.objective == pytest.approx(check.revenue, rel=1e-12)
    assert r.objective <= optimum.objective * (1 + 1e-9)
    assert r.bound >= optimum.objective * (1 - 1e-9)                       # a valid bound
    assert r.gap == pytest.approx((r.bound - r.objective) / abs(r.objective), rel=1e-9)
    assert (r.status == "optimal") == (r.gap <= 1e-7)
    sides = {e["side"] for e in run.events}
    assert "lagrangian" in sides and run.events[-1]["what"] == "stop"
    fixed = [e["fixed"] for e in run.events if "fixed" in e]
    assert fixed == sorted(fixed)                                         # fixings only grow with better plans


def test_a_failing_bound_side_is_reported_and_the_plan_side_goes_on():
    """The bound side's engine refuses its model (here an engine that does not exist): its error reaches the result's
    message and the events, and the plan side's checked plan still comes back, certified by the Lagrangian bound.
    The gap cannot be reached, so the run lasts its whole limit: 60 s leaves the bound side's process the time to
    start and fail even when both cores are busy (15 s did not, in a fresh clone beside another job)."""
    inst = random_instance(40, 2)
    run = solve_concurrent(inst, chord_start(inst).delta, gap=1e-9, time_limit=60,
                           settings=ConcurrentSettings(bound_solver="no_such_engine", slice_s=5.0))
    errors = [e for e in run.events if e["what"] == "error"]
    assert [e["side"] for e in errors] == ["bound"] and "no_such_engine" in run.result.message
    assert check_plan(inst, inst.baseline + run.result.delta).feasible
    lagrangian = next(e for e in run.events if e["side"] == "lagrangian")
    assert run.result.bound == pytest.approx(lagrangian["bound"])         # the Lagrangian bound, valid throughout


def test_the_concurrent_solve_stops_at_its_time_limit():
    """A gap it cannot reach: the command ends by its limit, the bound side's round timed from the deadline and the
    plan side stopped. A small retail case (600 activities with rules): the paper's n = 1,000 case is proved
    optimal by HiGHS in about 5 s, and both sides then end before any limit."""
    inst = retail_instance(subgroups=20, store_groups=3, weeks=10, baseline="random")
    start = chord_start(inst).delta
    t = time.time()
    run = solve_concurrent(inst, start, gap=1e-12, time_limit=20,
                           settings=ConcurrentSettings(first_round_s=60.0, slice_s=60.0))
    assert time.time() - t < 20 + 15                      # generous: stopping two processes on a loaded machine
    assert run.result.status == "feasible" and run.events[-1]["reason"] == "time limit"
    assert check_plan(inst, inst.baseline + run.result.delta).feasible


def test_the_concurrent_command(tmp_path, capsys):
    out = tmp_path / "run.json"
    assert main(["solve", "--concurrent", "--start", "chord", "--formulation", "hull_oa", "--solver", "highs",
                 "--time-limit", "60", "--gap", "1e-6", "--json", str(out)]) == 0
    record = json.loads(out.read_text())
    assert record["formulation"] == "hull_oa bound + hull plan" and record["concurrent"][-1]["what"] == "stop"
    assert record["gap"] <= 1e-6 and record["status"] == "optimal"
    assert "hull_oa bound + hull plan" in capsys.readouterr().out


@pytest.mark.parametrize("extra, message", [
    ([], "--concurrent starts both sides from a plan"),
    (["--start", "chord", "--improve"], "drop --improve, --fix and --approximate"),
    (["--start", "chord", "--threads", "1"], "runs two sides on a thread each"),
])
def test_concurrent_options_that_do_not_fit_are_errors(capsys, extra, message):
    assert main(["solve", "--concurrent", *extra]) == 2
    assert message in capsys.readouterr().err


def test_a_start_that_breaks_a_rule_is_refused():
    inst = random_instance(10, 1)
    with pytest.raises(MMOError, match="needs a feasible start"):
        solve_concurrent(inst, np.full(inst.n, 1e9))
