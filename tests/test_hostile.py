"""Hostile input through the command line: every case exits non-zero with `error:` and `fix:`
lines that name the cause, never a traceback, and writes nothing."""
from __future__ import annotations

import functools
import json
import os
import re
import stat
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.instance import write_csv_dir, write_dat
from mmo_pyomo.offers.bank import generate_problem, write_problem

from helpers import random_instance

ROOT = Path(__file__).resolve().parent.parent


def _dat(tmp: Path, text: str) -> str:
    path = tmp / "bad.dat"
    path.write_text(text)
    return str(path)


def _csv_with(tmp: Path, name: str, edit) -> str:
    folder = write_csv_dir(random_instance(6, 1), tmp / "csv")
    path = folder / name
    path.write_text(edit(path.read_text()))
    return str(folder)


def _bank_with(tmp: Path, **change) -> str:
    return str(write_problem(replace(generate_problem(300, seed=2), **change), tmp / "bank", csv=True))


def _bank_file(tmp: Path, name: str, text: str) -> str:
    folder = write_problem(generate_problem(300, seed=2), tmp / "bank", csv=True)
    (folder / name).write_text(text)
    return str(folder)


EXAMPLE = EXAMPLE_DAT.read_text()

CASES = {
    # class 1 and 2: files that cannot be read, or would be silently reinterpreted
    "empty .dat": lambda t: ["solve.py", "--data", _dat(t, "")],
    "max_changes := twelve": lambda t: ["solve.py", "--data", _dat(t, EXAMPLE.replace("param max_changes := 12",
                                                                                    "param max_changes := twelve"))],
    "repeated param statement": lambda t: ["solve.py", "--data", _dat(t, EXAMPLE + "param budget_upper := 2 ;\n")],
    "negative spend bound": lambda t: ["solve.py", "--data", str(write_dat(random_instance(6, 1).with_changes(
        lower=random_instance(6, 1).lower - 1000), t / "neg.dat"))],
    "non-numeric CSV cell": lambda t: ["solve.py", "--data", _csv_with(t, "settings.csv",
                                                                       lambda s: s.replace("max_changes,", "max_changes,x"))],
    "repeated settings row": lambda t: ["solve.py", "--data", _csv_with(t, "settings.csv",
                                                                        lambda s: s + "budget_upper,5\n")],
    # flags out of range
    "gap 2": lambda t: ["solve.py", "--gap", "2"],
    "negative time limit": lambda t: ["solve.py", "--time-limit", "-5"],
    "threads 0 in the study": lambda t: ["compare.py", "--data", str(EXAMPLE_DAT), "--threads", "0", "--out", str(t)],
    "generate n -5": lambda t: ["generate.py", "--n", "-5", "--out", str(t / "x.dat")],
    "pareto steps 0": lambda t: ["pareto.py", "--steps", "0", "--out", str(t)],
    # outputs that cannot be written are refused before any work
    "json into a file's folder": lambda t: ["solve.py", "--json", str(_touch(t / "f") / "r.json")],
    "json and plan into one file": lambda t: ["solve.py", "--json", str(t / "r.json"), "--plan", str(t / "r.json")],
    "json with all": lambda t: ["solve.py", "--formulation", "all", "--json", str(t / "r.json")],
    # offers
    "capacity typed 1OO": lambda t: ["offers.py", "solve", "--data", _bank_file(
        t, "channels.csv", "channel,capacity\ndirect_mail,\ncall_centre,1OO\nbranch,50\n"), "--out", str(t / "o")],
    "hurdle 1000": lambda t: ["offers.py", "solve", "--data", _bank_with(t, hurdle_rate=1000.0), "--out", str(t / "o")],
    "campaign.json not JSON": lambda t: ["offers.py", "solve", "--data", _bank_file(t, "campaign.json", "{budget: 1"),
                                         "--out", str(t / "o")],
    "offers gap 1.5": lambda t: ["offers.py", "solve", "--data", str(t), "--gap", "1.5", "--out", str(t / "o")],
    "sweep with 0 steps": lambda t: ["offers.py", "sweep", "--data", _bank_with(t), "--budget", "1k:2k:0", "--out", str(t / "o")],
    "sweep from a NaN budget": lambda t: ["offers.py", "sweep", "--data", _bank_with(t), "--budget=nan:2k:3",
                                          "--out", str(t / "o")],
    "sweep to a negative capacity": lambda t: ["offers.py", "sweep", "--data", _bank_with(t),
                                               "--capacity", "branch:-1:10:3", "--out", str(t / "o")],
    "sweep: a bad second range stops the first": lambda t: ["offers.py", "sweep", "--data", _bank_with(t),
                                                            "--budget", "1k:2k:2", "--capacity", "nowhere:1:2:2",
                                                            "--out", str(t / "o")],
    # the generator's fractions
    "generate min-change 2": lambda t: ["generate.py", "--n", "10", "--min-change", "2", "--out", str(t / "x.dat")],
    "generate min-change nan": lambda t: ["generate.py", "--n", "10", "--min-change", "nan", "--out", str(t / "x.dat")],
    "generate max-changes -1": lambda t: ["generate.py", "--n", "10", "--max-changes", "-1", "--out", str(t / "x.dat")],
    # engines named before any run
    "study with an unknown engine": lambda t: ["compare.py", "--data", str(EXAMPLE_DAT), "--solvers", "nosuch",
                                               "--out", str(t / "o")],
    # a start plan that is not one
    "start plan missing": lambda t: ["solve.py", "--start-plan", str(t / "nowhere.csv"), "--json", str(t / "r.json")],
    "start plan without new_spend": lambda t: ["solve.py", "--start-plan", _plan_file(t, drop="new_spend")],
    "start plan repeats an activity": lambda t: ["solve.py", "--start-plan", _plan_file(t, repeat=True)],
    "start plan infeasible": lambda t: ["solve.py", "--start-plan", _plan_file(t, scale=3.0), "--json",
                                        str(t / "r.json")],
    "start plan and chord": lambda t: ["solve.py", "--start", "chord", "--start-plan", _plan_file(t)],
    "approximate a quadratic instance": lambda t: ["solve.py", "--approximate", "quadratic"],
    "improve the MINLP, which has no regions": lambda t: ["solve.py", "--formulation", "minlp", "--start", "chord",
                                                          "--improve", "--improve-time-limit", "5"],
    "one breakpoint": lambda t: ["solve.py", "--formulation", "hull_oa", "--breakpoints", "1"],
    # response curves
    "unknown curve family": lambda t: ["solve.py", "--formulation", "hull_oa", "--data", _curves_with(
        t, "curves.csv", lambda s: s.replace("logistic", "gompertz", 1))],
    "curve scale 0": lambda t: ["solve.py", "--formulation", "hull_oa", "--data", _curves_with(
        t, "curves.csv", lambda s: re.sub(r"\nch0,logistic,[^,]*,", "\nch0,logistic,0,", s))],
    "curves with a quadratic formulation": lambda t: ["solve.py", "--data", _curves_with(t, "curves.csv", str)],
    "S-shaped curves refused": lambda t: ["solve.py", "--formulation", "hull_oa", "--nonconcave", "error", "--data",
                                          _curves_with(t, "curves.csv", str, family="hill")],
    "mm_cone on logistic": lambda t: ["solve.py", "--formulation", "mm_cone", "--data", _curves_with(t, "curves.csv", str)],
    "import bounds not bracketing": lambda t: ["import_curves.py", "--from", "robyn", "--input", str(t), "--lower", "2",
                                               "--solution", "x", "--out", str(t / "o")],
    "import robyn without solution": lambda t: ["import_curves.py", "--from", "robyn", "--input", str(t),
                                                "--out", str(t / "o")],
    "import missing robyn folder": lambda t: ["import_curves.py", "--from", "robyn", "--input", str(t / "nowhere"),
                                              "--solution", "1_1", "--out", str(t / "o")],
    # nothing ignored: misspelled, unknown or repeated names and values (mmo_pyomo/reading.py, dat_scan.py)
    "misspelled setting budget_lowr": lambda t: ["solve.py", "--data", _csv_with(t, "settings.csv",
                                                                                 lambda s: s + "budget_lowr,0.5\n")],
    "misspelled rule bound column": lambda t: ["solve.py", "--data", _csv_with(t, "rules.csv",
                                                                               lambda s: s.replace("rule_upper", "rule_uper"))],
    "repeated activities column": lambda t: ["solve.py", "--data", _csv_with(t, "activities.csv", _repeat_column)],
    "repeated activity row": lambda t: ["solve.py", "--data", _csv_with(t, "activities.csv",
                                                                        lambda s: s + s.splitlines()[1] + "\n")],
    "misspelled .dat param": lambda t: ["solve.py", "--data", _dat(t, EXAMPLE.replace("param budget_upper",
                                                                                      "param budget_uppr"))],
    "unknown .dat set": lambda t: ["solve.py", "--data", _dat(t, EXAMPLE.replace("set RULES", "set RULE"))],
    "second .dat table redefines an activity": lambda t: ["solve.py", "--data", _dat(
        t, EXAMPLE + "param : baseline lower := tv_north 150 10 ;\n")],
    "repeated row of a .dat matrix": lambda t: ["solve.py", "--data", _dat(
        t, EXAMPLE + "param rule_coef : tv_north search_north := north 1 0 ;\n")],
    "misspelled min_offers": lambda t: ["offers.py", "solve", "--data", _bank_file(
        t, "offers.csv", "offer,min_ofers\nmortgage,10\n"), "--out", str(t / "o")],
    "misspelled capacity": lambda t: ["offers.py", "solve", "--data", _bank_file(
        t, "channels.csv", "channel,capacty\ndirect_mail,\ncall_centre,100\nbranch,50\n"), "--out", str(t / "o")],
    "stale scores.parquet beside scores.csv": lambda t: ["offers.py", "solve", "--data", _bank_with_both(t),
                                                         "--out", str(t / "o")],
    "misspelled curves column": lambda t: ["solve.py", "--formulation", "hull_oa", "--data", _curves_with(
        t, "curves.csv", lambda s: s.replace("lam", "lambda", 1))],
    # numbers near the float limits stop where they enter, not in an engine
    "time limit 1e30": lambda t: ["solve.py", "--time-limit", "1e30"],
    "seed 2**40": lambda t: ["solve.py", "--seed", str(2**40)],
    "100000 threads": lambda t: ["solve.py", "--threads", "100000"],
    # inputs are never written
    "json onto the data": lambda t: ["solve.py", "--data", _copy_example(t), "--json", str(t / "in.dat")],
    "plan onto the data": lambda t: ["solve.py", "--data", _copy_example(t), "--plan", str(t / "in.dat")],
    "log onto the data": lambda t: ["solve.py", "--data", _copy_example(t), "--log", str(t / "in.dat")],
    "plan into a CSV instance": lambda t: ["solve.py", "--data", _csv_with(t, "settings.csv", str), "--plan",
                                           str(t / "csv" / "activities.csv")],
    "json through a symlink to the data": lambda t: ["solve.py", "--data", _copy_example(t), "--json",
                                                     _link(t / "in.dat", t / "link.json")],
    "study report onto an input": lambda t: ["compare.py", "--data", _copy_example(t, "report.md"), "--out", str(t)],
}


