"""MIQP (3.8): the minimum change as three regions with binaries z⁻, z⁰, z⁺ (Table 1)."""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C


def build_model() -> pyo.AbstractModel:
    """The MIQP (3.8): convex quadratic objective, linear constraints."""
    m = c.new_base_model("mmo_miqp")
    c.add_regions(m)             # (3.8c), (3.8d), (3.8f)
    c.add_changed_expression(m)
    c.add_cardinality(m)         # (3.8e)
    c.add_revenue_objective(m, lambda m, i: m.d[i] ** 2)  # (3.8a)
    return m


FORMULATION = Formulation(
    name="miqp", builder=build_model, equations="(3.8)",
    needs=frozenset({C.LINEAR, C.INTEGER, C.CONVEX_QP_OBJECTIVE}),
    start_pieces=(c.spend_change_start, c.regions_start),
    description="three region binaries per activity (Table 1), convex quadratic objective",
)
