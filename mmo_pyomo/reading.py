"""The one reader of users' tables: nothing in a header, a settings file or a key column is ignored.

Every CSV table, settings file and JSON object the package reads (MMO instances, response curves,
offer campaigns) goes through these checks (JSON files through :func:`read_json_object`; a file that may come
in two formats through :func:`one_format`), so that a misspelled column (``budget_lowr``), a repeated
one, or a repeated row is an error naming the file, the name and the closest known name, instead of
a default silently taking its place.
"""
from __future__ import annotations

import csv
import difflib
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mmo_pyomo.errors import DataError


def closest(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known name closest to ``name``, or ``""``."""
    match = difflib.get_close_matches(str(name), [str(k) for k in known], n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def check_names(names: Sequence[str], known: Sequence[str], where: str, what: str = "column",
                required: Sequence[str] = ()) -> None:
    """Refuse a repeated, unknown or missing name (``what``: column, setting, key …) of ``where``."""
    counts = Counter(str(n) for n in names)
    repeated = [n for n, c in counts.items() if c > 1]
    if repeated:
        raise DataError(f"{where} gives the {what} '{repeated[0]}' more than once", f"keep one {what} '{repeated[0]}'")
    unknown = [str(n) for n in names if str(n) not in set(known)]
    if unknown:
        raise DataError(f"{where} has an unknown {what} '{unknown[0]}'{closest(unknown[0], known)}",
                        f"rename or remove it; the {what}s are {', '.join(known)}")
    missing = [r for r in required if r not in counts]
    if missing:
        raise DataError(f"{where} has no {what} '{missing[0]}'", f"add it; {where} needs {', '.join(required)}")


def header_of(path: Path) -> list[str]:
    """The header row of a CSV file as written (pandas renames a repeated column 'a' to 'a.1')."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:    # a byte-order mark is not a name
            return next(csv.reader(fh), [])
    except UnicodeDecodeError:
        raise DataError(f"cannot read '{path}': it is not a text file", "write it as comma-separated text") from None


def read_table(path: Path, columns: Sequence[str], required: Sequence[str] = (), key: Sequence[str] = ()) -> pd.DataFrame:
    """A CSV table with every cell as written (names stay strings: '007' stays '007').

    Its header must hold only ``columns`` (each once) and every one of ``required``; no two rows may
    share the values of the ``key`` columns.
    """
    path = Path(path)
    header = header_of(path)
    check_names(header, columns, f"'{path}'", "column", required)
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:    # a byte-order mark is not a name
            rows = list(csv.reader(fh))[1:]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"cannot read '{path}': {exc}", "write it as comma-separated values with a header row") from None
    rows = [r for r in rows if r]                                   # blank lines carry nothing
    for k, r in enumerate(rows):
        if len(r) != len(header):
            raise DataError(f"'{path}', row {k + 2} has {len(r)} field(s) and the header {len(header)}",
                            "give every row one value per column (an empty cell is an empty field)")
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    check_unique_rows(frame, key, f"'{path}'")
    return frame


def check_unique_rows(frame: pd.DataFrame, key: Sequence[str], where: str) -> None:
    """Refuse two rows with the same values in the ``key`` columns (the row numbers are the file's)."""
    if not key or not len(frame) or any(k not in frame.columns for k in key):
        return
    repeated = frame.duplicated(subset=list(key), keep=False)
    if repeated.any():
        rows = [int(r) + 2 for r in frame.index[repeated][:2]]        # +2: the header and 1-based lines
        shown = ", ".join(f"{k} '{frame.loc[frame.index[repeated][0], k]}'" for k in key)
        raise DataError(f"{where}, rows {rows[0]} and {rows[1]}, give {shown} twice", "keep one row for it")


def check_keys(keys: Sequence[str], known: Sequence[str], where: str, required: Sequence[str] = ()) -> None:
    """Refuse a repeated, unknown or missing setting of a settings file or JSON object."""
    check_names(keys, known, where, "setting", required)


# --------------------------------------------------------------------------- JSON objects
def _unique_pairs(where: str):
    """A ``json`` ``object_pairs_hook`` that refuses a key given twice in one object (at any depth)."""
    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise DataError(f"{where} gives the key '{key}' more than once (the last value would win silently)",
                                f"keep one '{key}'")
            seen.add(key)
        return dict(pairs)
    return hook


def _no_constant(where: str):
    """A ``json`` ``parse_constant`` that refuses NaN and Infinity, which strict JSON has not."""
    def hook(token: str) -> object:
        raise DataError(f"{where} holds {token}, not a finite number (strict JSON has no {token})",
                        "write a finite number, or leave the key out")
    return hook


