"""The continuous relaxation of a formulation, exactly as written: its bound is the root bound."""
from __future__ import annotations

from typing import Any

from mmo_pyomo.errors import NoSolutionError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.model_library import Formulation, get_formulation
from mmo_pyomo.solvers.engines import Engine
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import get_engine

#: Relative gap at which a relaxation solve stops. SCIP treats the convex NLP of the perspective
#: with spatial branching and would otherwise branch on a gap of 10⁻⁸ for minutes.
RELAXATION_GAP = 1e-7


def relaxed_run(inst: Instance, formulation: str | Formulation, solver: str | Engine = "scip",
                **build_options: Any) -> ModelRun:
    """The formulation on ``inst`` with every binary relaxed to [0, 1], for ``solver``."""
    engine = solver if isinstance(solver, Engine) else get_engine(solver)
    return ModelRun(inst, get_formulation(formulation), engine, relaxed=True, build_options=build_options)


def root_bound(inst: Instance, formulation: str, solver: str = "scip", time_limit: float | None = 600.0) -> float:
    """The optimal value of the continuous relaxation (a QP for the MIQP, an SOCP for the
    MISOCP and the hull, a convex NLP for the perspective); an upper bound on the optimum.

    The MINLP's relaxation is nonconvex (δ² ≥ m² z); SCIP solves it to global optimality.
    The engine's best bound is returned, so the value is a valid bound even when the solve
    stops at :data:`RELAXATION_GAP` or at the time limit.
    """
    form = get_formulation(formulation)
    form.check_revenue_model(inst)          # a quadratic relaxation of curves would bound another problem
    run = relaxed_run(inst, form, solver)
    stats = run.solve(SolveOptions(mip_gap=RELAXATION_GAP, time_limit=time_limit))
    if stats.bound is None:
        raise NoSolutionError(f"the {form.name} relaxation gave no bound ({stats.status}: {stats.message})",
                              "check the instance with `mmo solve` first")
    return stats.bound
