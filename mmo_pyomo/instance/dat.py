"""Reading and writing the `.dat` format (Pyomo's DataPortal), shared by every formulation."""
from __future__ import annotations

import locale
import math
import re
import tempfile
from pathlib import Path
from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.dat_scan import check_and_names
from mmo_pyomo.instance.pyomo_schema import declare_data, instance_from_raw
from mmo_pyomo.instance.schema import ACTIVITY_FIELDS, Instance
from mmo_pyomo.io_utils import atomic_write_text


def read_dat(path: str | Path) -> Instance:
    """Load a `.dat` file into an :class:`Instance` (not yet validated: see :func:`validate`)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"data file '{path}' does not exist", "pass the path of a .dat file or a CSV folder")
    skeleton = pyo.AbstractModel()
    declare_data(skeleton)
    if path.stat().st_size == 0:
        raise DataError(f"'{path}' is empty", "write the instance in it (see data/example.dat)")
    try:
        text = path.read_text(encoding="utf-8-sig")                # a byte-order mark is not part of the text
    except UnicodeDecodeError:
        raise DataError(f"'{path}' is not a UTF-8 text file", "pass a .dat text file, saved as UTF-8") from None
    written = check_and_names(text, str(path))                      # repeated rows and statements refused
    portal = pyo.DataPortal(model=skeleton)
    try:
        with tempfile.TemporaryDirectory() as tmp:                  # Pyomo reads a file: the text as decoded here
            copy = Path(tmp) / "instance.dat"
            copy.write_text(text, encoding=locale.getpreferredencoding(False), errors="replace")
            _restart_line_count()
            portal.load(filename=str(copy))
        raw = _names_as_written(portal.data(), written)
    except DataError:
        raise
    except Exception as exc:  # the .dat parser raises bare exceptions with its own wording
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot parse '{path}': {text}",
                        "check the .dat syntax (every statement ends with ';'); see data/example.dat") \
            from None
    try:
        return instance_from_raw(raw, name=path.stem)
    except DataError as exc:
        raise DataError(f"'{path}': {exc.cause}", exc.fix) from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:   # a statement of the wrong shape
        raise DataError(f"'{path}': a set or param statement has the wrong shape ({type(exc).__name__}: {exc})",
                        "compare each statement with data/example.dat") from None


def _restart_line_count() -> None:
    """Pyomo's .dat lexer counts lines on from one file to the next in a process: start it at line 1, so that the
    line its syntax errors name is the file's."""
    from pyomo.dataportal import parse_datacmds
    lexer = getattr(parse_datacmds, "dat_lexer", None)
    if lexer is not None and hasattr(lexer, "lineno"):
        lexer.lineno = 1


def _names_as_written(raw: dict[str, Any], written: dict[str, list[str]]) -> dict[str, Any]:
    """Give set members back their names as written ('007', not 7) everywhere they appear."""
    rename: dict[Any, str] = {}
    for set_name in ("ACTIVITIES", "RULES"):
        parsed = (raw.get(set_name) or {}).get(None)
        text = written.get(set_name)
        if parsed is None or text is None or len(parsed) != len(text):
            continue
        for value, name in zip(parsed, text):
            if str(value) != name:
                if value in rename and rename[value] != name:     # '007' and '7' both parse to 7
                    raise DataError(f"{set_name} members '{rename[value]}' and '{name}' are the same number to Pyomo",
                                    "give the members names that are not the same number")
                rename[value] = name
    if not rename:
        return raw

    def fix(key: Any) -> Any:
        if isinstance(key, tuple):
            return tuple(rename.get(k, k) for k in key)
        return rename.get(key, key)
    out: dict[str, Any] = {}
    for name, values in raw.items():
        if name in ("ACTIVITIES", "RULES"):
            out[name] = {None: [rename.get(v, v) for v in values.get(None, [])]}
        elif isinstance(values, dict):
            out[name] = {fix(k): v for k, v in values.items()}
        else:
            out[name] = values
    return out


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_.+\-]*")


def dat_name(name: str) -> str:
    """A name as the `.dat` text writes it: as it is where Pyomo reads it back as the same name, else quoted
    (a name with other characters, or one that Pyomo would read as a number)."""
    return name if _WORD.fullmatch(name) else '"' + name.replace('"', '""') + '"'


