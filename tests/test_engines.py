"""Every engine of the table, solved for real on instances inside the pip editions' limits."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from mmo_pyomo.errors import CapabilityError, InfeasibleInstanceError, LicenceLimitError, SolverUnavailableError
from mmo_pyomo.instance import write_dat
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.instances import paper_instance
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.engines import ENGINES
from mmo_pyomo.solvers.registry import engines_taking, ensure_installed

from engine_matrix import EXPECTED_FAILURES, engine_state, require_engine
from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent

#: Small enough for every pip edition: the hull on n = 10 has 90 columns and 84 rows.
SMALL = [random_instance(10, 3, rules=True, k_fraction=0.3), random_instance(8, 7, rules=False, k_fraction=0.5)]
_REFERENCE: dict[str, float] = {}


def reference(inst) -> float:
    if inst.name not in _REFERENCE:
        _REFERENCE[inst.name] = solve(inst, "miqp", "scip", mip_gap=0.0).objective
    return _REFERENCE[inst.name]


TABLE = [(e, f) for e in ENGINES for f in FORMULATIONS]


def test_declared_capabilities_give_the_known_table():
    """The capability declarations reproduce what each engine was verified to take here."""
    takes = {e: {f for f in FORMULATIONS if (e, f) not in EXPECTED_FAILURES} for e in ENGINES}
    assert takes == {
        "scip": set(FORMULATIONS), "gurobi": set(FORMULATIONS), "bonmin": set(FORMULATIONS),
        "bonmin_asl": set(FORMULATIONS), "ipopt": set(),     # Ipopt: the continuous relaxations only
        "cplex": {"miqp", "misocp", "hull", "hull_oa"}, "xpress": {"miqp", "misocp", "hull", "hull_oa"},
        "highs": {"hull_oa"},
    }
    assert EXPECTED_FAILURES[("cplex", "perspective")] == "division by a variable in the objective"
    assert "integer variables in a nonlinear model" in EXPECTED_FAILURES[("highs", "miqp")]
    assert "integer" in EXPECTED_FAILURES[("ipopt", "miqp")]


@pytest.mark.parametrize("engine,formulation", [p for p in TABLE if p not in EXPECTED_FAILURES],
                         ids=[f"{e}-{f}" for e, f in TABLE if (e, f) not in EXPECTED_FAILURES])
@pytest.mark.parametrize("inst", SMALL, ids=[i.name for i in SMALL])
def test_engine_solves_and_agrees_with_scip(engine, formulation, inst):
    require_engine(engine)
    r = solve(inst, formulation, engine, mip_gap=0.0, threads=1)
    assert r.status in ("optimal", "feasible"), r.message
    if ENGINES[engine].handover(FORMULATIONS[formulation].needs).heuristic:
        assert r.objective <= reference(inst) * (1 + 1e-6)
    else:
        assert r.status == "optimal"
        assert r.objective == pytest.approx(reference(inst), rel=1e-6)
    assert check_plan(inst, r.plan).feasible
    assert r.time_s is not None and r.time_s >= 0 and r.solver_version
    if r.bound is not None:   # unknown for Bonmin: never invented
        assert r.bound >= r.objective - 1e-6 * abs(r.objective)
    if engine in ("scip", "gurobi", "cplex", "xpress"):
        assert r.nodes is not None and r.nodes >= 0


@pytest.mark.parametrize("engine,formulation", list(EXPECTED_FAILURES), ids=[f"{e}-{f}" for e, f in EXPECTED_FAILURES])
def test_expected_failure_names_the_engines_that_can(engine, formulation):
    with pytest.raises(CapabilityError) as info:
        solve(SMALL[0], formulation, engine)
    assert EXPECTED_FAILURES[(engine, formulation)].split(",")[0] in info.value.cause
    for able in engines_taking(FORMULATIONS[formulation].needs):
        assert able in info.value.fix


def test_missing_engine_says_how_to_install():
    ghost = dataclasses.replace(ENGINES["gurobi"], requires="no_such_module_for_test")
    with pytest.raises(SolverUnavailableError, match="not installed") as info:
        ensure_installed(ghost)
    assert "pip install gurobipy" in info.value.fix


def test_bonmin_missing_or_solving():
    if ENGINES["bonmin"].installed():
        r = solve(SMALL[0], "perspective", "bonmin")
        assert r.status == "optimal" and r.objective == pytest.approx(reference(SMALL[0]), rel=1e-6)
        assert r.bound is not None and r.nodes is not None
    else:
        with pytest.raises(SolverUnavailableError, match="bonmin"):
            solve(SMALL[0], "perspective", "bonmin")


LARGE = random_instance(150, 3)   # 1,200 columns in the MISOCP: over every pip edition's limit


@pytest.mark.parametrize("engine", ["gurobi", "cplex", "xpress"])
def test_size_limited_edition_fails_with_the_size_message(engine):
    licence = require_engine(engine)
    if licence != "size-limited":
        pytest.skip(f"{engine} has a {licence} licence")
    with pytest.raises(LicenceLimitError) as info:
        solve(LARGE, "misocp", engine, time_limit=30)
    assert "variables" in str(info.value) and "limit" in str(info.value)


@pytest.mark.parametrize("engine", ["scip", "gurobi", "cplex", "xpress"])
def test_infeasible_instance(engine):
    require_engine(engine)
    inst = SMALL[0]
    bad = inst.with_changes(rule_lower=inst.rule_upper * 1.3, rule_upper=inst.rule_upper * 1.4, budget_upper=1.0)
    # a rule whose level no plan can reach is refused before any engine runs, naming the rule (exit 3)
    with pytest.raises(InfeasibleInstanceError, match="infeasible rule"):
        solve(bad, "miqp", engine)


def test_time_limit_without_incumbent():
    r = solve(paper_instance(300, "strong", 0.1, 0.5, seed=1), "miqp", "scip", time_limit=0)
    assert r.status == "time_limit" and r.plan is None


def test_expert_pyomo_name():
    r = solve(SMALL[0], "miqp", "pyomo:scip_direct")
    assert r.status == "optimal" and r.objective == pytest.approx(reference(SMALL[0]), rel=1e-6)


def _cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), *args],
                          capture_output=True, text=True, timeout=300)


def test_cli_failure_messages(tmp_path):
    proc = _cli("--solver", "cplex", "--formulation", "perspective")
    assert proc.returncode == 2 and "cannot take the perspective" in proc.stderr and "scip" in proc.stderr
    proc = _cli("--solver", "bonmin_asl")
    if not ENGINES["bonmin_asl"].installed():
        assert proc.returncode == 2 and "not installed" in proc.stderr and "--solver bonmin" in proc.stderr
    proc = _cli("--solver", "bonmin:B-XX")
    assert proc.returncode == 2 and "unknown Bonmin algorithm" in proc.stderr and "bonmin:B-OA" in proc.stderr
    big = write_dat(paper_instance(300, "strong", 0.1, 0.5, seed=1), tmp_path / "big.dat")
    proc = _cli("--data", str(big), "--formulation", "miqp", "--time-limit", "0")   # refused: a limit must be > 0
    assert proc.returncode == 2 and "time limit must be > 0" in proc.stderr
    for p in (proc,):
        assert "Traceback" not in p.stderr


def test_list_solvers_and_compare(tmp_path):
    proc = _cli("--list-solvers")
    assert proc.returncode == 0
    for name in ENGINES:
        assert name in proc.stdout
    small = write_dat(SMALL[1], tmp_path / "small.dat")
    proc = _cli("--data", str(small), "--formulation", "all", "--solver", "all")
    assert proc.returncode == 0
    lines = [l for l in proc.stdout.splitlines() if l.split() and l.split()[0] in FORMULATIONS]
    assert len(lines) == len(FORMULATIONS) * len(ENGINES)
    for line in lines:
        formulation, engine = line.split()[:2]
        runs = (engine, formulation) not in EXPECTED_FAILURES and engine_state(engine)[0] \
            and not engine_state(engine)[1].startswith("missing")
        how = ENGINES[engine].handover(FORMULATIONS[formulation].needs)
        expected = ("feasible" if how and how.heuristic else "optimal") if runs else "cannot_run"
        assert line.split()[2] == expected, line


def test_highs_solves_again_with_another_thread_count():
    """HiGHS keeps one thread pool per process; a later solve with another --threads must still run."""
    require_engine("highs")
    first = solve(SMALL[0], "hull_oa", "highs", mip_gap=0.0)
    again = solve(SMALL[0], "hull_oa", "highs", mip_gap=0.0, threads=1)
    assert first.status == again.status == "optimal"
    assert again.objective == pytest.approx(reference(SMALL[0]), rel=1e-6)
