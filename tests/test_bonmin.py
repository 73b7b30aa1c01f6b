"""Bonmin and Ipopt through CasADi: real solves checked against SCIP, the statistics read from Bonmin's
own output, the algorithms and what each proves, time limits, capability errors, and quiet terminals."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.errors import CapabilityError, MMOError
from mmo_pyomo.instance import write_dat
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.instances import paper_instance
from mmo_pyomo.mix.relaxation import root_bound, root_solver
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.solvers.casadi_nlp import BonminSummary, proved_bound, read_bonmin_output
from mmo_pyomo.solvers.registry import get_engine

from engine_matrix import require_engine
from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.usefixtures("_casadi")


@pytest.fixture(scope="module")
def _casadi():
    require_engine("bonmin")


EXAMPLE = load_instance(EXAMPLE_DAT)
N20, N40, N60 = random_instance(20, 1), random_instance(40, 2), random_instance(60, 3)
_OPTIMUM: dict[str, float] = {}


def optimum(inst) -> float:
    """SCIP's proved optimum (gap 0), the reference of every comparison here."""
    if inst.name not in _OPTIMUM:
        r = solve(inst, "hull", "scip", mip_gap=0.0)
        assert r.status == "optimal"
        _OPTIMUM[inst.name] = r.objective
    return _OPTIMUM[inst.name]


#: Every formulation Bonmin's B-BB proves (no rotated cones), on the example and on 20 to 60 activities. The
#: slow pairs (B-BB's MIQP at n = 60 takes 15 s, on the example 6 s) were measured once (docs/results.md) and
#: are left out of the default run.
EXACT_CASES = [(EXAMPLE, f) for f in ("perspective", "hull_oa")] \
    + [(N20, f) for f in ("miqp", "perspective", "hull_oa")] \
    + [(N40, f) for f in ("miqp", "perspective", "hull_oa")] + [(N60, f) for f in ("perspective", "hull_oa")]
#: The cone formulations, on which B-BB is a heuristic: its plan agrees with SCIP here, without a certificate.
CONE_CASES = [(EXAMPLE, "hull"), (N20, "misocp"), (N20, "hull"), (N40, "hull")]


@pytest.mark.parametrize("inst,formulation", EXACT_CASES, ids=[f"{i.name}-{f}" for i, f in EXACT_CASES])
def test_bonmin_proves_what_scip_proves(inst, formulation):
    r = solve(inst, formulation, "bonmin", mip_gap=0.0)
    assert r.status == "optimal", r.message
    assert r.objective == pytest.approx(optimum(inst), rel=1e-6)
    assert check_plan(inst, r.plan).feasible
    # The statistics every engine gives: the bound (from Bonmin's output) brackets the optimum.
    assert r.bound is not None and r.bound >= optimum(inst) * (1 - 1e-9)
    assert r.gap is not None and 0 <= r.gap <= 1e-4
    assert r.nodes is not None and r.nodes >= 0 and r.time_s is not None
    assert r.solver_version.startswith("CasADi")


@pytest.mark.parametrize("inst,formulation", CONE_CASES, ids=[f"{i.name}-{f}" for i, f in CONE_CASES])
def test_bonmin_on_the_cones_finds_the_optimum_without_a_certificate(inst, formulation):
    r = solve(inst, formulation, "bonmin", mip_gap=0.0)
    assert r.status == "feasible" and r.bound is None and "rotated_cone" in r.message
    assert r.objective == pytest.approx(optimum(inst), rel=1e-6)
    assert check_plan(inst, r.plan).feasible


def test_bonmin_on_the_minlp_is_a_heuristic_and_says_so():
    r = solve(N20, "minlp", "bonmin")
    assert r.status == "feasible" and r.bound is None and r.gap is None
    assert "local method" in r.message and "nonconvex_quadratic" in r.message
    assert r.objective <= optimum(N20) * (1 + 1e-6)      # within the rows' tolerance (1e-8)
    assert check_plan(N20, r.plan).feasible


@pytest.mark.parametrize("formulation", ["miqp", "perspective"])
def test_outer_approximation_proves_convex_models(formulation):
    r = solve(N20, formulation, "bonmin:B-OA", mip_gap=0.0)
    assert r.status == "optimal", r.message
    assert r.objective == pytest.approx(optimum(N20), rel=1e-6)
    assert r.bound is not None and r.bound >= optimum(N20) * (1 - 1e-9)


@pytest.mark.parametrize("solver,formulation", [("bonmin:B-OA", "misocp"), ("bonmin:B-QG", "miqp"),
                                                ("bonmin:b-hyb", "perspective")])
def test_algorithms_that_prove_nothing_here_report_feasible(solver, formulation):
    """Tangents of δ² − t·y are not valid cuts (the function is not convex), and B-QG and B-Hyb were seen to
    certify wrong optima on convex models: their plans are feasible, never optimal, and carry no bound."""
    r = solve(N20, formulation, solver, mip_gap=0.0, time_limit=60)
    assert r.status in ("feasible", "unreliable"), r.message
    assert r.bound is None and "local method" in r.message
    assert r.objective <= optimum(N20) * (1 + 1e-6)      # within the rows' tolerance (1e-8)
    assert check_plan(N20, r.plan).feasible


def test_unknown_algorithm_names_the_known_ones():
    with pytest.raises(MMOError) as info:
        get_engine("bonmin:B-XYZ")
    assert "B-XYZ" in info.value.cause and "bonmin:B-QG" in info.value.fix
    assert get_engine("bonmin:b-oa").name == "bonmin:B-OA"


