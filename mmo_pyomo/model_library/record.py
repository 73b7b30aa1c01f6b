"""The :class:`Formulation` record: everything the package needs to know about one formulation."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.solvers.capabilities import Capability, relaxed

#: Start values of a formulation: variable name → one value per activity (activity order).
StartValues = dict[str, np.ndarray]

#: A start-value piece: the values of the variables one formulation piece adds, for a plan δ.
StartPiece = Callable[[Instance, np.ndarray], StartValues]


@dataclass(frozen=True)
class Formulation:
    """One MMO formulation.

    * ``builder`` returns its ``AbstractModel`` (options such as the MINLP's ``min_change_form``);
    * ``equations`` names the equations of the source paper it implements, e.g. ``"(3.9)"``;
    * ``needs`` is what an engine must take (see :mod:`mmo_pyomo.solvers.capabilities`);
    * ``start_pieces`` give, for a plan δ, the value of every variable (a MIP start);
    * ``description`` is one line for tables;
    * ``refine``, for an outer approximation, adds cuts at a plan: ``refine(model, inst, delta,
      tol)`` returns how many; the runner then re-solves until the true revenue of the plan is
      within the gap target of the bound (:func:`mmo_pyomo.mix.runner.solve`);
    * ``takes_curves``: it models response curves (:mod:`mmo_pyomo.curves`), not only quadratics;
    * ``check(inst, **options)`` raises the project's error for an instance the formulation cannot
      model, before any model is built.
    """

    name: str
    builder: Callable[..., pyo.AbstractModel]
    equations: str
    needs: frozenset[Capability]
    start_pieces: tuple[StartPiece, ...]
    description: str
    refine: Callable[[pyo.Block, Instance, np.ndarray, float], int] | None = None
    takes_curves: bool = False
    check: Callable[..., None] | None = None

    def build(self, **options: Any) -> pyo.AbstractModel:
        """The abstract model."""
        return self.builder(**options)

    @property
    def relaxation_needs(self) -> frozenset[Capability]:
        """What an engine must take to solve this formulation's continuous relaxation."""
        return relaxed(self.needs)

    def start_values(self, inst: Instance, delta: np.ndarray) -> StartValues:
        """The value of every indexed variable of the model in the plan ``delta`` (spend changes)."""
        delta = np.asarray(delta, dtype=float)
        values: StartValues = {}
        for piece in self.start_pieces:
            values.update(piece(inst, delta))
        return values

    def check_revenue_model(self, inst: Instance) -> None:
        """Raise :class:`MMOError` when ``inst`` has response curves and this formulation models
        only quadratic revenues (its model, or its relaxation, would describe another problem)."""
        if inst.curves is not None and not self.takes_curves:
            from mmo_pyomo.errors import MMOError
            from mmo_pyomo.model_library import CURVE_FORMULATIONS, FORMULATIONS
            takers = " or ".join(f for f, rec in {**FORMULATIONS, **CURVE_FORMULATIONS}.items() if rec.takes_curves)
            raise MMOError(f"the {self.name} formulation models quadratic revenues, and this instance has response "
                           "curves", f"use --formulation {takers}, or "
                           "--approximate quadratic")

    def __str__(self) -> str:
        return self.name
