"""A chord start within a share of the time limit, and what starts the solve when its MILP finds no plan in time.

A start that runs out of time does not end the command (the chord MILP needs 61 s on the random retail case, and
more on a busy machine). In order:

1. the chord heuristic's plan (:func:`~mmo_pyomo.mix.chord.chord_start`), in ``start_time_limit`` s or
   :data:`START_SHARE` of the time limit;
2. the fewest-changes plan (:func:`~mmo_pyomo.mix.chord.fewest_changes`), in the same share of what is left, where
   it makes no more changes than K allows;
3. where a stage needs a start (the improvement, the fixing, the concurrent solve): the formulation's own first plan
   on the engine, in the same share of what is left; else no start (the engine then finds its own first plan).

Each fallback is a note in the result's message, in ``Prepared.notes`` and in the log.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from mmo_pyomo.errors import NoSolutionError
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.model_library import Formulation
from mmo_pyomo.solvers import deadline
from mmo_pyomo.solvers.options import SolveOptions

log = logging.getLogger(__name__)

#: The share of the time limit a start takes (its fallback without a limit: :data:`START_S`), where
#: ``start_time_limit`` is not given; a fallback start after a chord MILP out of time takes the same share of
#: what is left.
START_SHARE = 0.2
START_S = 60.0


def chord_or_fallback(prepared: Any, formulation: str | Formulation, solver: str, start_solver: str,
                      start_time_limit: float | None, options: SolveOptions, *, needs_start: bool,
                      say: Callable[[str, Any], None]) -> None:
    """Set ``prepared.start`` (a :class:`~mmo_pyomo.mix.pipeline.Prepared`) as the module docstring says, within
    ``options``'s deadline. Raises :class:`NoSolutionError` only when ``needs_start`` and no step found a plan."""
    from mmo_pyomo.mix.chord import NoStartFound, chord_start, fewest_changes
    work = prepared.instance
    rows = work.target is not None and work.target.adds_row    # the chord maximizes the revenue: its plan, of the
    plain = work.with_changes(target=None) if rows else work    # instance without the row, is a start
    fallback = START_S if start_time_limit is None else start_time_limit
    try:
        prepared.start_plan = chord_start(plain, milp_solver=start_solver, time_limit=start_time_limit,
                                          options=deadline.step(options, START_SHARE, fallback))
    except NoStartFound as exc:
        why = exc.cause
    else:
        prepared.start = prepared.start_plan.delta
        say("start", prepared.start_plan)
        return
    fewest = fewest_changes(plain, start_solver, options=deadline.step(options, START_SHARE, fallback))
    if fewest.delta is not None and fewest.n_changes is not None and fewest.n_changes <= plain.max_changes \
            and check_plan(work, work.baseline + fewest.delta).feasible:
        prepared.start = fewest.delta
        _note(prepared, f"{why}; the start is the fewest-changes plan instead ({fewest.n_changes} changes, revenue "
                        f"{fewest.revenue:,.2f}, in {fewest.time_s:.1f} s)")
        return
    if not needs_start:
        _note(prepared, f"{why}, nor did the fewest-changes MILP within K; the solve starts without a plan (the "
                        "engine finds its own first plan)")
        return
    from mmo_pyomo.mix.runner import solve
    first = solve(work, formulation, solver, deadline.step(options, START_SHARE, fallback), cross_check=False)
    if first.delta is None or not check_plan(work, work.baseline + first.delta).feasible:
        raise NoSolutionError(f"{why}, nor did the fewest-changes MILP within K, nor {first.formulation} on "
                              f"{first.solver} ({first.status})",
                              "raise --time-limit (the start takes a share of it), or give --start-plan PATH")
    prepared.start = first.delta
    _note(prepared, f"{why}, nor did the fewest-changes MILP within K; the start is {first.formulation}'s own first "
                    f"plan on {first.solver} (revenue {first.objective:,.2f}, {first.status})")


def _note(prepared: Any, text: str) -> None:
    prepared.notes.append(text)
    log.info("start: %s", text)
