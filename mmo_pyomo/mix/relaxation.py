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


def root_solver(formulation: str | Formulation) -> str:
    """The engine ``root_bound`` uses by default: Ipopt (CasADi) for a relaxation with a division (the
    perspective's convex NLP, which SCIP branches on for minutes), where it is installed; SCIP otherwise."""
    from mmo_pyomo.solvers.capabilities import Capability
    form = get_formulation(formulation)
    if Capability.DIVISION in form.needs and get_engine("ipopt").installed():
        return "ipopt"
    return "scip"


def root_bound(inst: Instance, formulation: str, solver: str = "auto", time_limit: float | None = 600.0) -> float:
    """The optimal value of the continuous relaxation (a QP for the MIQP, an SOCP for the
    MISOCP and the hull, a convex NLP for the perspective); an upper bound on the optimum.

    The MINLP's relaxation is nonconvex (δ² ≥ m² z); SCIP solves it to global optimality.
    With SCIP the engine's best bound is returned, so the value is a valid bound even when the solve
    stops at :data:`RELAXATION_GAP` or at the time limit. Ipopt returns the optimum of a convex
    relaxation to its tolerances (10⁻¹⁰), not a dual bound; it takes no nonconvex relaxation.
    ``solver="auto"`` is :func:`root_solver`.
    """
    form = get_formulation(formulation)
    if solver == "auto":
        solver = root_solver(form)
    form.check_revenue_model(inst)          # a quadratic relaxation of curves would bound another problem
    run = relaxed_run(inst, form, solver)
    stats = run.solve(SolveOptions(mip_gap=RELAXATION_GAP, time_limit=time_limit))
    if stats.bound is None:
        raise NoSolutionError(f"the {form.name} relaxation gave no bound ({stats.status}: {stats.message})",
                              "check the instance with `mmo solve` first")
    return stats.bound
