"""Michaelis–Menten curves, exactly: one rotated cone per region (for response-curve instances).

For r(x) = β·x/(k + x) the revenue change of a spend change δ from x̄ is
g(δ) = c − βk/(k + x̄ + δ), with c = βk/(k + x̄). Its perspective on region R is

    z·g(δ/z) = c·z − βk·z²/((k + x̄)·z + δ),

so w_R ≤ z_R·g(δ_R/z_R) is the rotated cone  βk·z_R² ≤ u_R·v_R  with u_R = c·z_R − w_R ≥ 0 and
v_R = (k + x̄)·z_R + δ_R ≥ 0 (since x̄ + δ ≥ l ≥ 0 on the region). This is exact, so one conic
solve gives the optimum with no refinement. In units (:mod:`mmo_pyomo.instance.units`) u is
measured in R_i and v in s_i, and the cone reads βk/(R_i·s_i)·z² ≤ u·v. Compare hull_oa, which cuts the same perspective by
tangents (``docs/results.md``).
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.hull_oa import REGIONS, add_region_revenue, add_region_revenue_objective, region_revenue_start
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C


def build_model() -> pyo.AbstractModel:
    """Regions (3.8c–f), cardinality and a Michaelis–Menten cone per region."""
    m = c.new_base_model("mmo_mm_cone")
    c.add_regions(m)
    c.add_changed_expression(m)
    c.add_cardinality(m)
    add_region_revenue(m)
    add_michaelis_menten_cones(m)
    add_region_revenue_objective(m)
    return m


def _coefficients(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(βk, c = βk/(k + x̄), k + x̄) per activity; only Michaelis–Menten curves qualify."""
    curves = inst.curves
    if curves is not None and curves.draws and all(f == "michaelis_menten" for f in curves.family):
        raise DataError("the mm_cone formulation models one Michaelis–Menten curve per activity, and these are means "
                        "of posterior draws (a mean of Michaelis–Menten curves is not one)",
                        "use --formulation hull_oa, which takes every family")
    if curves is None or any(f != "michaelis_menten" for f in curves.family):
        other = "quadratic revenues" if curves is None else \
            f"a {next(f for f in curves.family if f != 'michaelis_menten')} curve"
        raise DataError(f"the mm_cone formulation needs Michaelis–Menten curves for every activity, and found {other}",
                        "use --formulation hull_oa, which takes every family")
    bk = curves.beta * curves.k
    return bk, bk / (curves.k + inst.baseline), curves.k + inst.baseline


def check_michaelis_menten(inst: Instance, **_: object) -> None:
    """Refuse an instance whose activities are not all Michaelis–Menten curves."""
    _coefficients(inst)


def add_michaelis_menten_cones(m: pyo.Block) -> None:
    """u_R = c·z_R − w_R, v_R = (k + x̄)·z_R + δ_R and βk·z_R² ≤ u_R·v_R per region (u in units of R, v of s_i)."""
    m.mm_coefficients = pyo.BuildAction(rule=lambda m: setattr(m, "_mm", _coefficients(m._mmo_instance)))
    for part in REGIONS:
        u = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc=f"(c·z − w)/R_i on R{part}")
        v = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc=f"((k + x̄)·z + δ)/s on R{part}")
        m.add_component(f"mm_u_{part}", u)
        m.add_component(f"mm_v_{part}", v)

        def u_rule(m: pyo.Block, i: str, part: str = part):
            k = m._mmo_position[i]
            unit = float(pyo.value(m.change_unit[i]))
            return getattr(m, f"mm_u_{part}")[i] == m._mm[1][k] / unit * getattr(m, f"z_{part}")[i] \
                - getattr(m, f"w_{part}")[i]

        def v_rule(m: pyo.Block, i: str, part: str = part):
            k = m._mmo_position[i]
            s = float(pyo.value(m.spend_unit[i]))
            return getattr(m, f"mm_v_{part}")[i] == m._mm[2][k] / s * getattr(m, f"z_{part}")[i] \
                + getattr(m, f"d_{part}")[i]

        def cone_rule(m: pyo.Block, i: str, part: str = part):
            if not getattr(m, f"has_{part}")[i]:
                return pyo.Constraint.Skip
            k = m._mmo_position[i]
            z = getattr(m, f"z_{part}")[i]
            scale = float(pyo.value(m.change_unit[i])) * float(pyo.value(m.spend_unit[i]))
            return m._mm[0][k] / scale * z ** 2 <= getattr(m, f"mm_u_{part}")[i] * getattr(m, f"mm_v_{part}")[i]
        m.add_component(f"mm_u_link_{part}", pyo.Constraint(m.ACTIVITIES, rule=u_rule))
        m.add_component(f"mm_v_link_{part}", pyo.Constraint(m.ACTIVITIES, rule=v_rule))
        m.add_component(f"mm_cone_{part}", pyo.Constraint(m.ACTIVITIES, rule=cone_rule, doc="βk·z² ≤ u·v"))


def mm_cone_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """u, v of a plan δ, in units (and w from :func:`region_revenue_start`)."""
    _, cz, kx = _coefficients(inst)
    w = region_revenue_start(inst, delta)
    unit, s = inst.units.change, inst.units.spend
    out = {}
    for part, on in (("dec", delta < 0), ("inc", delta > 0)):
        z = on.astype(float)
        out[f"mm_u_{part}"] = cz / unit * z - w[f"w_{part}"]
        out[f"mm_v_{part}"] = (kx * z + np.where(on, delta, 0.0)) / s
    return out


FORMULATION = Formulation(
    name="mm_cone", builder=build_model, equations="(3.8) with a Michaelis–Menten cone per region (beyond the paper)",
    needs=frozenset({C.LINEAR, C.INTEGER, C.ROTATED_CONE}),
    start_pieces=(c.spend_change_start, c.regions_start, region_revenue_start, mm_cone_start),
    description="Michaelis–Menten curves exactly: βk·z² ≤ (c·z − w)·((k + x̄)·z + δ) per region",
    takes_curves=True, check=check_michaelis_menten,
)
