"""Which engines can run here, and the expected failures of each, listed in one place."""
from __future__ import annotations

import functools

import pytest

from mmo_pyomo.solvers.engines import ENGINES
from mmo_pyomo.solvers.listing import licence_and_version

#: (engine, formulation) pairs the table leaves out on purpose, and why. test_engines checks
#: that each one fails with CapabilityError, and that every other pair solves.
EXPECTED_FAILURES = {
    ("cplex", "minlp"): "CPLEX has no nonconvex quadratic constraints (δ² ≥ m²z)",
    ("cplex", "perspective"): "CPLEX takes no division in the objective",
    ("xpress", "minlp"): "not declared: Xpress's nonconvex path is not verified here",
    ("xpress", "perspective"): "Xpress takes no division through xpress_direct",
    **{("highs", f): "HiGHS has no integer QP or cones" for f in ("minlp", "miqp", "perspective", "misocp", "hull")},
}


@functools.lru_cache(maxsize=None)
def engine_state(name: str) -> tuple[bool, str]:
    """(installed, licence) of an engine, probed once per test session."""
    installed, licence, _ = licence_and_version(ENGINES[name])
    return installed, licence


def require_engine(name: str) -> str:
    """Skip the calling test, with the reason, unless the engine can run here."""
    installed, licence = engine_state(name)
    if not installed:
        pytest.skip(f"{name} is not installed ({ENGINES[name].install_hint})")
    if licence.startswith("missing"):
        pytest.skip(f"{name} has no usable licence: {licence}")
    return licence
