"""The continuous relaxation of a formulation, exactly as written: its bound is the root bound."""
from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.errors import NoSolutionError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.concrete import create_model
from mmo_pyomo.model_library import get_formulation
from mmo_pyomo.solvers.solve_model import solve_model

#: Relative gap at which a relaxation solve stops. SCIP treats the convex NLP of the perspective
#: with spatial branching and would otherwise branch on a gap of 10⁻⁸ for minutes.
RELAXATION_GAP = 1e-7


def relaxed_model(inst: Instance, formulation: str, **build_options: Any) -> pyo.ConcreteModel:
    """The formulation on ``inst`` with every binary relaxed to [0, 1]."""
    model = create_model(inst, formulation, **build_options)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    return model


def root_bound(inst: Instance, formulation: str, solver: str = "scip", time_limit: float | None = 600.0) -> float:
    """The optimal value of the continuous relaxation (a QP for the MIQP, an SOCP for the
    MISOCP and the hull, a convex NLP for the perspective); an upper bound on the optimum.

    The MINLP's relaxation is nonconvex (δ² ≥ m² z); SCIP solves it to global optimality.
    The engine's best bound is returned, so the value is a valid bound even when the solve
    stops at :data:`RELAXATION_GAP` or at the time limit.
    """
    form = get_formulation(formulation)
    form.check_revenue_model(inst)          # a quadratic relaxation of curves would bound another problem
    model = relaxed_model(inst, form.name)
    stats = solve_model(model, solver, form.relaxation_needs, f"the {form.name} relaxation",
                        mip_gap=RELAXATION_GAP, time_limit=time_limit, relaxation=True)
    if stats.bound is None:
        raise NoSolutionError(f"the {form.name} relaxation gave no bound ({stats.status}: {stats.message})",
                              "check the instance with `mmo solve` first")
    return stats.bound