def _repeat_column(text: str) -> str:
    lines = text.splitlines()
    return "\n".join(line + "," + line.split(",")[1] for line in lines) + "\n"


def _bank_with_both(tmp: Path) -> str:
    folder = write_problem(generate_problem(300, seed=2), tmp / "bank", csv=True)
    write_problem(generate_problem(300, seed=3), tmp / "other", csv=False)
    (tmp / "other" / "scores.parquet").rename(folder / "scores.parquet")
    return str(folder)


def _copy_example(tmp: Path, name: str = "in.dat") -> str:
    path = tmp / name
    path.write_text(EXAMPLE)
    return str(path)


def _link(target: Path, link: Path) -> str:
    link.symlink_to(target)
    return str(link)


def _curves_with(tmp: Path, name: str, edit, family: str = "logistic") -> str:
    from mmo_pyomo.curves.examples import curve_instance
    folder = write_csv_dir(curve_instance(6, family, shape=2.5), tmp / "curves")
    path = folder / name
    path.write_text(edit(path.read_text()))
    return str(folder)


def _plan_file(tmp: Path, drop: str | None = None, repeat: bool = False, scale: float = 1.0) -> str:
    """The example's baseline as a plan CSV, edited."""
    from mmo_pyomo.instance import load_instance
    from mmo_pyomo.mix.plan_table import plan_frame
    inst = load_instance(EXAMPLE_DAT)
    frame = plan_frame(inst, inst.baseline * (scale - 1.0))
    frame = frame.drop(columns=[drop]) if drop else frame
    frame = frame.iloc[[0, *range(len(frame))]] if repeat else frame
    frame.to_csv(tmp / "start.csv", index=False)
    return str(tmp / "start.csv")


