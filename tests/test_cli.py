"""The command line and `pyomo solve` run end to end."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.instance import load_instance
from mmo_pyomo.mix.checker import check_plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = EXAMPLE_DAT


def run(*args, cwd=ROOT):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_default_solve_writes_json_and_plan(tmp_path):
    js, plan = tmp_path / "r.json", tmp_path / "plan.csv"
    proc = run("scripts/solve.py", "--formulation", "misocp", "--json", str(js), "--plan", str(plan))
    assert proc.returncode == 0, proc.stderr
    for word in ("status", "total revenue", "best bound", "gap", "nodes", "time", "changes", "total spend",
                 "revenue lift"):
        assert word in proc.stdout
    result = json.loads(js.read_text())
    for key in ("formulation", "solver", "status", "objective", "bound", "gap", "nodes", "time_s", "n_changes",
                "total_spend", "plan"):
        assert key in result
    assert result["status"] == "optimal" and result["solver"] == "scip"
    inst = load_instance(EXAMPLE)
    check = check_plan(inst, result["plan"])
    assert check.feasible and check.revenue == pytest.approx(result["objective"], rel=1e-9)
    assert result["bound"] >= result["objective"] - 1e-6 * abs(result["objective"])
    table = pd.read_csv(plan)
    assert list(table.columns) == ["activity", "baseline", "new_spend", "change", "region", "revenue"]
    assert table["revenue"].sum() == pytest.approx(result["objective"], rel=1e-9)
    assert (table["region"] != "none").sum() == result["n_changes"]


def test_pyomo_solve_runs_an_abstract_formulation(tmp_path):
    pyomo = shutil.which("pyomo") or str(Path(sys.executable).parent / "pyomo")
    proc = subprocess.run([pyomo, "solve", str(ROOT / "formulations" / "misocp.py"), str(ROOT / "data" / "example.dat"),
                           "--solver=scip_direct", "--save-results", str(tmp_path / "r.yml")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (tmp_path / "r.yml").read_text()
    assert "Termination condition: optimal" in text
    cli = run("scripts/solve.py", "--formulation", "misocp", "--json", str(tmp_path / "c.json"))
    assert cli.returncode == 0, cli.stderr
    objective = json.loads((tmp_path / "c.json").read_text())["objective"]
    bound = float(text.split("Upper bound:")[1].split()[0])
    assert bound == pytest.approx(objective, rel=1e-6)


def test_solve_with_a_chord_start():
    proc = run("scripts/solve.py", "--formulation", "hull", "--start", "chord")
    assert proc.returncode == 0, proc.stderr
    assert "chord start     revenue" in proc.stdout and "status          optimal" in proc.stdout


def test_solve_from_a_plan_file_and_improve_it(tmp_path):
    """One solve's --plan is another's --start-plan: the start is checked, improved and handed to the engine,
    and the result is never worse than it."""
    first = tmp_path / "chord.csv"
    proc = run("scripts/solve.py", "--formulation", "miqp", "--time-limit", "0.5", "--gap", "0.5",
               "--plan", str(first))
    assert proc.returncode == 0, proc.stderr
    start = check_plan(load_instance(EXAMPLE), pd.read_csv(first).set_index("activity")["new_spend"])
    assert start.feasible
    js = tmp_path / "r.json"
    proc = run("scripts/solve.py", "--formulation", "hull", "--start-plan", str(first), "--improve",
               "--improve-time-limit", "5", "--improve-slice", "2", "--json", str(js))
    assert proc.returncode == 0, proc.stderr
    assert f"start plan      revenue {start.revenue:,.2f}" in proc.stdout and "improvement     revenue" in proc.stdout
    result = json.loads(js.read_text())
    assert result["status"] == "optimal" and result["objective"] >= start.revenue - 1e-6 * abs(start.revenue)
    assert check_plan(load_instance(EXAMPLE), result["plan"]).feasible
    done = result["improvement"]                     # the neighbourhood slices are in the JSON too
    assert done["start_revenue"] == pytest.approx(start.revenue) and done["revenue"] >= done["start_revenue"]
    assert done["slices"] and {s["kind"] for s in done["slices"]} <= {"local_branching", "rule_groups"}


def test_script_without_the_dependencies_says_how_to_install(tmp_path):
    """A Python that lacks the dependencies (here: site-packages switched off) gets the install command
    instead of a traceback when MMO_NO_INSTALL is set; without it the script would install them."""
    import os
    proc = subprocess.run([sys.executable, "-S", str(ROOT / "scripts" / "solve.py"), "--formulation", "misocp"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env={**os.environ, "MMO_NO_INSTALL": "1"})
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "pyomo" in proc.stderr and "-m pip install -e" in proc.stderr
