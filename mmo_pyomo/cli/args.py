"""Option types and checks shared by the commands: numbers are range-checked where they enter,
and output locations are checked before any work starts."""
from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mmo_pyomo import ranges
from mmo_pyomo.errors import MMOError


def _argument(check: Callable[..., Any], *args: Any) -> Callable[[str], Any]:
    """An argparse type from a check of :mod:`mmo_pyomo.ranges` (argparse names the option)."""
    def parse(text: str) -> Any:
        try:
            return check(text, "", *args)
        except MMOError as exc:
            raise argparse.ArgumentTypeError(exc.cause) from None
    parse.__name__ = check.__name__
    return parse


#: A time limit: a finite number of seconds ≥ 0.
seconds = _argument(ranges.seconds)
#: A relative gap in [0, 1).
relative_gap = _argument(ranges.relative_gap)
#: A fraction in [0, 1] (δ as a share of the baseline, κ as a share of n).
fraction = _argument(ranges.fraction)
#: A whole number ≥ 1 (threads, steps, counts).
positive_int = _argument(ranges.whole, 1)
#: A whole number ≥ 0 (K).
non_negative_int = _argument(ranges.whole, 0)
#: A random seed: a whole number in [0, 2³¹ − 1].
seed = _argument(ranges.seed)
#: A thread count: a whole number in [1, 1024].
threads = _argument(ranges.threads)
#: Breakpoints of a piecewise-linear curve: a whole number ≥ 2 (one segment needs two).
breakpoint_count = _argument(ranges.whole, 2)
_finite = _argument(ranges.finite)


def risk(text: str) -> Any:
    """A risk measure ``mean`` or ``cvar:ALPHA`` (:func:`mmo_pyomo.instance.risk.parse_risk`)."""
    from mmo_pyomo.instance.risk import parse_risk
    try:
        return parse_risk(text)
    except MMOError as exc:
        raise argparse.ArgumentTypeError(f"{exc.cause}; {exc.fix}") from None


def target(text: str) -> Any:
    """A target ``kind:value`` (:func:`mmo_pyomo.instance.targets.parse_target`)."""
    from mmo_pyomo.instance.targets import parse_target
    try:
        return parse_target(text)
    except MMOError as exc:
        raise argparse.ArgumentTypeError(f"{exc.cause}; {exc.fix}") from None


def positive_seconds(text: str) -> float:
    """A time limit > 0 seconds."""
    value = seconds(text)
    if value == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a time limit must be > 0 seconds (give the seconds a step may take)")
    return value


def non_negative_float(text: str) -> float:
    """A finite number ≥ 0 (fractions and multiples)."""
    value = _finite(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: must be ≥ 0")
    return value


def _files_of(inputs: Iterable[str | Path | None]) -> dict[Path, str]:
    """Every input file, resolved through symlinks → the input it came from (a folder gives every file in it)."""
    out: dict[Path, str] = {}
    for item in inputs:
        if item is None:
            continue
        path = Path(item)
        if path.is_dir():
            for f in path.rglob("*"):
                out.setdefault(f.resolve(), str(item))
            out.setdefault(path.resolve(), str(item))
        else:
            out.setdefault(path.resolve(), str(item))
    return out


def check_outputs(*, inputs: Iterable[str | Path | None] = (), **paths: str | Path | Sequence[str | Path] | None) -> None:
    """Raise :class:`MMOError` for an output that cannot or must not be written, before any work starts.

    ``paths`` maps an option name (for the message) to the file or files it writes, or None. An output
    that is an input, or a file inside an input folder, is refused, symlinks resolved: a command never
    overwrites what it reads. So are two options naming one file, an output that is a folder, and an
    output in a folder that cannot be made or written.
    """
    given: list[tuple[str, Path]] = []
    for option, value in paths.items():
        if value is None:
            continue
        for item in ([value] if isinstance(value, (str, Path)) else list(value)):
            given.append((option, Path(item)))
    read = _files_of(inputs)
    seen: dict[Path, str] = {}
    for option, path in given:
        flag = "--" + option.replace("_", "-")
        target = path.resolve()
        if target in read:
            what = "is" if Path(read[target]).resolve() == target else "is a file of"
            raise MMOError(f"{flag} {path} {what} the input {read[target]}, which would be overwritten",
                           f"give {flag} a path outside the input")
        if target in seen and seen[target] != option:
            first = "--" + seen[target].replace("_", "-")
            raise MMOError(f"{first} and {flag} both name {path}, so one would overwrite the other",
                           f"give {flag} another file name")
        seen[target] = option
        if path.is_dir():
            raise MMOError(f"{flag} {path} is a folder, not a file", f"give {flag} a file name")
        if path.exists() and not path.is_file():
            continue                                 # /dev/stdout and the like: written in place (io_utils)
        parent = target.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise MMOError(f"{flag} {path}: '{parent}' is a file, so no folder can be made there",
                           f"give {flag} a path in a folder")
        if not os.access(parent, os.W_OK):
            raise MMOError(f"{flag} {path}: '{parent}' is not writable", f"give {flag} a path you can write to")
