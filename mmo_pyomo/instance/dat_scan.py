"""A light scan of a `.dat` file's own text, beside Pyomo's parser.

Pyomo's DataPortal reads names that look like numbers as numbers ('007' becomes 7, '1e3' becomes
1000.0), lets a repeated row or a second statement for the same parameter silently win, and reports
a misspelled parameter as a missing attribute. This scan reads the statements as written, so that
the loader can (1) refuse unknown sets and parameters, naming the closest known name, (2) refuse any
value given twice, in whatever form (a scalar, a list, a table of several parameters, a matrix), and
(3) give every set member back its name exactly as written, (4) refuse what Pyomo's tokenizer would
report in its own words: an unquoted name it cannot read (``télé``), and two unquoted members it
reads as one number (``1`` and ``1.0``), each with the fix (quote the name).
"""
from __future__ import annotations

import re
from collections import Counter

from mmo_pyomo.errors import DataError
from mmo_pyomo.reading import closest

#: One token of the text: a quoted name (a quote doubled inside), a comment, ';', or a run of other characters.
_TOKEN = re.compile(r'"(?:[^"]|"")*"|\'(?:[^\']|\'\')*\'|#[^\n]*|;|[^\s"\';#]+')

#: What Pyomo's tokenizer reads unquoted (its STRING token, and the punctuation of the format).
_PLAIN = re.compile(r"[A-Za-z0-9_.+\-\\/,:;=()\[\]{}*]+")

#: What Pyomo reads as one unquoted name (its STRING token): a name with other characters must be quoted.
_NAME = re.compile(r"[A-Za-z0-9_.+\-\\/]+")

#: A token that Pyomo reads as a number (its NUM_VAL token): '1', '1.0' and '1e0' are the same member to it.
NUMBER = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")

#: The sets of the format.
SETS = ("ACTIVITIES", "RULES")

#: Every parameter of the format, with the number of indices of one value (0: a single value).
PARAMS: dict[str, int] = {
    **dict.fromkeys(("baseline", "lower", "upper", "min_change", "quad", "lin", "const"), 1),
    "budget_lower": 0, "budget_upper": 0, "max_changes": 0,
    "rule_coef": 2, "rule_lower": 1, "rule_upper": 1,
    **dict.fromkeys(("curve_family", "curve_beta", "curve_k", "curve_s", "curve_lam"), 1),
    "curve_spend": 2, "curve_response": 2,
    **dict.fromkeys(("curve_draw_beta", "curve_draw_k", "curve_draw_s", "curve_draw_lam"), 2),
}


def statements(text: str) -> list[list[str]]:
    """The file's statements as token lists (comments dropped, split at ';'; a quoted name is one token)."""
    out: list[list[str]] = [[]]
    for token in _TOKEN.findall(text):
        if token == ";":
            out.append([])
        elif not token.startswith("#"):
            out[-1].append(token)
    return [s for s in out if s]


def _quoted(token: str) -> bool:
    return token[:1] in "'\"" and len(token) > 1


def unquoted(token: str) -> str:
    """A name as Pyomo reads it: a quoted name without its quotes (a doubled quote inside is one)."""
    if _quoted(token) and token[-1] == token[0]:
        return token[1:-1].replace(token[0] * 2, token[0])
    return token


def _check_plain(text: str, where: str) -> None:
    """Refuse an unquoted name with a character Pyomo's tokenizer cannot read (``télé``), naming line and name."""
    for token in _TOKEN.finditer(text):
        name = token.group()
        if not name.startswith("#") and not _quoted(name) and not _PLAIN.fullmatch(name):
            _refuse_unquoted(name, f"{where}, line {text.count(chr(10), 0, token.start()) + 1}")


def _refuse_unquoted(name: str, where: str) -> None:
    raise DataError(f"{where}: the name {name!r} is not quoted, and Pyomo's .dat parser reads only ASCII letters, "
                    "digits and _ . + - in an unquoted name", f"quote it, \"{name}\", in every statement that names it")


