"""MISOCP (3.9): the perspective objective as t_i with the rotated cone δ_i² ≤ t_i·y_i."""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C


def build_model() -> pyo.AbstractModel:
    """The MISOCP (3.9); the cone is written over single variables δ_i, t_i, y_i."""
    m = c.new_base_model("mmo_misocp")
    c.add_regions(m)             # (3.9c), (3.9d), (3.9i)
    c.add_changed_variable(m)    # (3.9f)
    c.add_cardinality(m)         # (3.9e)
    c.add_perspective_cone(m)    # (3.9g), (3.9h)
    c.add_revenue_objective(m, lambda m, i: m.t[i])  # (3.9a)
    return m


FORMULATION = Formulation(
    name="misocp", builder=build_model, equations="(3.9)",
    needs=frozenset({C.LINEAR, C.INTEGER, C.ROTATED_CONE}),
    start_pieces=(c.spend_change_start, c.regions_start, c.changed_variable_start, c.perspective_cone_start),
    description="the perspective as rotated cones δ² ≤ t·y",
)
