"""MINLP (3.7): one binary per activity and the nonconvex minimum change |δ_i| ≥ m_i z_i."""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C


def build_model(min_change_form: str = "square") -> pyo.AbstractModel:
    """The MINLP (3.7); ``min_change_form`` is ``"square"`` (δ² ≥ m²z) or ``"abs"``."""
    m = c.new_base_model("mmo_minlp")
    c.add_change_indicator_binary(m)              # (3.7f)
    c.add_min_change_absolute(m, min_change_form)  # (3.7d)
    c.add_cardinality(m)                          # (3.7e)
    c.add_revenue_objective(m, lambda m, i: m.d[i] ** 2)  # (3.7a)
    return m


FORMULATION = Formulation(
    name="minlp", builder=build_model, equations="(3.7)",
    needs=frozenset({C.LINEAR, C.INTEGER, C.CONVEX_QP_OBJECTIVE, C.NONCONVEX_QUADRATIC}),
    start_pieces=(c.spend_change_start, c.change_indicator_start), regions=None,
    description="one binary per activity, nonconvex |δ| ≥ m·z (sent as δ² ≥ m²z)",
)