def _same_numbers(members: list[str], what: str, where: str) -> None:
    """Refuse two unquoted members that Pyomo reads as one number ('1' and '1.0', '007' and '7')."""
    seen: dict[float, str] = {}
    for token in members:
        if _quoted(token) or not NUMBER.fullmatch(token):
            continue
        value = float(token)
        if value in seen and seen[value] != token:
            raise DataError(f"{where}: the {what} '{seen[value]}' and '{token}' are the same number to Pyomo "
                            "(it reads unquoted names that look like numbers as numbers)",
                            f"quote them (\"{seen[value]}\" and \"{token}\") in every statement that names them, "
                            "or rename one")
        seen[value] = token


def _repeated(items: list, what: str, where: str) -> None:
    counts = Counter(items)
    dup = [k for k, c in counts.items() if c > 1]
    if dup:
        shown = dup[0] if not isinstance(dup[0], tuple) else ", ".join(map(str, dup[0]))
        raise DataError(f"{where}: {what} '{shown}' is given more than once", f"give each {what} once")


def _known(name: str, known: tuple[str, ...] | dict[str, int], what: str, where: str) -> None:
    if name not in known:
        raise DataError(f"{where}: unknown {what} '{name}'{closest(name, known)}",
                        f"the {what}s of the format are {', '.join(known)} (see data/example.dat)")


def _values(head: list[str], values: list[str]) -> list[tuple[str, tuple[str, ...]]]:
    """(parameter, index) of every value a param statement gives, as written."""
    out: list[tuple[str, tuple[str, ...]]] = []
    if head[1] == ":":                                          # param : p1 p2 ... := rows of index, values
        names = head[2:]
        width = max((PARAMS.get(n, 1) for n in names), default=1)
        step = width + len(names)
        if names and len(values) % step == 0:
            for r in range(0, len(values), step):
                index = tuple(values[r:r + width])
                out += [(n, index) for n, v in zip(names, values[r + width:r + step]) if v != "."]
    elif len(head) > 2 and head[2] == ":":                      # param name : c1 c2 ... := a matrix
        name, cols = head[1], head[3:]
        step = 1 + len(cols)
        if cols and len(values) % step == 0:
            for r in range(0, len(values), step):
                out += [(name, (values[r], c)) for c, v in zip(cols, values[r + 1:r + step]) if v != "."]
    elif len(head) == 2:                                        # param name := index value ... (or one value)
        name, width = head[1], PARAMS.get(head[1], 1)
        if width == 0:
            out.append((name, ()))
        elif len(values) % (width + 1) == 0:
            out += [(name, tuple(values[r:r + width])) for r in range(0, len(values), width + 1)]
    return out


def check_and_names(text: str, where: str) -> dict[str, list[str]]:
    """Refuse unknown names and any set, member or value given twice; return each set's members as written."""
    _check_plain(text, where)
    sets: dict[str, list[str]] = {}
    given: list[tuple[str, tuple[str, ...]]] = []
    for tokens in statements(text):
        if ":=" not in tokens:
            continue
        head, values = tokens[: tokens.index(":=")], tokens[tokens.index(":=") + 1:]
        if head[:1] == ["set"] and len(head) == 2:
            _known(head[1], SETS, "set", where)
            _repeated([head[1]] + list(sets), "set", where)
            for member in values:
                if not _quoted(member) and not _NAME.fullmatch(member):       # ':' or '(' in a name is syntax
                    _refuse_unquoted(member, f"{where}, set {head[1]}")
            _same_numbers(values, f"members of {head[1]}", where)
            sets[head[1]] = [unquoted(v) for v in values]
            _repeated(sets[head[1]], f"member of {head[1]}", where)
        elif head[:1] == ["param"] and len(head) >= 2:
            for name in (head[2:] if head[1] == ":" else head[1:2]):
                if name != ":":
                    _known(name, PARAMS, "param", where)
            given += _values(head, [unquoted(v) for v in values])
    counts = Counter(given)
    twice = [k for k, c in counts.items() if c > 1]
    if twice:
        name, index = twice[0]
        at = f"[{', '.join(index)}]" if index else ""
        raise DataError(f"{where}: {name}{at} is given more than once (a repeated row, or a second statement for it); "
                        "the last value would silently win", f"give {name}{at} once")
    return sets
