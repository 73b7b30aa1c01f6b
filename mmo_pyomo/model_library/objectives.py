"""Objectives other than the revenue, over a formulation's own variables: the chord heuristic's MILP
objective, the number of changes (the plan with the fewest) and the curves written out in closed form (the
reference MINLP). Modules outside the model library pass these to :class:`~mmo_pyomo.mix.model_run.ModelRun`
and name no variable themselves."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance

#: The chord's slopes and intercepts on R⁻ and R⁺ of an instance (:func:`mmo_pyomo.mix.chord.chord_coefficients`).
Chords = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def chord_objective(chords: Callable[[Instance], Chords]) -> Callable[[pyo.Block, Instance], pyo.Expression]:
    """Σ over regions of the revenue's chord, in the model's units (δ = s·d, revenue / R), on the region
    variables d⁻, d⁺, z⁻, z⁺ of the region formulations (:func:`~mmo_pyomo.model_library.components.add_regions`)."""
    def objective(model: pyo.Block, inst: Instance) -> pyo.Expression:
        slope_dec, icept_dec, slope_inc, icept_inc = chords(inst)
        s, unit = inst.units.spend, inst.units.revenue
        return sum((slope_dec[k] * s[k] / unit) * model.d_dec[a] + (icept_dec[k] / unit) * model.z_dec[a]
                   + (slope_inc[k] * s[k] / unit) * model.d_inc[a] + (icept_inc[k] / unit) * model.z_inc[a]
                   for k, a in enumerate(inst.activities))
    return objective


def changes_objective(model: pyo.Block, inst: Instance) -> pyo.Expression:
    """−Σ (z⁻ + z⁺): minus the number of activities that change, on the region variables of the region formulations
    (to maximize: the plan with the fewest changes that meets every rule)."""
    return -sum(model.z_dec[a] + model.z_inc[a] for a in inst.activities)


def curve_objective(model: pyo.Block, inst: Instance) -> pyo.Expression:
    """Σ_i r_i(x̄_i + δ_i) in units of R, as the model's own objective (curves in closed form, less the
    instance's ``spend_price`` per unit of spend)."""
    price = inst.spend_price                       # an mroi:M target on curves: r_i(x) − M·x
    return sum(response_expression(inst, k, inst.baseline[k] + model.delta[a])
               - (price * (inst.baseline[k] + model.delta[a]) if price else 0.0)
               for k, a in enumerate(inst.activities)) / inst.units.revenue


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