def read_json_object(path: Path, example: str) -> dict:
    """The JSON object of the file ``path`` (:func:`read_json`'s rules), and an object: ``example`` (an object as
    text) is shown in the fix of a file that is not one."""
    fix = f"write an object such as {example}"
    raw = read_json(path, "", fix)
    if not isinstance(raw, dict):
        raise DataError(f"'{path}' holds a {_json_kind(raw)}, not an object", fix)
    return raw


def one_format(folder: Path, stem: str, suffixes: Sequence[str] = (".parquet", ".csv")) -> Path | None:
    """The one file of ``folder`` named ``stem`` with one of ``suffixes`` (None: none). Two of them (a stale one
    beside a new one, say) are an error naming both: which one is meant is unknown."""
    found = [Path(folder) / f"{stem}{s}" for s in suffixes if (Path(folder) / f"{stem}{s}").is_file()]
    if len(found) > 1:
        newer, older = sorted(found, key=lambda p: p.stat().st_mtime, reverse=True)[:2]
        raise DataError(f"'{folder}' holds both {found[0].name} and {found[1].name} ({newer.name} is the newer), so "
                        f"which one to read is unknown", f"remove the one that is stale (perhaps '{older}')")
    return found[0] if found else None


def read_json(path: str | Path, what: str, fix: str) -> Any:
    """The JSON of a user's file: strict JSON (no NaN or Infinity), every object with each key once, a byte-order
    mark read as nothing; a missing, unreadable or invalid file is the project's error naming ``what`` (e.g. "the
    PyMC-Marketing export") with ``fix``."""
    path = Path(path)
    where = f"{what} '{path}'".lstrip()
    if not path.is_file():
        raise DataError(f"{where} does not exist", fix)
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"), object_pairs_hook=_unique_pairs(where),
                          parse_constant=_no_constant(where))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"{where} is not valid JSON ({exc})", fix) from None
    except RecursionError:
        raise DataError(f"{where} is nested too deeply", fix) from None


@dataclass(frozen=True)
class Field:
    """What one key of a JSON object holds: ``kind`` is ``bool`` (a JSON true or false), ``whole`` (a whole number
    ≥ ``minimum``), ``number`` (a finite number ≥ ``minimum``), ``text`` (a string, one of ``choices`` if given) or
    ``any`` (checked by its reader). ``default`` is the value of a key left out (``required``: it may not be)."""

    kind: str
    required: bool = False
    default: Any = None
    minimum: float | None = None
    choices: tuple[str, ...] = ()


def read_object(value: Any, fields: Mapping[str, Field], where: str, fix: str) -> dict[str, Any]:
    """A JSON object checked against ``fields``: no unknown key (the closest known name is named), every required
    key, each value of its kind; keys left out get their default. ``where`` names the object in messages."""
    if not isinstance(value, Mapping):
        raise DataError(f"{where} is a {_json_kind(value)}, not an object", fix)
    check_names([str(k) for k in value], list(fields), where, "key", [k for k, f in fields.items() if f.required])
    out = {k: f.default for k, f in fields.items()}
    for key, v in value.items():
        out[key] = _checked(v, fields[key], f"{where} '{key}'", fix)
    return out


def _json_kind(v: Any) -> str:
    """The JSON name of a value's type, for messages."""
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    return {int: "number", float: "number", str: "string", list: "list", dict: "object"}.get(type(v), type(v).__name__)


def _checked(v: Any, field: Field, where: str, fix: str) -> Any:
    """``v`` if it is of ``field``'s kind, else the project's error naming the value and what it must be."""
    is_number = isinstance(v, (int, float)) and not isinstance(v, bool)
    if field.kind == "bool":
        if not isinstance(v, bool):
            raise DataError(f"{where} is {json.dumps(v)}, not true or false", f"write it as a bare true or false; {fix}")
        return v
    if field.kind in ("whole", "number"):
        whole = field.kind == "whole"
        if not is_number or not math.isfinite(v) or (whole and not float(v).is_integer()):
            need = "a whole number" if whole else "a finite number"
            raise DataError(f"{where} is {json.dumps(v)}, not {need}", f"write it as a bare number; {fix}")
        if field.minimum is not None and v < field.minimum:
            raise DataError(f"{where} is {json.dumps(v)}, below {field.minimum:g}", f"give a value ≥ {field.minimum:g}; {fix}")
        return int(v) if whole else float(v)
    if field.kind == "text":
        if not isinstance(v, str) or (field.choices and v not in field.choices):
            known = f"one of {', '.join(field.choices)}" if field.choices else "a string"
            raise DataError(f"{where} is {json.dumps(v)}, not {known}{closest(str(v), field.choices)}", fix)
        return v
    return v
