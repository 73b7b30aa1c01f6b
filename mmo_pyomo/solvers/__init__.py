"""The solver registry: engines, their capabilities and options, and uniform statistics."""
from mmo_pyomo.solvers.engines import ENGINES, Engine, Handover
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER, engines_accepting, ensure_installed, get_engine, handover
from mmo_pyomo.solvers.stats import STATUSES, SolveStats, relative_gap

__all__ = ["ENGINES", "Engine", "Handover", "DEFAULT_SOLVER", "engines_accepting", "ensure_installed",
           "get_engine", "handover", "STATUSES", "SolveStats", "relative_gap"]
