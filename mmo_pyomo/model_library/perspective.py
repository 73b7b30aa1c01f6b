"""Perspective: the MIQP with a_i δ_i² replaced by its perspective a_i δ_i²/y_i.

The perspective of f(δ) = δ² is δ²/y for y > 0 and 0 at (δ, y) = (0, 0). Division by a
variable that may be 0 is written as an ε-perspective, δ²/((1 − ε) y + ε), which is exact
at y ∈ {0, 1} (when y = 0 the region constraints force δ = 0) and convex for y ∈ [0, 1].
"""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C

#: ε of the ε-perspective: small enough not to change the relaxation visibly, large
#: enough to keep the denominator away from 0.
EPSILON = 1e-6


def build_model(epsilon: float = EPSILON) -> pyo.AbstractModel:
    """The perspective formulation: (3.8) plus y = z⁻ + z⁺ and the perspective objective."""
    m = c.new_base_model("mmo_perspective")
    c.add_regions(m)             # (3.8c), (3.8d), (3.8f)
    c.add_changed_variable(m)    # y = z⁻ + z⁺
    c.add_cardinality(m)         # (3.8e)
    m.perspective_epsilon = pyo.Param(initialize=epsilon, mutable=False)
    c.add_revenue_objective(
        m, lambda m, i: m.d[i] ** 2 / ((1 - m.perspective_epsilon) * m.y[i] + m.perspective_epsilon))
    return m


FORMULATION = Formulation(
    name="perspective", builder=build_model, equations="(3.8) with the perspective objective",
    needs=frozenset({C.LINEAR, C.INTEGER, C.DIVISION}),
    start_pieces=(c.spend_change_start, c.regions_start, c.changed_variable_start),
    description="the MIQP with the perspective objective a·δ²/y",
)
