"""The six MMO formulations, each a :class:`Formulation` record, registered by name (weakest first)."""
from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.errors import MMOError
from mmo_pyomo.formulations import hull, hull_oa, minlp, miqp, misocp, perspective
from mmo_pyomo.formulations.record import Formulation, StartValues

#: Formulation name → record, weakest relaxation first.
FORMULATIONS: dict[str, Formulation] = {
    f.name: f for f in (minlp.FORMULATION, miqp.FORMULATION, perspective.FORMULATION, misocp.FORMULATION,
                        hull.FORMULATION, hull_oa.FORMULATION)
}


def get_formulation(name: str | Formulation) -> Formulation:
    """The record of formulation ``name`` (a record is returned as it is)."""
    if isinstance(name, Formulation):
        return name
    if not isinstance(name, str) or name not in FORMULATIONS:
        raise MMOError(f"unknown formulation {name!r}", f"choose one of {', '.join(FORMULATIONS)}")
    return FORMULATIONS[name]


def build_model(name: str, **options: Any) -> pyo.AbstractModel:
    """The abstract model of formulation ``name``."""
    return get_formulation(name).build(**options)


__all__ = ["FORMULATIONS", "Formulation", "StartValues", "get_formulation", "build_model"]
