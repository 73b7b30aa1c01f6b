"""The statistics every engine reports, in one shape, and the status vocabulary."""
from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any


class Status(str, Enum):
    """The outcome of a solve, the same for every engine. Compares equal to its string value."""

    OPTIMAL = "optimal"          # a plan proved optimal within the gap target
    FEASIBLE = "feasible"        # a plan, optimality not proved (a limit was reached)
    INFEASIBLE = "infeasible"    # proved: no plan exists
    UNBOUNDED = "unbounded"
    TIME_LIMIT = "time_limit"    # stopped at the time limit with no plan
    INTERRUPTED = "interrupted"  # stopped by the user (Ctrl-C, SIGTERM): any plan is the incumbent of that moment
    ERROR = "error"              # the engine failed, or its plan failed the checker
    UNRELIABLE = "unreliable"    # a checked plan, and a bound below a checked revenue: no certificate
    CANNOT_RUN = "cannot_run"    # not attempted: the engine cannot take the model, or is missing

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)


#: The status values, in the order above.
STATUSES = tuple(s.value for s in Status)


@dataclass
class SolveStats:
    """What an adapter read from an engine. ``None`` means the engine did not say (unknown)."""

    status: Status
    objective: float | None = None     # the engine's incumbent objective
    bound: float | None = None         # best bound (an upper bound: we maximize)
    nodes: int | None = None
    time_s: float | None = None
    version: str | None = None
    message: str = ""
    has_solution: bool = False
    duals: dict[Any, float] | None = None   # row → dual, when asked for (LPs)

    def __post_init__(self) -> None:
        # A count or a time below 0 is an engine's "not reported" (HiGHS's −1 nodes), never a statistic.
        self.nodes = known_count(self.nodes)
        self.time_s = None if self.time_s is None or not self.time_s >= 0 else self.time_s


def known_count(value: int | None) -> int | None:
    """``value`` when it is a count (an integer ≥ 0), else None (an engine's sentinel for "not reported")."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def summed_count(total: int | None, value: int | None) -> int | None:
    """``total + value`` for counts summed over several solves; None (not known) once either is not known."""
    return None if total is None or known_count(value) is None else total + value  # type: ignore[operator]


def objective_gap(objective: float | None, bound: float | None) -> float | None:
    """The MMO gap, (bound − objective) / |objective| for a maximization, not clamped: negative when
    the bound lies below the objective (:mod:`mmo_pyomo.mix.certificate` decides what that means).

    This is the MIP gap the engines report (Gurobi's MIPGap, SCIP's limits/gap measure it
    against the incumbent). ``None`` when either value is unknown.
    """
    if objective is None or bound is None or not math.isfinite(bound) or not math.isfinite(objective):
        return None
    return (bound - objective) / max(abs(objective), 1e-300)


def bound_gap(value: float | None, bound: float | None) -> float | None:
    """The offers gap, (bound − value) / |bound|: the share of the bound the plan leaves on the table.

    Used by offer optimization, where the bound comes from a Lagrangian dual rather than an
    engine. ``None`` when either value is unknown or the bound is 0.
    """
    if value is None or bound is None or not math.isfinite(bound) or bound == 0:
        return None
    return max(0.0, bound - value) / abs(bound)
