"""Range checks for the numbers a user passes: one place for the command line and the Python API.

Each check returns the value (as ``float`` or ``int``) or raises :class:`MMOError` whose cause
names the option and whose fix says what is allowed. ``None`` passes through where the
option is optional.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from numbers import Integral, Real
from typing import Any, TypeVar

from mmo_pyomo.errors import MMOError

T = TypeVar("T")


def _label(what: str, value: object) -> str:
    """'the gap = 2' in the API; just '2' on the command line, where argparse names the option."""
    return f"{what} = {value!r}" if what else repr(value)


def finite(value: object, what: str) -> float:
    """A finite real number (not a string, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, (Real, str)):
        raise MMOError(f"{_label(what, value)} is not a number", f"give {what} a number")
    try:
        x = float(value)
    except ValueError:
        raise MMOError(f"{_label(what, value)} is not a number", f"give {what} a number") from None
    if not math.isfinite(x):
        raise MMOError(f"{_label(what, value)} is not a finite number", f"give {what} a finite number")
    return x


#: The longest time limit taken (about 31 years): SCIP refuses a time limit above 1e20 s, and no solve runs longer.
MAX_SECONDS = 1e9

#: The largest seed taken: every engine's seed is a 32-bit signed integer.
MAX_SEED = 2**31 - 1

#: The most threads taken (Gurobi's own limit).
MAX_THREADS = 1024


def seconds(value: object, what: str = "the time limit") -> float:
    """A time limit: a finite number of seconds in [0, :data:`MAX_SECONDS`]."""
    x = finite(value, what)
    if x < 0:
        raise MMOError(f"{_label(what, value)}: a time limit must be ≥ 0 seconds", f"give {what} in seconds, ≥ 0")
    if x > MAX_SECONDS:
        raise MMOError(f"{_label(what, value)}: a time limit must be at most {MAX_SECONDS:g} seconds (about 31 years)",
                       f"give {what} in seconds, at most {MAX_SECONDS:g}")
    return x


def relative_gap(value: object, what: str = "the gap") -> float:
    """A relative gap in [0, 1)."""
    x = finite(value, what)
    if not 0 <= x < 1:
        raise MMOError(f"{_label(what, value)}: a relative gap must lie in [0, 1) (1e-4 is 0.01%)",
                       f"give {what} as a fraction, e.g. 1e-4")
    return x


def fraction(value: object, what: str) -> float:
    """A fraction in [0, 1]."""
    x = finite(value, what)
    if not 0 <= x <= 1:
        raise MMOError(f"{_label(what, value)}: a fraction must lie in [0, 1] (0.1 is 10%)", f"give {what} in [0, 1]")
    return x


def whole(value: object, what: str, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number ≥ ``minimum`` (and ≤ ``maximum``): threads, steps, counts, seeds; a string of digits is read."""
    given = value
    if isinstance(value, str):
        try:
            value = int(value)
        except ValueError:
            raise MMOError(f"{_label(what, given)} is not a whole number", f"give {what} a whole number") from None
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise MMOError(f"{_label(what, given)} is not a whole number", f"give {what} a whole number ≥ {minimum}")
    if value < minimum:
        raise MMOError(f"{_label(what, given)}: must be a whole number ≥ {minimum}",
                       f"give {what} a whole number ≥ {minimum}")
    if maximum is not None and int(value) > maximum:
        raise MMOError(f"{_label(what, given)}: must be a whole number ≤ {maximum:,}",
                       f"give {what} a whole number from {minimum} to {maximum:,}")
    return int(value)


def seed(value: object, what: str = "seed") -> int:
    """A random seed: a whole number in [0, :data:`MAX_SEED`] (every engine takes a 32-bit seed)."""
    return whole(value, what, 0, MAX_SEED)


def threads(value: object, what: str = "threads") -> int:
    """A thread count: a whole number in [1, :data:`MAX_THREADS`]."""
    return whole(value, what, 1, MAX_THREADS)


def optional(check: Callable[..., T], value: object, *args: Any, **kwargs: Any) -> T | None:
    """``check(value, ...)``, or None for None."""
    return None if value is None else check(value, *args, **kwargs)
