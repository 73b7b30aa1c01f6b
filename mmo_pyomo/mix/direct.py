"""The curves written out as a nonlinear objective over the MIQP's rows: a reference MINLP.

Hill, Michaelis–Menten and logistic curves become Pyomo expressions of the new spend, and SCIP
solves the model to global optimality by spatial branching, with no tangents and no surrogate.
It is slower than hull_oa, and tables cannot be written this way, but it is an independent check
of hull_oa's optimum and bound (``tests/test_curves.py``).
"""
from __future__ import annotations

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.model_library import get_formulation
from mmo_pyomo.model_library.objectives import curve_objective
from mmo_pyomo.solvers.capabilities import Capability as C
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import get_engine
from mmo_pyomo.solvers.stats import SolveStats

NEEDS = frozenset({C.LINEAR, C.INTEGER, C.DIVISION})


def solve_direct(inst: Instance, solver: str = "scip", *, mip_gap: float = 1e-6,
                 time_limit: float | None = None) -> tuple[SolveStats, np.ndarray | None, float | None]:
    """Solve the reference MINLP; returns (statistics, plan δ, its revenue under the curves)."""
    if inst.curves is None:
        raise MMOError("solve_direct needs an instance with response curves", "use runner.solve for quadratics")
    run = ModelRun(inst, get_formulation("miqp"), get_engine(solver), objective=curve_objective, needs=NEEDS)
    stats = run.solve(SolveOptions(mip_gap=mip_gap, time_limit=time_limit), what="the direct curve MINLP")
    if not stats.has_solution:
        return stats, None, None
    delta, check = run.checked_plan()
    return stats, delta, check.revenue