def _touch(path: Path) -> Path:
    path.write_text("")
    return path


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_input_is_a_clear_error(tmp_path, case):
    script, *args = CASES[case](tmp_path)
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / script), *args], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode != 0, (case, proc.stdout[-300:])
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "error" in proc.stderr, proc.stderr
    if "usage:" not in proc.stderr:                  # argparse's own range errors carry no fix line
        assert "fix:" in proc.stderr, proc.stderr
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "x.dat").exists()
    assert not [p for p in (tmp_path / "o").rglob("*") if p.is_file()] if (tmp_path / "o").exists() else True
    if (tmp_path / "in.dat").exists():                  # an input named as an output is left as it was
        assert (tmp_path / "in.dat").read_text() == EXAMPLE
    assert not list(tmp_path.rglob("*.tmp"))


# ---------------------------------------------------------------- the Python API

def test_copies_cannot_repeat_names_or_shorten_arrays():
    inst = random_instance(6, 1)
    with pytest.raises(DataError, match="repeated"):
        inst.with_changes(activities=(inst.activities[0],) * inst.n)
    with pytest.raises(DataError, match=r"lower has shape \(5,\), but there are 6 activitys|lower has shape"):
        inst.with_changes(lower=inst.lower[:5])
    with pytest.raises(DataError, match="must be strings"):
        inst.with_changes(activities=tuple(range(inst.n)))
    with pytest.raises(DataError, match="not numbers"):
        inst.with_changes(quad=["a"] * inst.n)
    assert inst.with_changes(lower=list(inst.lower)).lower.dtype == float     # a list is taken as an array


