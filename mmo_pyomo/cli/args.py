"""Option types and checks shared by the commands: numbers are range-checked where they enter,
and output locations are checked before any work starts."""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmo_pyomo import checks
from mmo_pyomo.errors import MMOError


def _argument(check: Callable[..., Any], *args: Any) -> Callable[[str], Any]:
    """An argparse type from a check of :mod:`mmo_pyomo.checks` (argparse names the option)."""
    def parse(text: str) -> Any:
        try:
            return check(text, "", *args)
        except MMOError as exc:
            raise argparse.ArgumentTypeError(exc.cause) from None
    parse.__name__ = check.__name__
    return parse


#: A time limit: a finite number of seconds ≥ 0.
seconds = _argument(checks.seconds)
#: A relative gap in [0, 1).
relative_gap = _argument(checks.relative_gap)
#: A fraction in [0, 1] (δ as a share of the baseline, κ as a share of n).
fraction = _argument(checks.fraction)
#: A whole number ≥ 1 (threads, steps, counts).
positive_int = _argument(checks.whole, 1)
#: A whole number ≥ 0 (K).
non_negative_int = _argument(checks.whole, 0)
#: A random seed: a whole number ≥ 0.
seed = _argument(checks.whole, 0)
#: Breakpoints of a piecewise-linear curve: a whole number ≥ 2 (one segment needs two).
breakpoint_count = _argument(checks.whole, 2)
_finite = _argument(checks.finite)


def positive_seconds(text: str) -> float:
    """A time limit > 0 seconds."""
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a time limit > 0 seconds")
    return value


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (fractions and multiples)."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be ≥ 0")
    return value


def check_outputs(**paths: str | None) -> None:
    """Raise :class:`MMOError` for an output that cannot be written, before any work starts.

    ``paths`` maps an option name (for the message) to a file path or None.
    """
    given = {option: Path(value).resolve() for option, value in paths.items() if value is not None}
    seen: dict[Path, str] = {}
    for option, path in given.items():
        if path in seen:
            first, second = ("--" + o.replace("_", "-") for o in (seen[path], option))
            raise MMOError(f"{first} and {second} both name {paths[option]}, so one would overwrite the other",
                           f"give {second} another file name")
        seen[path] = option
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
