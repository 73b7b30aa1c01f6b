"""What a model needs from an engine, in the style of Pyomo's own solver-test capability tags.

Each formulation module declares ``REQUIRES``, a set of these tags; each engine in
:mod:`mmo_pyomo.solvers.engines` declares how it takes each formulation.
"""
from __future__ import annotations

INTEGER = "integer"
QUADRATIC_OBJECTIVE = "quadratic_objective"                        # convex QP objective
CONVEX_QUADRATIC_CONSTRAINTS = "convex_quadratic_constraints"      # rotated cones δ² ≤ t·y
NONCONVEX_QUADRATIC_CONSTRAINTS = "nonconvex_quadratic_constraints"  # δ² ≥ m² z
NONLINEAR_OBJECTIVE = "nonlinear_objective"                        # division: δ²/y

ALL = frozenset({INTEGER, QUADRATIC_OBJECTIVE, CONVEX_QUADRATIC_CONSTRAINTS,
                 NONCONVEX_QUADRATIC_CONSTRAINTS, NONLINEAR_OBJECTIVE})
