"""Looking engines up by name, checking that they are installed and that they take a formulation."""
from __future__ import annotations

from mmo_pyomo.errors import CapabilityError, MMOError, SolverUnavailableError
from mmo_pyomo.solvers.engines import ENGINES, Engine, Handover

DEFAULT_SOLVER = "scip"


def _expert_engine(pyomo_name: str) -> Engine:
    """``pyomo:NAME`` — hand every formulation to Pyomo's ``SolverFactory(NAME)``, for experts."""
    from mmo_pyomo.formulations import FORMULATIONS
    family = "asl" if pyomo_name.startswith("asl:") else "legacy"
    interface = pyomo_name[4:] if family == "asl" else pyomo_name
    return Engine(
        name=f"pyomo:{pyomo_name}", label=f"Pyomo SolverFactory('{pyomo_name}')", requires="pyomo",
        install_hint=f"make Pyomo's SolverFactory('{pyomo_name}') available",
        handovers={f: Handover(interface, family, {"min_change_form": "square"} if f == "minlp" else {})
                   for f in FORMULATIONS},
        option_names={},  # native names differ per engine: the common options are not passed on
    )


def get_engine(name: str) -> Engine:
    """The engine called ``name`` (``scip``, ``gurobi``, …, or ``pyomo:NAME``)."""
    if name.startswith("pyomo:") and len(name) > 6:
        return _expert_engine(name[6:])
    try:
        return ENGINES[name]
    except KeyError:
        raise MMOError(f"unknown solver '{name}'",
                       f"choose one of {', '.join(ENGINES)}, or pyomo:NAME for any Pyomo SolverFactory name") from None


def engines_accepting(formulation: str) -> list[str]:
    """Names of the engines whose table entry takes ``formulation``."""
    return [e.name for e in ENGINES.values() if formulation in e.handovers]


def handover(engine: Engine, formulation: str) -> Handover:
    """How ``engine`` takes ``formulation``; raises :class:`CapabilityError` naming those that can."""
    try:
        return engine.handovers[formulation]
    except KeyError:
        able = engines_accepting(formulation)
        raise CapabilityError(
            f"{engine.label} cannot take the {formulation} formulation",
            f"use one of: {', '.join(able)}" if able else "no registered engine takes it") from None


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
