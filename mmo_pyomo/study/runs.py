"""One run of the study: solve an instance file with a formulation on an engine, plus its root bound."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.mix.relaxation import root_bound
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.solvers.stats import Status

#: The columns of results.csv, the required ones first.
COLUMNS = ("instance", "formulation", "solver", "status", "root_bound", "objective", "bound", "gap", "nodes",
           "time_s", "root_time_s", "solver_version", "message", "path", "gap_target", "start", "start_revenue",
           "start_time_s", "wall_s", "cpu_s", "load_1m")

#: A run whose process had less than this share of one core while it solved was starved by other work
#: on the machine: its time and gap measure the machine, not the formulation.
STARVED_CPU_SHARE = 0.8


@dataclass(frozen=True)
class RunSettings:
    """How every run of one study is made: the gap target (None: the engine's default) and the start."""

    gap: float | None = None
    start: str = "none"               # 'none' or 'chord'
    start_solver: str = "scip"
    start_time_limit: float = 60.0
    root_bound: bool = True           # solve each formulation's continuous relaxation too (root_bound)

NAME_PATTERN = re.compile(r"^(?P<correlation>uncorrelated|weak|strong)_n(?P<n>\d+)_d(?P<d>\d+)_k(?P<k>\d+)_s(?P<seed>\d+)$")


@dataclass(frozen=True)
class RunKey:
    """What identifies a run: the instance file's resolved path (the instance name for rows written
    before paths were recorded), formulation and solver. A rerun skips keys already in results.csv."""

    instance: str
    formulation: str
    solver: str


def instance_name(path: str | Path) -> str:
    """The instance column: the file's stem (the generator's name for §4.1 instances)."""
    return Path(path).stem


def resolved(path: str | Path) -> str:
    """The key of an instance file: its absolute, resolved path."""
    return str(Path(path).resolve())


def display_names(paths: list[str]) -> dict[str, str]:
    """Resolved path → instance column: the stem, or parent/stem where two files share a stem."""
    stems: dict[str, int] = {}
    for p in paths:
        stems[instance_name(p)] = stems.get(instance_name(p), 0) + 1
    return {p: instance_name(p) if stems[instance_name(p)] == 1 else f"{Path(p).parent.name}/{instance_name(p)}"
            for p in paths}


def design_of(name: str) -> dict[str, Any]:
    """Class, n, δ and κ parsed from a §4.1 instance name (empty for other instances)."""
    m = NAME_PATTERN.match(name)
    if not m:
        return {}
    return {"correlation": m["correlation"], "n": int(m["n"]), "min_change": int(m["d"]) / 100,
            "max_changes": int(m["k"]) / 100}


def run_one(path: str, formulation: str, solver: str, time_limit: float | None, threads: int = 1,
            root_solver: str = "auto", name: str | None = None, settings: RunSettings | None = None) -> dict[str, Any]:
    """Solve one combination and return its results.csv record (never raises for solver outcomes).

    With ``settings.start == "chord"`` the chord heuristic's plan is the MIP start; its revenue and
    time are recorded (the solve's own time excludes it). ``wall_s`` and ``cpu_s`` are the solve's wall
    and process CPU seconds, and ``load_1m`` the machine's load when it began: a single-threaded run
    with ``cpu_s / wall_s`` below :data:`STARVED_CPU_SHARE` shared its core with other work.
    """
    import time
    import warnings
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    settings = settings or RunSettings()
    record: dict[str, Any] = {"instance": name or instance_name(path), "formulation": formulation, "solver": solver,
                              "path": resolved(path), "gap_target": settings.gap, "start": settings.start}
    try:
        inst = load_instance(path)
        if settings.root_bound:
            t0 = time.perf_counter()
            record["root_bound"] = root_bound(inst, formulation, root_solver)
            record["root_time_s"] = time.perf_counter() - t0
        start = None
        if settings.start == "chord":
            from mmo_pyomo.mix.chord import chord_start
            t0 = time.perf_counter()
            plan = chord_start(inst, milp_solver=settings.start_solver, time_limit=settings.start_time_limit)
            record.update(start_revenue=plan.revenue, start_time_s=time.perf_counter() - t0)
            start = plan.delta
        load, wall, cpu = os.getloadavg()[0], time.perf_counter(), time.process_time()
        r = solve(inst, formulation, solver, time_limit=time_limit, threads=threads, mip_gap=settings.gap, start=start)
        record.update(wall_s=time.perf_counter() - wall, cpu_s=time.process_time() - cpu, load_1m=load)
    except MMOError as exc:
        record.update(status=Status.CANNOT_RUN, message=exc.cause)
        return record
    record.update(status=r.status, objective=r.objective, bound=r.bound, gap=r.gap, nodes=r.nodes,
                  time_s=r.time_s, solver_version=r.solver_version, message="" if r.ok else r.message)
    return record


def run_isolated(path: str, formulation: str, solver: str, time_limit: float | None, threads: int = 1,
                 root_solver: str = "auto", name: str | None = None,
                 settings: RunSettings | None = None) -> dict[str, Any]:
    """:func:`run_one` in a fresh Python process.

    Engines run in-process through C libraries; inside a Dask worker thread, Pyomo's capture of
    the engine's file descriptors deadlocked here, and an engine that aborts (SCIP's NLP solver
    did, on large relaxations) would take the worker down. A process per run avoids both.
    """
    import json
    import subprocess
    import sys
    from dataclasses import asdict
    settings = settings or RunSettings()
    args = [sys.executable, "-m", "mmo_pyomo.study.runs", path, formulation, solver,
            "" if time_limit is None else str(time_limit), str(threads), root_solver, name or instance_name(path),
            json.dumps(asdict(settings))]
    budget = None if time_limit is None else 4 * time_limit + 900 + (settings.start_time_limit if
                                                                    settings.start == "chord" else 0)
    record: dict[str, Any] = {"instance": name or instance_name(path), "formulation": formulation, "solver": solver,
                              "path": resolved(path), "gap_target": settings.gap, "start": settings.start}
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=budget)
    except subprocess.TimeoutExpired:
        record.update(status="error", message=f"no answer after {budget} s: the run was stopped")
        return record
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or [f"exit code {proc.returncode}"]
        record.update(status="error", message=f"the run's process died (exit code {proc.returncode}): {tail[0]}")
        return record
    return json.loads(lines[-1])


if __name__ == "__main__":  # the child process of run_isolated
    import json
    import sys

    _path, _form, _solver, _tl, _threads, _root, _name, _settings = sys.argv[1:9]
    print(json.dumps(run_one(_path, _form, _solver, float(_tl) if _tl else None, int(_threads), _root, _name,
                             RunSettings(**json.loads(_settings)))))
