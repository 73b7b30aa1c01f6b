"""Hypothesis fuzzes the loaders: any file loads, or raises the project's own error (never a traceback).

The number of examples is bounded for CI (``FUZZ_EXAMPLES``, default 60 per loader); set the
environment variable higher for a longer local run.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance import load_instance, write_csv_dir

from helpers import random_instance

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

DAT_TEXT = EXAMPLE_DAT.read_text()
TOKENS = [";", ":=", "param", "set", ":", "twelve", "nan", "inf", "-1", "1e400", "007", "", "\n", "#", "'", '"', "(",
          "[", "]", "tv_north", "rule_coef", "RULES", "0", "1.5", "-", "budget_upper", "max_changes"]


@st.composite
def edits(draw, text: str):
    """A text with a few random edits: deletions, insertions of tokens, duplicated lines, truncation."""
    lines = text.splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "truncate", "replace"]))
        if not lines:
            break
        k = draw(st.integers(0, len(lines) - 1))
        if kind == "delete":
            del lines[k]
        elif kind == "duplicate":
            lines.insert(k, lines[k])
        elif kind == "truncate":
            lines = lines[:k] + [lines[k][: draw(st.integers(0, len(lines[k])))]]
        else:
            words = lines[k].split(" ")
            w = draw(st.integers(0, len(words) - 1))
            token = draw(st.sampled_from(TOKENS))
            if kind == "insert":
                words.insert(w, token)
            else:
                words[w] = token
            lines[k] = " ".join(words)
    return "".join(lines)


def _loads_or_says_why(path: Path) -> None:
    try:
        load_instance(path)
    except MMOError:
        pass


@FUZZ
@given(edits(DAT_TEXT))
def test_dat_loader(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.dat"
        path.write_text(text)
        _loads_or_says_why(path)


CSV_DIR = Path(tempfile.mkdtemp()) / "csv"
write_csv_dir(random_instance(6, 3), CSV_DIR)
CSV_FILES = {name: (CSV_DIR / name).read_text() for name in ("activities.csv", "rules.csv", "settings.csv")}


def _folder_with_one_edit(tmp: str, files: dict[str, str], name: str, data) -> Path:
    """A folder holding ``files``, with the file ``name`` edited (commas spaced so edits hit cells)."""
    folder = Path(tmp) / "case"
    folder.mkdir()
    for other, content in files.items():
        (folder / other).write_text(content)
    (folder / name).write_text(data.draw(edits(files[name].replace(",", " , "))).replace(" , ", ","))
    return folder


@FUZZ
@given(st.sampled_from(sorted(CSV_FILES)), st.data())
def test_csv_loader(name, data):
    with tempfile.TemporaryDirectory() as tmp:
        _loads_or_says_why(_folder_with_one_edit(tmp, CSV_FILES, name, data))


def _curve_files() -> dict[str, str]:
    from mmo_pyomo.curves.examples import curve_instance
    from mmo_pyomo.instance import write_dat
    folder = write_csv_dir(curve_instance(4, "table", seed=2), Path(tempfile.mkdtemp()) / "curves")
    hill = write_csv_dir(curve_instance(4, "hill", seed=2), Path(tempfile.mkdtemp()) / "hill")
    files = {n: (folder / n).read_text() for n in ("activities.csv", "settings.csv", "curves.csv", "curve_points.csv")}
    files["hill_curves.csv"] = (hill / "curves.csv").read_text()
    files["curves.dat"] = write_dat(curve_instance(4, "table", seed=2), Path(tempfile.mkdtemp()) / "c.dat").read_text()
    return files


CURVE_FILES = _curve_files()


@FUZZ
@given(st.sampled_from(["activities.csv", "curves.csv", "curve_points.csv", "hill_curves.csv", "curves.dat"]),
       st.data())
def test_curve_loaders(name, data):
    """Curve folders (a table instance, or Hill curves in curves.csv) and curve .dat files."""
    with tempfile.TemporaryDirectory() as tmp:
        if name == "curves.dat":
            path = Path(tmp) / "fuzz.dat"
            path.write_text(data.draw(edits(CURVE_FILES[name])))
            _loads_or_says_why(path)
            return
        files = {n: CURVE_FILES[n] for n in ("activities.csv", "settings.csv", "curves.csv", "curve_points.csv")}
        if name == "hill_curves.csv":
            files["curves.csv"] = CURVE_FILES["hill_curves.csv"]
            del files["curve_points.csv"]
            name = "curves.csv"
        _loads_or_says_why(_folder_with_one_edit(tmp, files, name, data))


def _bank_folder() -> tuple[Path, dict[str, str]]:
    from mmo_pyomo.offers.bank import generate_problem, write_problem
    folder = write_problem(generate_problem(40, seed=3), Path(tempfile.mkdtemp()) / "bank", csv=True)
    return folder, {n: (folder / n).read_text() for n in ("scores.csv", "offers.csv", "channels.csv", "campaign.json")}


BANK, BANK_FILES = _bank_folder()


@FUZZ
@given(st.sampled_from(sorted(BANK_FILES)), st.data())
def test_offers_loader(name, data):
    from mmo_pyomo.offers.problem import load_problem
    with tempfile.TemporaryDirectory() as tmp:
        try:
            load_problem(_folder_with_one_edit(tmp, BANK_FILES, name, data))
        except MMOError:
            pass


@pytest.mark.parametrize("text", ["", "set ACTIVITIES := a b ;\nparam max_changes := twelve ;\n", "\x00\x01garbage"])
def test_dat_corner_cases(tmp_path, text):
    path = tmp_path / "x.dat"
    path.write_text(text)
    with pytest.raises(MMOError):
        load_instance(path)


ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                      st.text(max_size=8), st.lists(st.integers(), max_size=2), st.decimals(allow_nan=True))


@FUZZ
@given(ANY_VALUE)
def test_range_checks_take_only_numbers_in_range(value):
    """Every option check returns a finite number in its range or raises the project's error."""
    import math

    from mmo_pyomo import ranges
    for check, args, low, high in ((ranges.seconds, (), 0, math.inf), (ranges.relative_gap, (), 0, 1),
                                   (ranges.fraction, (), 0, 1), (ranges.whole, (1,), 1, math.inf),
                                   (ranges.whole, (0,), 0, math.inf)):
        try:
            x = check(value, "the option", *args)
        except MMOError as exc:
            assert "the option" in exc.cause
            continue
        assert math.isfinite(x) and low <= x <= high and not isinstance(x, bool)
        if check is ranges.whole:
            assert isinstance(x, int)


