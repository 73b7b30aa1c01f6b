"""The statistics every engine reports, in one shape."""
from __future__ import annotations

import math
from dataclasses import dataclass

#: The uniform status vocabulary.
STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "error")


@dataclass
class SolveStats:
    """What an adapter read from an engine. ``None`` means the engine did not say (unknown)."""

    status: str
    objective: float | None = None     # the engine's incumbent objective
    bound: float | None = None         # best bound (an upper bound: we maximize)
    nodes: int | None = None
    time_s: float | None = None
    version: str | None = None
    message: str = ""
    has_solution: bool = False


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """(bound − objective) / |objective| for a maximization, or None when either is unknown."""
    if objective is None or bound is None or not math.isfinite(bound):
        return None
    return max(0.0, bound - objective) / max(abs(objective), 1e-10)
