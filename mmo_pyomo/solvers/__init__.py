"""The solver layer: engines and their capabilities, the one solve path, and uniform statistics."""
from mmo_pyomo.solvers.capabilities import Capability
from mmo_pyomo.solvers.engines import ENGINES, Engine, Handover, Interface
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER, engines_taking, ensure_installed, get_engine, handover
from mmo_pyomo.solvers.stats import STATUSES, SolveStats, Status, bound_gap, objective_gap

__all__ = ["Capability", "ENGINES", "Engine", "Handover", "Interface", "DEFAULT_SOLVER", "engines_taking",
           "ensure_installed", "get_engine", "handover", "STATUSES", "SolveStats", "Status", "bound_gap",
           "objective_gap"]
