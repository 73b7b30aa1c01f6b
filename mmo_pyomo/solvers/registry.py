"""Looking engines up by name, checking that they are installed and that they take a model."""
from __future__ import annotations

from collections.abc import Set

from mmo_pyomo.errors import CapabilityError, MMOError, SolverUnavailableError
from mmo_pyomo.solvers.capabilities import DESCRIPTION, Capability
from mmo_pyomo.solvers.engines import BONMIN_HEURISTIC_FOR, ENGINES, Engine, Handover, Interface, bonmin_variant

DEFAULT_SOLVER = "scip"


def _expert_engine(pyomo_name: str) -> Engine:
    """``pyomo:NAME`` — hand every model to Pyomo's ``SolverFactory(NAME)``, for experts."""
    family = "asl" if pyomo_name.startswith("asl:") else "legacy"
    interface = pyomo_name[4:] if family == "asl" else pyomo_name
    return Engine(
        name=f"pyomo:{pyomo_name}", label=f"Pyomo SolverFactory('{pyomo_name}')", requires="pyomo",
        install_hint=f"make Pyomo's SolverFactory('{pyomo_name}') available",
        capabilities=frozenset(Capability) - {Capability.MILP_ONLY, Capability.DUALS},
        interface=Interface(interface, family),
        option_names={},  # native names differ per engine: the common options are not passed on
    )


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``scip``, ``gurobi``, …, ``bonmin:ALGORITHM`` or ``pyomo:NAME``)."""
    if not isinstance(name, str):
        raise MMOError(f"the solver must be a name, not {name!r}", f"pass one of {', '.join(ENGINES)}")
    if name.startswith("pyomo:") and len(name) > 6:
        return _expert_engine(name[6:])
    if name.startswith("bonmin:"):
        algorithm = name[7:]
        known = {a.lower(): a for a in BONMIN_HEURISTIC_FOR}
        if algorithm.lower() not in known:
            raise MMOError(f"unknown Bonmin algorithm '{algorithm}'",
                           f"choose one of {', '.join('bonmin:' + a for a in BONMIN_HEURISTIC_FOR)}")
        return bonmin_variant(known[algorithm.lower()])
    try:
        return ENGINES[name]
    except KeyError:
        raise MMOError(f"unknown solver '{name}'",
                       f"choose one of {', '.join(ENGINES)}, or pyomo:NAME for any Pyomo SolverFactory name") from None


def engines_taking(needs: Set[Capability]) -> list[str]:
    """Names of the registered engines that take a model with ``needs``."""
    return [e.name for e in ENGINES.values() if not e.missing(needs)]


def handover(engine: Engine, needs: Set[Capability], what: str) -> Handover:
    """How ``engine`` takes ``what`` (a model with ``needs``); raises :class:`CapabilityError`
    saying what the engine lacks and naming the engines that can."""
    how = engine.handover(needs)
    if how is not None:
        return how
    lacks = ", ".join(DESCRIPTION[c] for c in sorted(engine.missing(needs), key=list(Capability).index))
    able = engines_taking(needs)
    raise CapabilityError(f"{engine.label} cannot take {what} (it needs {lacks})",
                          f"use one of: {', '.join(able)}" if able else "no registered engine takes it")


def ensure_installed(engine: Engine) -> None:
    """Raise :class:`SolverUnavailableError` with the install command if the engine is missing."""
    if engine.name.startswith("pyomo:"):
        import pyomo.environ as pyo
        pyomo_name = engine.name[6:]
        try:
            ok = pyo.SolverFactory(pyomo_name).available(exception_flag=False)
        except Exception:
            ok = False
        if not ok:
            raise SolverUnavailableError(f"Pyomo solver '{pyomo_name}' is not available",
                                         "install it so that pyomo.environ.SolverFactory finds it")
        return
    if not engine.installed():
        raise SolverUnavailableError(f"solver '{engine.name}' ({engine.label}) is not installed",
                                     engine.install_hint)