def test_outputs_get_the_users_umask(tmp_path):
    """Results are written whole (a temporary file renamed) with the mode a plain open() would give."""
    old = os.umask(0o027)
    try:
        out = tmp_path / "r.json"
        subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "-q", "--json", str(out), "--plan",
                        str(tmp_path / "p.csv")], check=True, capture_output=True, timeout=300)
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / "p.csv").stat().st_mode) == 0o640
    json.loads(out.read_text())                   # strict JSON: no Infinity or NaN tokens


def test_a_stalled_bundle_master_ends_honestly(monkeypatch):
    """A master QP that neither HiGHS (given no time) nor SLSQP (given no iterations) solves: the method
    must say it did not converge, and the plan it returns still passes the checker under a valid bound."""
    from mmo_pyomo.offers import dual
    from mmo_pyomo.offers.exact import solve_exact

    prob = generate_problem(2000, seed=3)
    monkeypatch.setattr(dual, "MASTER_TIME_LIMIT", 0.0)
    monkeypatch.setattr(dual, "_master_slsqp", lambda *args: "SLSQP: given no iterations")
    stalled = solve_exact(prob, gap=None)
    assert stalled.info["converged"] is False
    assert "master QP stopped" in stalled.info["stop_reason"]
    assert stalled.check.feasible
    monkeypatch.undo()
    full = solve_exact(prob, gap=None)
    assert full.info["evaluations"] > stalled.info["evaluations"]      # (on a loaded machine it may stop short)
    assert stalled.bound >= full.bound - 1e-6 * abs(full.bound)
    # the converged dual meets the plan: the bound may sit below it by rounding only (4e-12 on 2,146 seen)
    assert full.bound >= full.check.profit - 1e-9 * abs(full.bound)


