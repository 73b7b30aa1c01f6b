"""Option types and checks shared by the commands: numbers are range-checked where they enter,
and output locations are checked before any work starts."""
from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

from mmo_pyomo.errors import MMOError


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _non_negative(text: str, what: str) -> float:
    value = _number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: {what}")
    return value


def seconds(text: str) -> float:
    """A time limit: a finite number of seconds ≥ 0."""
    return _non_negative(text, "a time limit must be ≥ 0 seconds")


def positive_seconds(text: str) -> float:
    """A time limit > 0 seconds."""
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a time limit > 0 seconds")
    return value


def relative_gap(text: str) -> float:
    """A relative gap in [0, 1)."""
    value = _number(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a relative gap must lie in [0, 1) (1e-4 is 0.01%)")
    return value


def fraction(text: str) -> float:
    """A fraction in [0, 1] (δ as a share of the baseline, κ as a share of n)."""
    value = _number(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a fraction must lie in [0, 1] (0.1 is 10%)")
    return value


def _whole(text: str, minimum: int, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"{text!r}: {what} must be a whole number ≥ {minimum}")
    return value


def positive_int(text: str) -> int:
    """A whole number ≥ 1 (threads, steps, counts)."""
    return _whole(text, 1, "a count")


def breakpoint_count(text: str) -> int:
    """Breakpoints of a piecewise-linear curve: a whole number ≥ 2 (one segment needs two)."""
    return _whole(text, 2, "a number of breakpoints")


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (fractions and multiples)."""
    return _non_negative(text, "must be ≥ 0")


def non_negative_int(text: str) -> int:
    """A whole number ≥ 0 (K)."""
    return _whole(text, 0, "a count")


def seed(text: str) -> int:
    """A random seed: a whole number ≥ 0."""
    return _whole(text, 0, "a seed")


def check_outputs(**paths: str | None) -> None:
    """Raise :class:`MMOError` for an output that cannot be written, before any work starts.

    ``paths`` maps an option name (for the message) to a file path or None.
    """
    for option, value in paths.items():
        if value is None:
            continue
        path = Path(value)
        flag = "--" + option.replace("_", "-")
        if path.is_dir():
            raise MMOError(f"{flag} {value} is a folder, not a file", f"give {flag} a file name")
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise MMOError(f"{flag} {value}: '{parent}' is a file, so no folder can be made there",
                           f"give {flag} a path in a folder")
        if not os.access(parent, os.W_OK):
            raise MMOError(f"{flag} {value}: '{parent}' is not writable", f"give {flag} a path you can write to")