def test_ipopt_refuses_integers_and_names_the_engines_that_take_them():
    with pytest.raises(CapabilityError) as info:
        solve(N20, "miqp", "ipopt")
    assert "integer" in info.value.cause and "bonmin" in info.value.fix and "scip" in info.value.fix


def test_time_limit_on_a_larger_instance_gives_a_checked_plan_or_no_plan(tmp_path):
    inst = paper_instance(300, "strong", 0.1, 0.5, seed=1)
    r = solve(inst, "miqp", "bonmin", time_limit=2)
    # Bonmin checks its limit between NLPs, so it may return later (the README says so); the time is reported
    assert r.time_s is not None and r.time_s > 0
    if r.plan is not None:
        assert r.status == "feasible" and check_plan(inst, r.plan).feasible
    else:
        assert r.status == "time_limit"
        proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "--data",
                               str(write_dat(inst, tmp_path / "big.dat")), "--formulation", "miqp",
                               "--solver", "bonmin", "--time-limit", "2"], capture_output=True, text=True, timeout=120)
        assert proc.returncode == 4 and "no plan found" in proc.stderr and "Traceback" not in proc.stderr


def test_the_terminal_stays_quiet_and_the_log_keeps_bonmins_output(tmp_path, capfd):
    log = tmp_path / "bonmin.log"
    r = solve(N20, "miqp", "bonmin", log_file=str(log))
    out, err = capfd.readouterr()
    assert r.status == "optimal"
    assert "NLP0014I" not in out + err and "Cbc0" not in out + err
    text = log.read_text()
    assert "Cbc0001I Search completed" in text and "NLP0014I" in text


def test_cli_solves_the_example_with_bonmin():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "--formulation", "perspective",
                           "--solver", "bonmin"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "status          optimal" in proc.stdout and "6,405.21" in proc.stdout
    assert "NLP0014I" not in proc.stdout + proc.stderr


# --------------------------------------------------------------------------- Bonmin's output, read
BB_DONE = """NLP0014I            18         OPT -11.353534       15 0.003643
Cbc0001I Search completed - best objective -11.35353373440168, took 377 iterations and 23 nodes (0.20 seconds)
Cbc0032I Strong branching done 8 times (283 iterations), fathomed 0 nodes and fixed 8 variables
"""
BB_PARTIAL = ("Cbc0005I Partial search - best objective 1e+50 (best possible -28.637123), took 0 iterations "
              "and 0 nodes (3.00 seconds)\n")
OA_STOPPED = "\n".join([
    "Cbc0005I Partial search - best objective 1e+50 (best possible -28.637124), took 521 iterations and 0 nodes "
    "(3.01 seconds)",
    "OA0009I OA  interrupted after 3.003185 seconds found solution of value 43.589482 (lower bound -28.637124 ).",
    "OA0010I Performed 2 iterations, explored 755 branch-and-bound nodes in total", ""])
OA_DONE = """OA0008I OA  converged in 0.046359 seconds found solution of value -11.353534 (lower bound 1e+50 ).
OA0010I Performed 3 iterations, explored 41 branch-and-bound nodes in total
"""


def test_bonmin_output_is_read_not_guessed():
    assert read_bonmin_output(BB_DONE) == BonminSummary(completed=True, best_possible=None, nodes=23)
    assert read_bonmin_output(BB_PARTIAL) == BonminSummary(completed=False, best_possible=-28.637123, nodes=0)
    assert read_bonmin_output(OA_STOPPED, "B-OA") == BonminSummary(False, -28.637124, 755)
    assert read_bonmin_output(OA_DONE, "B-OA") == BonminSummary(True, None, 41)
    assert read_bonmin_output("", "B-BB") == BonminSummary()            # nothing said: nothing invented
    # A completed search proves the incumbent less Bonmin's pruning allowance; a stopped one its best possible.
    assert proved_bound(read_bonmin_output(BB_DONE), -11.35, {}) == pytest.approx(-11.35 - 1e-5)
    assert proved_bound(read_bonmin_output(BB_DONE), -100.0, {"bonmin.allowable_fraction_gap": 1e-4}) \
        == pytest.approx(-100.01)
    assert proved_bound(read_bonmin_output(BB_PARTIAL), None, {}) == -28.637123
    assert proved_bound(BonminSummary(), -11.35, {}) is None


# --------------------------------------------------------------------------- Ipopt's root bounds
@pytest.mark.parametrize("inst", [N20, paper_instance(100, "strong", 0.1, 0.5, seed=1)], ids=lambda i: i.name)
def test_ipopt_root_bounds_agree_with_scip(inst):
    """The perspective's relaxation equals the MISOCP's (one convex hull of each activity's set); Ipopt
    solves it in a fraction of a second, where SCIP branches for minutes."""
    assert root_solver("perspective") == "ipopt" and root_solver("misocp") == "scip"
    misocp_scip = root_bound(inst, "misocp", "scip")
    assert root_bound(inst, "perspective") == pytest.approx(misocp_scip, rel=1e-6)
    assert root_bound(inst, "misocp", "ipopt") == pytest.approx(misocp_scip, rel=1e-6)
    assert root_bound(inst, "hull", "ipopt") == pytest.approx(root_bound(inst, "hull", "scip"), rel=1e-6)
    assert root_bound(inst, "miqp", "ipopt") == pytest.approx(root_bound(inst, "miqp", "scip"), rel=1e-6)
