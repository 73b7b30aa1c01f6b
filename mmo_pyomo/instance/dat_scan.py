"""A light scan of a `.dat` file's own text, beside Pyomo's parser.

Pyomo's DataPortal reads names that look like numbers as numbers ('007' becomes 7, '1e3' becomes
1000.0) and lets a repeated row or statement silently win. This scan reads the statements as
written, so that the loader can (1) refuse repeated statements and rows and (2) give every set
member back its name exactly as written.
"""
from __future__ import annotations

import re
from collections import Counter

from mmo_pyomo.errors import DataError

_COMMENT = re.compile(r"#[^\n]*")


def statements(text: str) -> list[list[str]]:
    """The file's statements as token lists (comments dropped, split at ';')."""
    body = _COMMENT.sub("", text)
    return [s.split() for s in body.split(";") if s.split()]


def _repeated(items: list, what: str, where: str) -> None:
    counts = Counter(items)
    dup = [k for k, c in counts.items() if c > 1]
    if dup:
        shown = dup[0] if not isinstance(dup[0], tuple) else ", ".join(dup[0])
        raise DataError(f"{where}: {what} '{shown}' is given more than once", f"give each {what} once")


def check_and_names(text: str, where: str) -> dict[str, list[str]]:
    """Refuse repeated statements, set members and param rows; return each set's members as written."""
    sets: dict[str, list[str]] = {}
    scalars: list[str] = []
    for tokens in statements(text):
        if ":=" not in tokens:
            continue
        head, values = tokens[: tokens.index(":=")], tokens[tokens.index(":=") + 1:]
        if any(q in t for t in tokens for q in "'\""):            # quoted names: Pyomo's parser alone decides
            continue
        if head[:1] == ["set"] and len(head) == 2:
            _repeated([head[1]] + list(sets), "set", where)
            _repeated(values, f"member of {head[1]}", where)
            sets[head[1]] = values
        elif head[:2] == ["param", ":"]:                       # a table: index then one value per column
            cols = len(head) - 2
            width = 2 if "curve_spend" in head else 1             # table points: (activity, point)
            if cols > 0 and len(values) % (cols + width) == 0:
                keys = list(zip(*(values[k:: cols + width] for k in range(width))))
                _repeated([k[0] if width == 1 else k for k in keys],
                          "row of the param table for activity" + ("" if width == 1 else ", point"), where)
        elif head[:1] == ["param"] and len(head) == 2:
            name = head[1]
            scalars.append(name)
            if name == "rule_coef" and len(values) % 3 == 0:
                _repeated(list(zip(values[::3], values[1::3])), "rule_coef entry", where)
            elif name in ("rule_lower", "rule_upper") and len(values) % 2 == 0:
                _repeated(values[::2], f"{name} entry for rule", where)
    _repeated(scalars, "param statement", where)
    return sets
