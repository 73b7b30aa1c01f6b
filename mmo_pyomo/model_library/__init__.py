"""The six MMO formulations, each a :class:`Formulation` record, registered by name (weakest first)."""
from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.errors import MMOError
from mmo_pyomo.model_library import hull, hull_oa, minlp, miqp, misocp, mm_cone, perspective
from mmo_pyomo.model_library.record import Formulation, StartValues

#: Formulation name → record, weakest relaxation first.
FORMULATIONS: dict[str, Formulation] = {
    f.name: f for f in (minlp.FORMULATION, miqp.FORMULATION, perspective.FORMULATION, misocp.FORMULATION,
                        hull.FORMULATION, hull_oa.FORMULATION)
}


#: Formulations for response-curve instances only (:mod:`mmo_pyomo.curves`), kept apart from the
#: quadratic ones above, which every engine table and cross-check runs over.
CURVE_FORMULATIONS: dict[str, Formulation] = {mm_cone.FORMULATION.name: mm_cone.FORMULATION}

Formulation.registry.update({**FORMULATIONS, **CURVE_FORMULATIONS})


def get_formulation(name: str | Formulation) -> Formulation:
    """The record of formulation ``name`` (a record is returned as it is)."""
    if isinstance(name, Formulation):
        return name
    known = {**FORMULATIONS, **CURVE_FORMULATIONS}
    if not isinstance(name, str) or name not in known:
        raise MMOError(f"unknown formulation {name!r}", f"choose one of {', '.join(known)}")
    return known[name]


def build_model(name: str, **options: Any) -> pyo.AbstractModel:
    """The abstract model of formulation ``name``."""
    return get_formulation(name).build(**options)


__all__ = ["CURVE_FORMULATIONS", "FORMULATIONS", "Formulation", "StartValues", "get_formulation", "build_model"]