def test_a_tiny_bank_converges_when_highs_cycles_on_its_master(monkeypatch):
    """On 10 customers HiGHS's QP solver cycled on a 5-variable master until its 30 s time limit (before the master
    was scaled); the master goes to SLSQP when HiGHS stops short, and the dual converges: here HiGHS is made to
    stop short on every master."""
    from mmo_pyomo.offers import dual
    from mmo_pyomo.offers.exact import solve_exact

    fallbacks = []
    slsqp = dual._master_slsqp
    monkeypatch.setattr(dual, "_master_highs", lambda *args: "Time limit reached")
    monkeypatch.setattr(dual, "_master_slsqp", lambda *args: fallbacks.append(1) or slsqp(*args))
    result = solve_exact(generate_problem(10, seed=1), gap=None, algorithm="lagrangian")
    assert result.info["stop_reason"] == "converged" and fallbacks        # SLSQP solved every master
    assert result.check.feasible and result.bound >= result.check.profit


@functools.cache
def _api_cases():
    from mmo_pyomo import check_plan, load_instance, solve
    from mmo_pyomo.mix.chord import chord_start
    from mmo_pyomo.mix.improve import improve
    from mmo_pyomo.mix.pareto_curve import pareto_curve
    from mmo_pyomo.offers.cluster import solve_cluster
    from mmo_pyomo.offers.exact import solve_exact

    inst = load_instance(EXAMPLE_DAT)
    bank = generate_problem(200, seed=1)
    return {
        "solve: negative time limit": (lambda: solve(inst, time_limit=-1), "time_limit = -1"),
        "solve: NaN time limit": (lambda: solve(inst, time_limit=float("nan")), "not a finite number"),
        "solve: 0 threads": (lambda: solve(inst, threads=0), "threads = 0"),
        "solve: 1.5 threads": (lambda: solve(inst, threads=1.5), "not a whole number"),
        "solve: gap 2": (lambda: solve(inst, mip_gap=2), "relative gap must lie in"),
        "solve: negative seed": (lambda: solve(inst, seed=-1), "seed = -1"),
        "solve: a seed no engine takes": (lambda: solve(inst, seed=2**31), "≤ 2,147,483,647"),
        "solve: a century's time limit": (lambda: solve(inst, time_limit=3.2e9), "at most 1e+09 seconds"),
        "solve: a path": (lambda: solve(str(EXAMPLE_DAT)), "takes an Instance"),
        "solve: no formulation": (lambda: solve(inst, None), "unknown formulation"),   # type: ignore[arg-type]
        "solve: no solver": (lambda: solve(inst, "misocp", None), "must be a name"),     # type: ignore[arg-type]
        "solve: short start": (lambda: solve(inst, start=np.zeros(3)), "one finite spend change per activity"),
        "check_plan: text": (lambda: check_plan(inst, "abc"), "not an array of numbers"),
        "check_plan: short": (lambda: check_plan(inst, [1.0, 2.0]), "not one spend per activity"),
        "check_plan: extra key": (lambda: check_plan(inst, {**dict(zip(inst.activities, inst.baseline)), "zzz": 1.0}),
                                  "unknown activity 'zzz'"),
        "check_plan: negative tol": (lambda: check_plan(inst, inst.baseline, tol=-1), "tol = -1.0 is negative"),
        "load_instance: None": (lambda: load_instance(None), "takes a path"),              # type: ignore[arg-type]
        "pareto: 0 steps": (lambda: pareto_curve(inst, steps=0), "steps = 0"),
        "improve: short plan": (lambda: improve(inst, np.zeros(3)), "not one spend change per activity"),
        "chord: negative time": (lambda: chord_start(inst, time_limit=-1), "time_limit = -1"),
        "offers exact: gap 2": (lambda: solve_exact(bank, gap=2), "gap = 2"),
        "offers exact: 0 partition": (lambda: solve_exact(bank, partition_size=0), "partition_size = 0"),
        "offers exact: unknown warm start": (lambda: solve_exact(bank, warm_start="lp"), "warm_start = 'lp'"),
        "offers: -1 customers": (lambda: generate_problem(-1), "customers = -1"),
        "offers cluster: 0 clusters": (lambda: solve_cluster(bank, 0), "clusters = 0"),
    }


