"""The user's time limit, shared by every step of a command.

A command's ``--time-limit`` (``SolveOptions.time_limit``) starts a clock: :func:`started` stamps the options with
the moment every step must end by (``SolveOptions.deadline``, on :func:`time.monotonic`'s clock), and every engine
solve (:func:`~mmo_pyomo.solvers.solve_model.solve_model`) is cut to what is left of it. An internal step (a start,
a round, a cross-check) takes a *share* of what is left (:func:`share`), never a fixed number of seconds; without a
user limit it takes its own fallback.
"""
from __future__ import annotations

import time

from mmo_pyomo.solvers.options import SolveOptions

#: Seconds a step gets at least, where the user's limit is spent (a cross-check of a plan already found, a
#: fallback start): enough for a small model, so that the step runs at all, and little against any limit.
MIN_STEP_S = 1.0


def started(options: SolveOptions) -> SolveOptions:
    """``options`` with its clock started: the deadline is now + ``time_limit`` (or the earlier deadline it has)."""
    if options.time_limit is None:
        return options
    at = time.monotonic() + options.time_limit
    if options.deadline is not None and options.deadline <= at:
        return options
    return options.with_changes(deadline=at)


def left(options: SolveOptions) -> float | None:
    """Seconds left before the deadline (0 once it has passed), or None without one."""
    if options.deadline is None:
        return None
    return max(options.deadline - time.monotonic(), 0.0)


def engine_limit(options: SolveOptions) -> float | None:
    """The time limit an engine starts with: ``time_limit``, cut to what is left of the deadline."""
    rest = left(options)
    if rest is None:
        return options.time_limit
    return rest if options.time_limit is None else min(options.time_limit, rest)


def share(options: SolveOptions, fraction: float, fallback: float | None, floor: float = MIN_STEP_S) -> float | None:
    """A step's time limit: ``fraction`` of what is left of the deadline, at least ``floor`` s; ``fallback`` without a
    deadline (None: no limit)."""
    rest = left(options)
    if rest is None:
        return fallback
    return max(fraction * rest, floor) if fallback is None else min(max(fraction * rest, floor), max(fallback, floor))


def step(options: SolveOptions, fraction: float, fallback: float | None, floor: float = MIN_STEP_S) -> SolveOptions:
    """The options of a helper step (on an engine of its own) that takes :func:`share` of what is left of
    ``options``'s deadline: its time limit, a deadline that ends it there (the floor may run past the user's
    deadline, by at most ``floor``), and ``options``'s threads; not its gap, log or native options, which are the
    main solve's."""
    limit = share(options, fraction, fallback, floor)
    return SolveOptions(time_limit=limit, threads=options.threads,
                        deadline=None if limit is None else time.monotonic() + limit)
