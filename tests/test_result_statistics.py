"""No statistic of a result record is negative, on any path: a node count, a time or a gap is either a real value
(≥ 0: an LP takes 0 nodes) or absent (None, "not reported"). Engines have sentinels for "not reported" (HiGHS's
mip_node_count is −1 after an LP): summed over an outer approximation's rounds they once gave "nodes -9"."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from test_periods import ACTIVITIES, write_folder

from mmo_pyomo.instance import load_instance
from mmo_pyomo.mix.chord import chord_start
from mmo_pyomo.mix.concurrent import ConcurrentSettings, solve_concurrent
from mmo_pyomo.mix.pipeline import plan
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.stats import SolveStats, Status, known_count, summed_count

from engine_matrix import EXPECTED_FAILURES, require_engine
from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent
#: The statistics of a record, wherever they appear in it (nested stages and points included).
STATISTICS = ("nodes", "gap", "bound_gap", "root_gap")


def _statistics(record: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every (path, value) of a statistic in ``record``: nodes, gaps, and every time (a key ending in ``time_s``)."""
    found: list[tuple[str, Any]] = []
    if isinstance(record, dict):
        for key, value in record.items():
            where = f"{path}.{key}"
            if isinstance(value, (dict, list)):
                found += _statistics(value, where)
            elif key in STATISTICS or str(key).endswith("time_s"):
                found.append((where, value))
    elif isinstance(record, list):
        for k, value in enumerate(record):
            found += _statistics(value, f"{path}[{k}]")
    return found


def assert_no_negative_statistic(record: dict[str, Any]) -> None:
    """Each statistic is None or a finite number ≥ 0; a node count is an integer. The one exception is the gap of an
    ``unreliable`` result, which is reported as it is (negative: the bound lies below the plan; mix/certificate.py)."""
    stats = _statistics(record)
    assert stats, "the record has no statistics"
    for where, value in stats:
        if value is None:
            continue
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value), (where, value)
        if where.endswith(".nodes"):
            assert isinstance(value, int), (where, value)
        if where.endswith("gap") and record.get("status") == Status.UNRELIABLE:
            continue
        assert value >= 0, f"{where} is {value}"


def test_a_time_phased_plan_solved_as_lps_takes_zero_nodes(tmp_path):
    """Without a minimum change and with K at the number of cells, every round of hull_oa is an LP."""
    folder = write_folder(tmp_path / "lp", activities=ACTIVITIES.assign(min_change=0.0), max_changes=12)
    out = tmp_path / "lp.json"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "solve", "--data", str(folder), "--formulation",
                           "hull_oa", "--solver", "highs", "--json", str(out)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    record = json.loads(out.read_text())
    assert record["nodes"] == 0 and "\nnodes           0\n" in proc.stdout
    assert "outer approximation" in record["message"] and " 1 round(s)" not in record["message"]     # summed rounds
    assert_no_negative_statistic(record)
    # and with the discrete rules, a MILP: HiGHS's own count, summed over the rounds
    milp = plan(load_instance(write_folder(tmp_path / "milp")), "hull_oa", "highs").to_dict()
    assert isinstance(milp["nodes"], int) and milp["nodes"] >= 0
    assert_no_negative_statistic(milp)


#: Every formulation on every engine that can take it (engine_matrix derives the pairs from the capabilities).
PAIRS = [(f, e) for e in ("scip", "highs", "gurobi", "cplex", "xpress") for f in sorted(FORMULATIONS)
         if (e, f) not in EXPECTED_FAILURES]


@pytest.mark.parametrize("formulation,solver", PAIRS)
def test_no_statistic_is_negative_on_any_formulation(formulation, solver):
    require_engine(solver)
    record = plan(random_instance(8, 3), formulation, solver, SolveOptions(time_limit=60, mip_gap=1e-6)).to_dict()
    assert record["status"] in ("optimal", "feasible"), record["message"]
    assert_no_negative_statistic(record)


def test_no_statistic_is_negative_concurrent_pareto_and_offers(tmp_path):
    inst = random_instance(20, 5)
    run = solve_concurrent(inst, chord_start(inst).delta, gap=1e-6, time_limit=30,
                           settings=ConcurrentSettings(first_round_s=5.0, slice_s=5.0))
    assert_no_negative_statistic(run.result.to_dict())
    for command, record in (
            (["pareto", "--steps", "3", "--formulation", "hull", "--out", str(tmp_path / "curve"), "--json",
              str(tmp_path / "pareto.json")], tmp_path / "pareto.json"),
            (["offers", "solve", "--data", str(ROOT / "data" / "bank"), "--out", str(tmp_path / "campaign")],
             tmp_path / "campaign" / "report.json")):
        proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", *command], capture_output=True, text=True,
                              timeout=600, cwd=ROOT)
        assert proc.returncode == 0, proc.stderr
        assert_no_negative_statistic(json.loads(record.read_text()))


def test_an_engines_sentinel_is_not_a_statistic():
    """The one place every engine's statistics pass through turns a sentinel into "not reported"."""
    stats = SolveStats(Status.OPTIMAL, nodes=-1, time_s=-0.5)
    assert stats.nodes is None and stats.time_s is None
    assert SolveStats(Status.OPTIMAL, nodes=0, time_s=0.0).nodes == 0
    assert [known_count(v) for v in (-9, 0, 7, None, True)] == [None, 0, 7, None, None]
    assert summed_count(summed_count(0, 0), 3) == 3 and summed_count(4, None) is None and summed_count(None, 2) is None
