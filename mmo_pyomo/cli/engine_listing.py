"""``--list-solvers``: each engine, whether it is installed, its licence, version and formulations."""
from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

from mmo_pyomo.solvers.capabilities import Capability as C
from mmo_pyomo.solvers.engines import BONMIN_HEURISTIC_FOR, ENGINES, Engine, Handover, bonmin_variant
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
        p.setObjective(xp.Sum(x), sense=xp.maximize)  # type: ignore[attr-defined]
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


def _probe_bonmin_asl() -> tuple[str, str]:
    return "full (open source)", "on PATH"


def _probe_casadi() -> tuple[str, str]:
    from mmo_pyomo.solvers.casadi_nlp import version
    return "full (open source)", version()


PROBES: dict[str, Callable[[], tuple[str, str]]] = {
    "scip": _probe_scip, "gurobi": _probe_gurobi, "cplex": _probe_cplex, "xpress": _probe_xpress,
    "bonmin": _probe_casadi, "bonmin_asl": _probe_bonmin_asl, "ipopt": _probe_casadi, "highs": _probe_highs,
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


def formulation_support(engine: Engine) -> dict[str, Handover | None]:
    """Formulation name → how ``engine`` takes it (None: it cannot), derived from capabilities."""
    from mmo_pyomo.model_library import FORMULATIONS
    return {name: engine.handover(f.needs) for name, f in FORMULATIONS.items()}


def relaxation_support(engine: Engine) -> list[str]:
    """The formulations whose continuous relaxation ``engine`` takes but whose MIP it does not."""
    from mmo_pyomo.model_library import FORMULATIONS
    return [name for name, f in FORMULATIONS.items()
            if engine.handover(f.needs) is None and engine.handover(f.relaxation_needs) is not None]


def _formulations_cell(engine: Engine) -> str:
    support = formulation_support(engine)
    cell = ", ".join(f for f, h in support.items() if h is not None)
    notes = [f"{f}: {h.note}" for f, h in support.items() if h is not None and h.note]
    if notes:
        cell += " (" + "; ".join(notes) + ")"
    relax = relaxation_support(engine)
    extras = ([f"relaxations of {', '.join(relax)}"] if relax else []) \
        + (["MILPs"] if engine.handover(frozenset({C.LINEAR, C.INTEGER})) is not None and not cell else []) \
        + (["LPs with duals"] if C.DUALS in engine.capabilities else [])
    if extras:
        cell = (cell + "; " if cell else "") + ", ".join(extras)
    return cell or "-"


def solver_table() -> str:
    """The engine table as fixed-width text (``--list-solvers``): probed, then derived from capabilities."""
    rows = [("engine", "installed", "licence", "version", "takes")]
    for engine in ENGINES.values():
        installed, licence, version = licence_and_version(engine)
        rows.append((engine.name, "yes" if installed else "no", licence, version, _formulations_cell(engine)))
    widths = [max(len(r[k]) for r in rows) for k in range(4)]
    lines = ["  ".join(r[k].ljust(widths[k]) for k in range(4)) + "  " + r[4] for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    lines.append("")
    lines.append("bonmin:ALGORITHM chooses Bonmin's algorithm: " + ", ".join(BONMIN_HEURISTIC_FOR)
                 + " (bonmin alone is B-BB).")
    lines.append("pyomo:NAME hands any formulation to Pyomo's SolverFactory(NAME), for experts.")
    return "\n".join(lines)


def table_engines() -> list[Engine]:
    """The registered engines, with each Bonmin algorithm other than the default after ``bonmin``."""
    out = []
    for engine in ENGINES.values():
        out.append(engine)
        if engine.name == "bonmin":
            out.extend(bonmin_variant(a) for a in BONMIN_HEURISTIC_FOR if a != "B-BB")
    return out


def matrix_markdown() -> str:
    """The engine × formulation table of the README, derived from the capability declarations.

    ``python -m mmo_pyomo.cli.engine_listing`` prints it; a test checks the README holds it verbatim.
    """
    from mmo_pyomo.model_library import FORMULATIONS
    head = "| engine | " + " | ".join(f"`{f}`" for f in FORMULATIONS) + " | also |"
    lines = [head, "|---" * (len(FORMULATIONS) + 2) + "|"]
    for engine in table_engines():
        cells = []
        for name, how in formulation_support(engine).items():
            if how is None:
                lacks = engine.missing(FORMULATIONS[name].needs)
                cells.append("no (" + ", ".join(sorted(str(c) for c in lacks)) + ")")
            else:
                cells.append(f"yes, {how.note}" if how.note else "yes")
        relax = relaxation_support(engine)
        also = ([f"relaxations of {', '.join(relax)}"] if relax else []) \
            + (["MILPs"] if engine.handover(frozenset({C.LINEAR, C.INTEGER})) is not None else []) \
            + (["LPs with duals"] if C.DUALS in engine.capabilities else [])
        lines.append(f"| {engine.label} | " + " | ".join(cells) + f" | {', '.join(also) or '-'} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(matrix_markdown())
