"""Hull, outer-approximated: the hull's cones replaced by tangent cuts, a MILP any MIP engine takes.

The hull bounds the curvature of each region R ∈ {R⁻, R⁺} by an epigraph variable, t ≥ δ_R²/z_R.
The function δ²/z is convex on z > 0 (the perspective of δ²), and each of its tangent planes, at
the point (d̂, 1), is a linear cut in perspective form:

    t_R ≥ 2·d̂·δ_R − d̂²·z_R,     because δ²/z − (2d̂δ − d̂²z) = (δ − d̂z)²/z ≥ 0.

At z_R = 0 the region's δ_R is 0 and the cut says t_R ≥ 0. With a_i < 0 the objective
Σ a_i(t⁻_i + t⁺_i) + b_i δ_i + c_i over-estimates the revenue wherever a cut is loose, so the MILP's
bound is a valid upper bound on the true optimum. The model starts with ``tangents`` points spread
evenly over each region; :func:`refine` adds a cut at a plan's own δ_R wherever the cuts there
under-estimate the curvature, and the runner re-solves from that plan until
(bound − true revenue of the plan) is within the gap target.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.formulations import components as c
from mmo_pyomo.formulations.record import Formulation
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.solvers.capabilities import Capability as C

#: Tangent points per region in a new model (both ends of the region included).
DEFAULT_TANGENTS = 4

REGIONS = ("dec", "inc")


def build_model(tangents: int = DEFAULT_TANGENTS) -> pyo.AbstractModel:
    """The hull with tangent cuts: regions (3.8c–f), cardinality, ``tangents`` cuts per region."""
    if tangents < 1:
        raise ValueError("hull_oa needs at least one tangent per region")
    m = c.new_base_model("mmo_hull_oa")
    c.add_regions(m)
    c.add_changed_expression(m)
    c.add_cardinality(m)
    add_hull_tangents(m, tangents)
    c.add_revenue_objective(m, lambda m, i: m.t_dec[i] + m.t_inc[i])
    return m


def tangent_cut(t: pyo.Var, delta: pyo.Var, z: pyo.Var, d_hat: float) -> pyo.Expression:
    """t ≥ 2·d̂·δ − d̂²·z: the tangent of the perspective δ²/z at (d̂, 1)."""
    return t >= 2 * d_hat * delta - d_hat * d_hat * z


def add_hull_tangents(m: pyo.Block, tangents: int) -> None:
    """Epigraph variables t⁻, t⁺ ≥ 0 with ``tangents`` cuts per region at evenly spread points
    (the hull's cones, :func:`~mmo_pyomo.formulations.components.add_hull_cones`, outer-approximated),
    and an empty list ``tangent_refinements`` for :func:`refine`."""
    m.t_dec = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc="t⁻ ≥ tangents of (δ⁻)²/z⁻")
    m.t_inc = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc="t⁺ ≥ tangents of (δ⁺)²/z⁺")
    m.TANGENT_POINTS = pyo.RangeSet(0, tangents - 1)

    def cut(part: str):
        def rule(m: pyo.Block, i: str, p: int):
            if m.quad[i] == 0 or not getattr(m, f"has_{part}")[i]:
                return pyo.Constraint.Skip
            lo, hi = pyo.value(getattr(m, f"{part}_lower")[i]), pyo.value(getattr(m, f"{part}_upper")[i])
            d_hat = lo + (hi - lo) * (p / (tangents - 1) if tangents > 1 else 0.5)
            return tangent_cut(getattr(m, f"t_{part}")[i], getattr(m, f"delta_{part}")[i],
                               getattr(m, f"z_{part}")[i], d_hat)
        return rule
    m.tangent_dec = pyo.Constraint(m.ACTIVITIES, m.TANGENT_POINTS, rule=cut("dec"), doc="t⁻ ≥ 2d̂δ⁻ − d̂²z⁻")
    m.tangent_inc = pyo.Constraint(m.ACTIVITIES, m.TANGENT_POINTS, rule=cut("inc"), doc="t⁺ ≥ 2d̂δ⁺ − d̂²z⁺")
    m.tangent_refinements = pyo.ConstraintList(doc="cuts added at plans by refine()")


def refine(model: pyo.Block, inst: Instance, delta: np.ndarray, tol: float) -> int:
    """Add a tangent at the plan's δ_R to each region whose cuts under-estimate the revenue lost to
    curvature, |a_i|·(δ_R² − t_R), by more than ``tol``. Returns how many cuts were added."""
    added = 0
    for k, a in enumerate(inst.activities):
        if inst.quad[k] == 0 or delta[k] == 0:
            continue
        part = "dec" if delta[k] < 0 else "inc"
        d = float(delta[k])
        t = getattr(model, f"t_{part}")[a]
        if -inst.quad[k] * (d * d - (t.value or 0.0)) > tol:
            model.tangent_refinements.add(tangent_cut(t, getattr(model, f"delta_{part}")[a],
                                                      getattr(model, f"z_{part}")[a], d))
            added += 1
    return added


FORMULATION = Formulation(
    name="hull_oa", builder=build_model, equations="(3.8) with tangent cuts per region (beyond the paper)",
    needs=frozenset({C.LINEAR, C.INTEGER}),
    start_pieces=(c.spend_change_start, c.regions_start, c.hull_cones_start),
    description="the hull's cones as tangent cuts, refined at each plan: a MILP",
    refine=refine,
)
