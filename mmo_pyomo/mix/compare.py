"""Cross-engine comparison: one row per (formulation, engine) with the uniform statistics."""
from __future__ import annotations

from typing import Any

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.engines import ENGINES
from mmo_pyomo.solvers.options import DEFAULTS, SolveOptions
from mmo_pyomo.solvers.stats import Status


def _expand(value: str, universe) -> list[str]:
    return list(universe) if value == "all" else [value]


def compare_rows(inst: Instance, formulations: str = "all", solvers: str = "all", options: SolveOptions = DEFAULTS,
                 start: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Solve every combination; a combination that cannot run gets a row with a plain note."""
    rows = []
    for f in _expand(formulations, FORMULATIONS):
        for s in _expand(solvers, ENGINES):
            row: dict[str, Any] = {"formulation": f, "solver": s}
            try:
                r = solve(inst, f, s, options, start=start)
            except MMOError as exc:
                row.update(status=Status.CANNOT_RUN, note=exc.cause)
            else:
                row.update(status=r.status, objective=r.objective, bound=r.bound, gap=r.gap, nodes=r.nodes,
                           time_s=r.time_s, version=r.solver_version, note=r.message if not r.ok else "")
            rows.append(row)
    return rows


def _cell(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def compare_table(inst: Instance, formulations: str = "all", solvers: str = "all", options: SolveOptions = DEFAULTS,
                  start: np.ndarray | None = None) -> str:
    """The comparison as fixed-width text."""
    rows = compare_rows(inst, formulations, solvers, options, start)
    head = f"{'formulation':<12} {'solver':<8} {'status':<11} {'objective':>14} {'bound':>14} {'gap':>9} " \
           f"{'nodes':>7} {'time_s':>8}  note"
    lines = [head, "-" * len(head)]
    for r in rows:
        gap = "-" if r.get("gap") is None else f"{100 * r['gap']:.4f}%"
        lines.append(f"{r['formulation']:<12} {r['solver']:<8} {r['status']:<11} "
                     f"{_cell(r.get('objective'), ',.4f'):>14} {_cell(r.get('bound'), ',.4f'):>14} {gap:>9} "
                     f"{_cell(r.get('nodes'), 'd'):>7} {_cell(r.get('time_s'), '.2f'):>8}  {r.get('note', '')}")
    return "\n".join(lines)