def _fmt(v: float) -> str:
    return repr(float(v)) if not float(v).is_integer() else str(int(v)) if abs(v) < 1e15 else repr(float(v))


def dat_text(inst: Instance) -> str:
    """The `.dat` text of an instance (exactly the names of docs/mathematics.md §1)."""
    lines = [f"# mmo-pyomo instance '{inst.name}': {inst.n} activities, {len(inst.rules)} rules", ""]
    lines.append("set ACTIVITIES := " + " ".join(map(dat_name, inst.activities)) + " ;")
    lines.append("set RULES := " + " ".join(map(dat_name, inst.rules)) + " ;")
    lines.append("")
    fields = ACTIVITY_FIELDS if inst.curves is None else ACTIVITY_FIELDS[:4]   # curves replace quad, lin, const
    lines.append("param : " + " ".join(fields) + " :=")
    cols = [getattr(inst, f) for f in fields]
    for k, a in enumerate(inst.activities):
        lines.append(dat_name(a) + " " + " ".join(_fmt(c[k]) for c in cols))
    lines.append(";")
    if inst.curves is not None:
        lines.extend(_curve_lines(inst))
    lines.append("")
    if inst.budget_lower:
        lines.append(f"param budget_lower := {_fmt(inst.budget_lower)} ;")
    lines.append(f"param budget_upper := {_fmt(inst.budget_upper)} ;")
    lines.append(f"param max_changes := {int(inst.max_changes)} ;")
    if len(inst.rule_coef):
        lines.append("")
        lines.append("param rule_coef :=")
        for r, a, c in zip(inst.rule_index.tolist(), inst.rule_activity.tolist(), inst.rule_coef.tolist()):
            lines.append(f"{dat_name(inst.rules[r])} {dat_name(inst.activities[a])} {_fmt(c)}")
        lines.append(";")
    for label, arr in (("rule_lower", inst.rule_lower), ("rule_upper", inst.rule_upper)):
        finite = [(r, v) for r, v in zip(inst.rules, arr.tolist()) if math.isfinite(v)]
        if finite:
            lines.append("")
            lines.append(f"param {label} :=")
            lines.extend(f"{dat_name(r)} {_fmt(v)}" for r, v in finite)
            lines.append(";")
    return "\n".join(lines) + "\n"


def _curve_lines(inst: Instance) -> list[str]:
    """The response-curve parameters: a table of family and scalars, then the points of tables."""
    c = inst.curves
    assert c is not None
    lines = ["", "param : curve_family curve_beta curve_k curve_s curve_lam :="]
    for k, a in enumerate(inst.activities):
        vals = [c.beta[k], c.k[k], c.s[k], c.lam[k]]
        lines.append(f"{dat_name(a)} {c.family[k]} " + " ".join("." if math.isnan(v) else _fmt(v) for v in vals))
    lines.append(";")
    if c.tables:
        lines += ["", "param : curve_spend curve_response :="]
        for k, (px, py) in sorted(c.tables.items()):
            lines.extend(f"{dat_name(inst.activities[k])} {p + 1} {_fmt(x)} {_fmt(y)}" for p, (x, y) in enumerate(zip(px, py)))
        lines.append(";")
    if c.draws:
        lines += ["", "param : curve_draw_beta curve_draw_k curve_draw_s curve_draw_lam :="]
        for row in c.draw_rows(inst.activities):
            vals = [row[p] for p in ("beta", "k", "s", "lam")]
            cells = " ".join("." if math.isnan(v) else _fmt(v) for v in vals)
            lines.append(f"{dat_name(row['activity'])} {row['draw']} {cells}")
        lines.append(";")
    return lines


def check_dat_output(path: str | Path) -> Path:
    """``path`` if a `.dat` written there is read back as one (``mmo solve --data`` reads a file as `.dat` by its
    suffix), else the project's error with the name to give; a special file (``/dev/stdout``) is taken as it is."""
    path = Path(path)
    if path.suffix != ".dat" and not (path.exists() and not path.is_file()):
        raise DataError(f"'{path}' does not end in .dat, so `mmo solve --data {path}` would not read it as an instance",
                        f"name the file '{path.with_suffix('.dat')}'")
    return path


def write_dat(inst: Instance, path: str | Path) -> Path:
    """Write an instance as `.dat`, atomically (whole file or nothing), at a path whose name ends in .dat."""
    return atomic_write_text(check_dat_output(path), dat_text(inst))
