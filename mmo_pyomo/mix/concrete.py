"""Concrete models of an instance: build one, give it a plan as a start, read its plan back.

The runner, the relaxation bounds and the chord heuristic all build their models here.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.instance.pyomo_schema import to_pyomo_data
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.validate import validate
from mmo_pyomo.mix.checker import TOLERANCE, check_plan, magnitude
from mmo_pyomo.model_library import Formulation, get_formulation
from mmo_pyomo.model_library.components import add_target, built_from, spend_changes


def create_model(inst: Instance, formulation: str | Formulation, *, validate_instance: bool = True,
                 **build_options: Any) -> pyo.ConcreteModel:
    """The concrete model of ``formulation`` on ``inst``, built from the shared abstract model.

    The Pyomo data come straight from ``inst``, which is validated here once (a no-op for an
    instance that already passed :func:`validate`) unless ``validate_instance`` is False.
    """
    if validate_instance:
        validate(inst)
    with built_from(inst):
        model = get_formulation(formulation).build(**build_options).create_instance(data=to_pyomo_data(inst),
                                                                                    name=inst.name)
    add_target(model)
    return model


def polish_delta(inst: Instance, delta: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """Remove solver round-off: snap near-zero changes to 0, near-minimum ones to ±m, clip to bounds."""
    scale = magnitude(inst)
    d = np.where(np.abs(delta) <= tol * scale, 0.0, delta)
    near_min = (d != 0) & (np.abs(d) < inst.min_change) & (np.abs(d) >= inst.min_change - tol * scale)
    d = np.where(near_min, np.sign(d) * inst.min_change, d)
    return np.clip(d, inst.lower - inst.baseline, inst.upper - inst.baseline)


def set_start(model: pyo.ConcreteModel, formulation: str | Formulation, inst: Instance, delta: np.ndarray) -> None:
    """Give every variable of the model the value it takes in the plan ``delta`` (a MIP start).

    The formulation says which variables it has and their values (``Formulation.start_values``).
    """
    values = get_formulation(formulation).start_values(inst, delta)
    for name, column in values.items():
        comp = model.component(name)
        if comp is None:
            raise ValueError(f"formulation {formulation} gives a start for '{name}', which its model lacks")
        for a, v in zip(inst.activities, column.tolist()):
            if a in comp:
                comp[a].set_value(v, skip_validation=True)


def plan_of(model: pyo.Block, inst: Instance) -> np.ndarray:
    """The spend changes δ = s·d of a solved model, polished (:func:`polish_delta`) unless polishing would
    break what the engine's own values meet (snapping a change up to its minimum can push the budget over)."""
    raw = spend_changes(model, inst)
    polished = polish_delta(inst, raw)
    if not check_plan(inst, inst.baseline + polished).feasible and check_plan(inst, inst.baseline + raw).feasible:
        return raw
    return polished
