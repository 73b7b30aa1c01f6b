"""Hull: one rotated cone per region, the convex hull of the disjunction (beyond the paper).

Each region R ∈ {R⁻, R⁺} gets its own epigraph variable: (δ⁻)² ≤ t⁻ z⁻ and (δ⁺)² ≤ t⁺ z⁺.
Since δ = δ⁻ + δ⁺ and y = z⁻ + z⁺, Cauchy–Schwarz gives (δ⁻ + δ⁺)²/(z⁻ + z⁺) ≤
(δ⁻)²/z⁻ + (δ⁺)²/z⁺, so the continuous relaxation is at least as tight as the MISOCP's.
"""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C


def build_model() -> pyo.AbstractModel:
    """The hull formulation: regions (3.8c–f), cardinality, and a cone per region."""
    m = c.new_base_model("mmo_hull")
    c.add_regions(m)
    c.add_changed_expression(m)
    c.add_cardinality(m)
    c.add_hull_cones(m)
    c.add_revenue_objective(m, c.region_sum("t"))
    return m


FORMULATION = Formulation(
    name="hull", builder=build_model, equations="(3.8) with a cone per region (beyond the paper)",
    needs=frozenset({C.LINEAR, C.INTEGER, C.ROTATED_CONE}),
    start_pieces=(c.spend_change_start, c.regions_start, c.hull_cones_start),
    description="one cone per region: the convex hull of the disjunction",
)