@pytest.mark.parametrize("case", sorted(_api_cases()))
def test_hostile_api_call_is_the_projects_error(case):
    call, words = _api_cases()[case]
    with pytest.raises(MMOError, match=re.escape(words)):
        call()


def test_a_study_of_curves_with_a_quadratic_formulation_records_no_bound(tmp_path):
    """The MISOCP's relaxation of a curves instance would bound another problem: the run is
    'cannot_run' with the reason, and root_bound stays empty."""
    from mmo_pyomo.study.runs import run_one

    folder = _curves_with(tmp_path, "curves.csv", str, family="michaelis_menten")
    record = run_one(folder, "misocp", "scip", 10)
    assert record["status"] == "cannot_run" and "response curves" in record["message"]
    assert record.get("root_bound") is None


def test_an_output_set_is_written_together_or_not_at_all(tmp_path):
    from mmo_pyomo.io_utils import atomic_path, atomic_write_text, output_set

    (tmp_path / "report.json").write_text("old")
    with pytest.raises(RuntimeError):
        with output_set():
            atomic_write_text(tmp_path / "report.json", "new")
            with atomic_path(tmp_path / "plan.csv") as tmp:
                tmp.write_text("a,b\n")
            assert (tmp_path / "report.json").read_text() == "old"     # nothing moves before the set is done
            raise RuntimeError("the chart failed")
    assert (tmp_path / "report.json").read_text() == "old" and not (tmp_path / "plan.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]      # no temporary files left
    with output_set():
        atomic_write_text(tmp_path / "report.json", "new")
        with output_set():                        # a writer's own set joins the caller's
            atomic_write_text(tmp_path / "plan.csv", "a,b\n")
        assert not (tmp_path / "plan.csv").exists()
    assert (tmp_path / "report.json").read_text() == "new" and (tmp_path / "plan.csv").exists()


# ---------------------------------------------------------------- exit codes and outputs that tell the truth

def _slow_instance(tmp: Path) -> str:
    from mmo_pyomo.mix.instances import paper_instance
    return str(write_dat(paper_instance(1000, "strong", 0.10, 0.50, seed=1), tmp / "slow.dat"))


def _run_then_signal(tmp: Path, sig: int, time_limit: str) -> subprocess.CompletedProcess:
    import signal as _signal
    import time
    args = [sys.executable, str(ROOT / "scripts" / "solve.py"), "--data", _slow_instance(tmp), "--formulation", "miqp",
            "--gap", "0", "--time-limit", time_limit, "--json", str(tmp / "r.json"), "--plan", str(tmp / "p.csv")]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp)
    time.sleep(4)                      # the engine is solving by now
    assert proc.poll() is None
    proc.send_signal(_signal.Signals(sig))
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_ctrl_c_during_a_solve_exits_130_and_writes_nothing(tmp_path):
    """SCIP catches Ctrl-C itself and returns its incumbent: that is an interrupted solve, not a result."""
    import signal as _signal
    proc = _run_then_signal(tmp_path, _signal.SIGINT, "60")
    assert proc.returncode == 130, proc.stdout + proc.stderr
    assert "status          interrupted" in proc.stdout and "nothing was written" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "r.json").exists() and not (tmp_path / "p.csv").exists()
    assert not list(tmp_path.rglob("*.tmp"))


