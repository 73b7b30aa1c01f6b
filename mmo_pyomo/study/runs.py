"""One run of the study: solve an instance file with a formulation on an engine, plus its root bound."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mmo_pyomo.data.load import load_instance
from mmo_pyomo.errors import MMOError
from mmo_pyomo.relaxation import root_bound
from mmo_pyomo.runner import solve

#: The columns of results.csv, the required ones first.
COLUMNS = ("instance", "formulation", "solver", "status", "root_bound", "objective", "bound", "gap", "nodes",
           "time_s", "root_time_s", "solver_version", "message")

NAME_PATTERN = re.compile(r"^(?P<correlation>uncorrelated|weak|strong)_n(?P<n>\d+)_d(?P<d>\d+)_k(?P<k>\d+)_s(?P<seed>\d+)$")


@dataclass(frozen=True)
class RunKey:
    """What identifies a run; a rerun skips keys already in results.csv."""

    instance: str
    formulation: str
    solver: str


def instance_name(path: str | Path) -> str:
    """The instance column: the file's stem (the generator's name for §4.1 instances)."""
    return Path(path).stem


def design_of(name: str) -> dict[str, Any]:
    """Class, n, δ and κ parsed from a §4.1 instance name (empty for other instances)."""
    m = NAME_PATTERN.match(name)
    if not m:
        return {}
    return {"correlation": m["correlation"], "n": int(m["n"]), "min_change": int(m["d"]) / 100,
            "max_changes": int(m["k"]) / 100}


def run_one(path: str, formulation: str, solver: str, time_limit: float | None, threads: int = 1,
            root_solver: str = "scip") -> dict[str, Any]:
    """Solve one combination and return its results.csv record (never raises for solver outcomes)."""
    import time
    import warnings
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    record: dict[str, Any] = {"instance": instance_name(path), "formulation": formulation, "solver": solver}
    try:
        inst = load_instance(path)
        t0 = time.perf_counter()
        record["root_bound"] = root_bound(inst, formulation, root_solver)
        record["root_time_s"] = time.perf_counter() - t0
        r = solve(inst, formulation, solver, time_limit=time_limit, threads=threads)
    except MMOError as exc:
        record.update(status="cannot run", message=exc.cause)
        return record
    record.update(status=r.status, objective=r.objective, bound=r.bound, gap=r.gap, nodes=r.nodes,
                  time_s=r.time_s, solver_version=r.solver_version, message="" if r.ok else r.message)
    return record
