"""What a model needs of an engine, and what an engine can take: one vocabulary for both.

Every formulation declares the capabilities it ``needs``
(:class:`mmo_pyomo.model_library.Formulation`), every engine the capabilities it has
(:class:`mmo_pyomo.solvers.engines.Engine`). Whether an engine takes a model, the engine table
of ``--list-solvers`` and of the README, and the expected failures of the engine tests are all
derived from these two declarations (see :func:`takes`).
"""
from __future__ import annotations

from collections.abc import Set
from enum import Enum


class Capability(str, Enum):
    """One thing a model may contain, or an engine may take."""

    LINEAR = "linear"                            # linear rows and objective
    INTEGER = "integer"                          # binary / integer variables
    CONVEX_QP_OBJECTIVE = "convex_qp_objective"  # concave quadratic objective (maximized)
    ROTATED_CONE = "rotated_cone"                # δ² ≤ t·y
    NONCONVEX_QUADRATIC = "nonconvex_quadratic"  # δ² ≥ m²·z
    DIVISION = "division"                        # δ²/y in the objective
    DUALS = "duals"                              # row duals of an LP returned through Pyomo
    MILP_ONLY = "milp_only"                      # engine trait: integers only in otherwise linear models

    def __str__(self) -> str:
        return self.value


#: Plain-words names, for messages and tables.
DESCRIPTION: dict[Capability, str] = {
    Capability.LINEAR: "linear models",
    Capability.INTEGER: "integer variables",
    Capability.CONVEX_QP_OBJECTIVE: "a convex quadratic objective",
    Capability.ROTATED_CONE: "rotated second-order cones",
    Capability.NONCONVEX_QUADRATIC: "nonconvex quadratic constraints",
    Capability.DIVISION: "division by a variable in the objective",
    Capability.DUALS: "LP duals",
    Capability.MILP_ONLY: "integer variables in a nonlinear model",
}


def missing(has: Set[Capability], needs: Set[Capability]) -> set[Capability]:
    """The capabilities in ``needs`` that an engine with ``has`` lacks.

    An engine with ``MILP_ONLY`` takes integers only in models that need nothing beyond
    linear rows: for a nonlinear model with integers, ``MILP_ONLY`` is reported (the engine's
    restriction) among what is missing.
    """
    out = set(needs) - set(has) - {Capability.MILP_ONLY}
    if Capability.MILP_ONLY in has and Capability.INTEGER in needs \
            and set(needs) - {Capability.LINEAR, Capability.INTEGER, Capability.DUALS}:
        out.add(Capability.MILP_ONLY)
    return out


def takes(has: Set[Capability], needs: Set[Capability]) -> bool:
    """Whether an engine with capabilities ``has`` takes a model that ``needs`` these."""
    return not missing(has, needs)


def relaxed(needs: Set[Capability]) -> frozenset[Capability]:
    """What the continuous relaxation of a model with ``needs`` needs (no integers)."""
    return frozenset(needs) - {Capability.INTEGER}