def test_sigterm_exits_143_and_leaves_no_temporary_file(tmp_path):
    import signal as _signal
    proc = _run_then_signal(tmp_path, _signal.SIGTERM, "8")
    assert proc.returncode == 143, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "terminated: nothing was written" in proc.stderr
    assert not (tmp_path / "r.json").exists() and not list(tmp_path.rglob("*.tmp"))


def test_an_interrupted_run_is_not_stored_as_finished(tmp_path):
    from mmo_pyomo.study.runs import COLUMNS
    from mmo_pyomo.study.store import ResultStore
    store = ResultStore(tmp_path / "results.csv")
    store.append({"instance": "a", "path": "/a.dat", "formulation": "miqp", "solver": "scip", "status": "interrupted"})
    store.append({"instance": "b", "path": "/b.dat", "formulation": "miqp", "solver": "scip", "status": "optimal",
                  "objective": 1.0})
    with open(store.path, "a") as fh:                  # a line cut short in the middle of the file, then a whole one
        fh.write("c,miqp,scip,optimal\n" + ",".join(["d", "miqp", "scip", "optimal", "", "1.0"] + [""] * (len(COLUMNS) - 6))
                 + "\n")
    assert {k.instance for k in store.finished()} == {"/b.dat", "d"}


def test_a_closed_stdout_still_writes_the_result_files(tmp_path):
    """`mmo solve ... | head -1`: the reader goes away after one line; the JSON and the plan are written."""
    cmd = f"'{sys.executable}' '{ROOT / 'scripts' / 'solve.py'}' --json '{tmp_path / 'r.json'}' --plan " \
          f"'{tmp_path / 'p.csv'}' | head -c 10"
    proc = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True, text=True, timeout=300)
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "optimal"
    assert (tmp_path / "p.csv").read_text().startswith("activity,")


def test_an_output_through_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "results" / "r.json"
    target.parent.mkdir()
    target.write_text("old")
    (tmp_path / "r.json").symlink_to(target)
    subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "-q", "--json", str(tmp_path / "r.json")],
                   check=True, capture_output=True, timeout=300)
    assert (tmp_path / "r.json").is_symlink()
    assert json.loads(target.read_text())["status"] == "optimal"
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_output_to_dev_stdout_is_written_in_place():
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "solve.py"), "-q", "--json", "/dev/stdout"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert '"status": "optimal"' in proc.stdout
    assert os.path.exists("/dev/stdout") and not Path("/dev/stdout").resolve().is_file()


def test_an_upper_bound_no_budget_can_reach_is_no_cap(tmp_path):
    """An upper bound of 1e200 (once an overflow of the revenue at that spend) is cut to what the budget and the
    rules let the activity reach before anything is computed: the plan and its certificate are the shipped
    example's, on every formulation that takes the quadratic."""
    from mmo_pyomo import solve
    from mmo_pyomo.instance import load_instance

    capped = load_instance(EXAMPLE_DAT)
    uncapped = load_instance(_dat(tmp_path, EXAMPLE.replace("tv_south 146.47 73.24 234.35",
                                                             "tv_south 146.47 73.24 1e200")))
    for formulation in ("miqp", "misocp", "hull"):
        ref = solve(capped, formulation, "scip", mip_gap=1e-9).raise_for_status()
        r = solve(uncapped, formulation, "scip", mip_gap=1e-9).raise_for_status()
        assert r.status == "optimal" and r.objective == pytest.approx(ref.objective, rel=1e-7)
        assert r.bound >= r.objective * (1 - 1e-9)