# ---------------------------------------------------------------- the offers loader's column types

#: Column types a user's scores file can come with (what pandas and pyarrow write for them).
SCORE_TYPES = {
    "int": lambda col, n: np.arange(n) % 7, "float": lambda col, n: np.arange(n) / 3.0,
    "integral float": lambda col, n: (np.arange(n) % 7).astype(float), "text": lambda col, n: [f"x{i % 3}" for i in range(n)],
    "bool": lambda col, n: np.arange(n) % 2 == 0, "int8": lambda col, n: (np.arange(n) % 7).astype(np.int8),
    "float32 huge": lambda col, n: np.full(n, 3e38, np.float32), "with nulls": lambda col, n: [None] + [1.0] * (n - 1),
    "as written": None,
}


@FUZZ
@given(st.sampled_from(["customer_id", "offer", "channel", "expected_profit", "cost"]), st.sampled_from(sorted(SCORE_TYPES)),
       st.sampled_from(["parquet", "csv"]))
def test_offers_loader_column_types(column, kind, fmt):
    """Any type in any column of scores.parquet or scores.csv loads, or raises the project's error."""
    import pandas as pd

    from mmo_pyomo.offers.problem import load_problem
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "bank"
        folder.mkdir()
        for n, content in BANK_FILES.items():
            if n != "scores.csv":
                (folder / n).write_text(content)
        scores = pd.read_csv(BANK / "scores.csv")
        if SCORE_TYPES[kind] is not None:
            scores[column] = SCORE_TYPES[kind](column, len(scores))
        if fmt == "parquet":
            scores.to_parquet(folder / "scores.parquet", index=False)
        else:
            scores.to_csv(folder / "scores.csv", index=False)
        try:
            prob = load_problem(folder)
        except MMOError:
            return
        assert np.isfinite(prob.profit).all() and np.isfinite(prob.cost).all() and (prob.cost >= 0).all()


# ---------------------------------------------------------------- the importers' exports

EXPORTS = {name: json.loads((Path(__file__).parent / "fixtures" / f"{name}_export.json").read_text())
           for name in ("pymc_marketing", "meridian")}
JSON_VALUES = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
                                     st.text(max_size=4)), lambda inner: st.lists(inner, max_size=3), max_leaves=6)


@st.composite
def export_edits(draw, export):
    """The export with a few edits: a key removed or renamed, a value replaced, a list cut short."""
    out = json.loads(json.dumps(export))
    for _ in range(draw(st.integers(1, 3))):
        params = out.get("params") if isinstance(out.get("params"), dict) else {}
        paths = [(out, k) for k in out] + [(params, k) for k in params]
        if not paths:
            break
        holder, key = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["delete", "rename", "replace", "shorten"]))
        if kind == "delete":
            del holder[key]
        elif kind == "rename":
            holder[key + draw(st.sampled_from(["_", "s", "X"]))] = holder.pop(key)
        elif kind == "replace":
            holder[key] = draw(JSON_VALUES)
        elif isinstance(holder[key], list) and holder[key]:
            holder[key] = holder[key][: draw(st.integers(0, len(holder[key]) - 1))]
    return out


@FUZZ
@given(st.sampled_from(sorted(EXPORTS)), st.data())
def test_importers_take_an_export_or_say_why(name, data):
    from mmo_pyomo.curves.importers import PlanningRules, curves_from_meridian_export, curves_from_pymc_export
    read = curves_from_pymc_export if name == "pymc_marketing" else curves_from_meridian_export
    try:
        inst = read(data.draw(export_edits(EXPORTS[name])), PlanningRules())
    except MMOError:
        return
    assert np.isfinite(inst.curves.response(inst.baseline)).all()
