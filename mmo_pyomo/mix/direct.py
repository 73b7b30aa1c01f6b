"""The curves written out as a nonlinear objective over the MIQP's rows: a reference MINLP.

Hill, Michaelis–Menten and logistic curves become Pyomo expressions of the new spend, and SCIP
solves the model to global optimality by spatial branching, with no tangents and no surrogate.
It is slower than hull_oa, and tables cannot be written this way, but it is an independent check
of hull_oa's optimum and bound (``tests/test_curves.py``).
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.model_library import get_formulation
from mmo_pyomo.solvers.capabilities import Capability as C
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import get_engine
from mmo_pyomo.solvers.stats import SolveStats

NEEDS = frozenset({C.LINEAR, C.INTEGER, C.DIVISION})


def response_expression(inst: Instance, k: int, x: pyo.Expression) -> pyo.Expression:
    """r_k(x) as a Pyomo expression of the new spend x (a mean of posterior draws: the mean of their curves)."""
    c = inst.curves
    assert c is not None
    family = c.family[k]
    if family not in ("hill", "michaelis_menten", "logistic"):
        raise MMOError(f"a {family} curve has no closed form", "solve instances with table curves with hull_oa")
    if k in c.draws:
        d = c.draws[k]
        terms = [_closed_form(family, x, float(d["beta"][j]), float(d["k"][j]), float(d["s"][j]), float(d["lam"][j]))
                 for j in range(len(d["beta"]))]
        return sum(terms) / len(terms)
    return _closed_form(family, x, float(c.beta[k]), float(c.k[k]), float(c.s[k]), float(c.lam[k]))


def _closed_form(family: str, x: pyo.Expression, beta: float, k: float, s: float, lam: float) -> pyo.Expression:
    if family in ("hill", "michaelis_menten"):
        s = 1.0 if family == "michaelis_menten" else s
        ratio = x / k if s == 1.0 else (x / k) ** s
        return beta * ratio / (1 + ratio)
    e = pyo.exp(-lam * x)
    return beta * (1 - e) / (1 + e)


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


def curve_objective(model: pyo.ConcreteModel, inst: Instance) -> pyo.Expression:
    """Σ_i r_i(x̄_i + δ_i) in units of R, as the model's own objective."""
    return sum(response_expression(inst, k, inst.baseline[k] + model.delta[a])
               for k, a in enumerate(inst.activities)) / inst.units.revenue
