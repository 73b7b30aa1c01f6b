"""``--list-solvers``: each engine, whether it is installed, its licence, version and formulations."""
from __future__ import annotations

import contextlib
import io
from typing import Callable

from mmo_pyomo.solvers.engines import ENGINES, Engine
from mmo_pyomo.solvers.quiet import quiet_engine

#: Variables of the probe LP, above every pip edition's LP limit (Gurobi 2,000; CPLEX 1,000; Xpress 5,000).
PROBE_SIZE = 5100


def _probe_gurobi() -> tuple[str, str]:
    import gurobipy as gp
    version = ".".join(map(str, gp.gurobi.version()))
    try:
        with gp.Env(params={"OutputFlag": 0}) as env, gp.Model(env=env) as m:
            x = m.addVars(PROBE_SIZE, ub=1.0)
            m.setObjective(x.sum(), gp.GRB.MAXIMIZE)
            m.optimize()
        return "full", version
    except gp.GurobiError as exc:
        return ("size-limited" if exc.errno == 10010 else f"missing ({exc})"), version


def _probe_cplex() -> tuple[str, str]:
    import cplex
    c = cplex.Cplex()
    for stream in (c.set_log_stream, c.set_results_stream, c.set_warning_stream, c.set_error_stream):
        stream(None)
    version = c.get_version()
    c.variables.add(obj=[1.0] * PROBE_SIZE, ub=[1.0] * PROBE_SIZE)
    c.objective.set_sense(c.objective.sense.maximize)
    try:
        c.solve()
        return "full", version
    except cplex.exceptions.CplexSolverError as exc:
        return ("size-limited" if exc.args[2] == 1016 else f"missing ({exc})"), version
    finally:
        c.end()


def _probe_xpress() -> tuple[str, str]:
    import xpress as xp
    version = getattr(xp, "__version__", "?")
    with contextlib.redirect_stdout(io.StringIO()):
        p = xp.problem()
        p.setControl("outputlog", 0)
        x = p.addVariables(PROBE_SIZE, ub=1.0)
        p.addConstraint(xp.Sum(x) <= 1.0)
        p.setObjective(xp.Sum(x), sense=xp.maximize)
        try:
            p.optimize()
            return "full", version
        except Exception as exc:
            return ("size-limited" if "too many rows and columns" in str(exc) else f"missing ({exc})"), version


def _probe_scip() -> tuple[str, str]:
    import pyscipopt
    m = pyscipopt.Model()
    return "full (open source)", str(m.version())


def _probe_highs() -> tuple[str, str]:
    import highspy
    h = highspy.Highs()
    return "full (open source)", f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _probe_bonmin() -> tuple[str, str]:
    return "full (open source)", "on PATH"


PROBES: dict[str, Callable[[], tuple[str, str]]] = {
    "scip": _probe_scip, "gurobi": _probe_gurobi, "cplex": _probe_cplex, "xpress": _probe_xpress,
    "bonmin": _probe_bonmin, "highs": _probe_highs,
}


def licence_and_version(engine: Engine) -> tuple[bool, str, str]:
    """(installed, licence, version); the licence is probed by solving a tiny LP above the pip limits."""
    if not engine.installed():
        return False, "missing", "-"
    try:
        with quiet_engine():
            licence, version = PROBES[engine.name]()
    except Exception as exc:  # an engine that imports but cannot start
        return True, f"missing ({type(exc).__name__})", "?"
    return True, licence, version


def solver_table() -> str:
    """The engine table as fixed-width text."""
    rows = [("engine", "installed", "licence", "version", "formulations")]
    for engine in ENGINES.values():
        installed, licence, version = licence_and_version(engine)
        forms = ", ".join(engine.handovers) or ("relaxations and LPs only" if engine.relaxations else "-")
        notes = [f"{f}: {h.note}" for f, h in engine.handovers.items() if h.note]
        if notes:
            forms += " (" + "; ".join(notes) + ")"
        rows.append((engine.name, "yes" if installed else "no", licence, version, forms))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    lines = ["  ".join(r[k].ljust(widths[k]) for k in range(4)) + "  " + r[4] for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append("pyomo:NAME hands any formulation to Pyomo's SolverFactory(NAME), for experts.")
    return "\n".join(lines)
