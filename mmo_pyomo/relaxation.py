"""The continuous relaxation of a formulation, exactly as written: its bound is the root bound."""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.errors import NoSolutionError
from mmo_pyomo.solvers import adapters
from mmo_pyomo.solvers.registry import ensure_installed, get_engine, handover


def relaxed_model(inst: Instance, formulation: str, **build_options) -> pyo.ConcreteModel:
    """The formulation on ``inst`` with every binary relaxed to [0, 1]."""
    from mmo_pyomo.runner import create_model
    model = create_model(inst, formulation, **build_options)
    pyo.TransformationFactory("core.relax_integer_vars").apply_to(model)
    return model


#: Relative gap at which a relaxation solve stops. SCIP treats the convex NLP of the perspective
#: with spatial branching and would otherwise branch on a gap of 10⁻⁸ for minutes.
RELAXATION_GAP = 1e-7


def root_bound(inst: Instance, formulation: str, solver: str = "scip", time_limit: float | None = 600.0) -> float:
    """The optimal value of the continuous relaxation (a QP for the MIQP, an SOCP for the
    MISOCP and the hull, a convex NLP for the perspective); an upper bound on the optimum.

    The MINLP's relaxation is nonconvex (δ² ≥ m² z); SCIP solves it to global optimality.
    The engine's best bound is returned, so the value is a valid bound even when the solve
    stops at :data:`RELAXATION_GAP` or at the time limit.
    """
    engine = get_engine(solver)
    how = handover(engine, formulation)
    ensure_installed(engine)
    model = relaxed_model(inst, formulation, **how.build_options)
    options = {**engine.quiet_options, **engine.relaxation_options,
               **engine.native_options(mip_gap=RELAXATION_GAP, time_limit=time_limit)}
    stats = adapters.run(model, adapters.RunRequest(how.interface, how.family, options, read_nodes=None))
    if stats.bound is None:
        raise NoSolutionError(f"the {formulation} relaxation gave no bound ({stats.status}: {stats.message})",
                              "check the instance with scripts/solve.py first")
    return stats.bound
