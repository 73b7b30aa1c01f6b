"""The five MMO formulations, each an ``AbstractModel`` builder, registered by name."""
from __future__ import annotations

from types import ModuleType
from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.formulations import hull, minlp, miqp, misocp, perspective

#: Formulation name → module (each has ``build_model()`` and ``REQUIRES``), weakest first.
FORMULATIONS: dict[str, ModuleType] = {
    "minlp": minlp, "miqp": miqp, "perspective": perspective, "misocp": misocp, "hull": hull,
}


def get_formulation(name: str) -> ModuleType:
    """The module of formulation ``name``."""
    from mmo_pyomo.errors import MMOError
    try:
        return FORMULATIONS[name]
    except KeyError:
        raise MMOError(f"unknown formulation '{name}'", f"choose one of {', '.join(FORMULATIONS)}") from None


def build_model(name: str, **options: Any) -> pyo.AbstractModel:
    """The abstract model of formulation ``name``."""
    return get_formulation(name).build_model(**options)


__all__ = ["FORMULATIONS", "get_formulation", "build_model"]
