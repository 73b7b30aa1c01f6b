"""Which engines can run here, and the expected failures of each, derived in one place.

The pairs an engine cannot take are not listed by hand: they follow from the formulations'
``needs`` and the engines' ``capabilities``. ``test_engines`` checks that each one fails with
CapabilityError naming what is missing, and that every other pair solves.
"""
from __future__ import annotations

import functools

import pytest

from mmo_pyomo.cli.engine_listing import licence_and_version
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.capabilities import DESCRIPTION
from mmo_pyomo.solvers.engines import ENGINES

#: (engine, formulation) → why the engine cannot take it (what it lacks).
EXPECTED_FAILURES = {
    (e, f): ", ".join(sorted(DESCRIPTION[c] for c in engine.missing(form.needs)))
    for e, engine in ENGINES.items() for f, form in FORMULATIONS.items() if engine.missing(form.needs)
}


@functools.cache
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
