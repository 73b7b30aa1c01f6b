"""mmo-pyomo: marketing mix optimization with practical constraints, and offer optimization, on Pyomo.

The public API::

    from mmo_pyomo import load_instance, solve, check_plan

Names are imported on first use, so that ``mmo_pyomo.offers`` does not load Pyomo.
"""
from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name → module that defines it.
_EXPORTS = {
    "Instance": "mmo_pyomo.instance", "load_instance": "mmo_pyomo.instance", "read_dat": "mmo_pyomo.instance",
    "write_dat": "mmo_pyomo.instance", "solve": "mmo_pyomo.mix.runner", "Result": "mmo_pyomo.mix.runner",
    "check_plan": "mmo_pyomo.mix.checker", "PlanCheck": "mmo_pyomo.mix.checker", "FORMULATIONS": "mmo_pyomo.model_library",
    "build_model": "mmo_pyomo.model_library", "MMOError": "mmo_pyomo.errors", "Status": "mmo_pyomo.solvers.stats",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'mmo_pyomo' has no attribute {name!r}")
