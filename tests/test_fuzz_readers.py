"""Hypothesis fuzzes the readers for the classes of issue 44: names Pyomo's tokenizer misreads, a byte-order mark,
two sources of the same data, results.csv lines that are not whole records, and the importers' adstock object.
Each property either holds or the reader says why in the project's words (never Pyomo's, never a traceback).

The number of examples is bounded for CI (``FUZZ_EXAMPLES``, default 60 per property).
"""
from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmo_pyomo.curves.importers import PlanningRules, curves_from_pymc_export, from_table, pymc_time_phased
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.instance import load_instance, read_csv_dir, read_dat, write_csv_dir, write_dat

from helpers import random_instance

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Names of any printable characters: accents, other scripts, quotes, spaces, ';', '#', names that look like numbers.
NAMES = st.one_of(st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=6),
                  st.sampled_from(["1", "1.0", "007", "7", "1e3", "+2", ".5", "télé", "a b", "x;y", "#1", '"q"']))

#: Pyomo's own words, which a user must never be left with.
PYOMO_WORDS = ("Token error", "no value for activity", "Syntax error", "Unexpected")


@FUZZ
@given(st.lists(NAMES, min_size=3, max_size=3, unique=True), st.lists(NAMES, min_size=0, max_size=2, unique=True))
def test_any_names_written_are_read_back_as_themselves(names, rules):
    inst = random_instance(3, 1, rules=False).with_changes(activities=tuple(names))
    with tempfile.TemporaryDirectory() as tmp:
        assert read_dat(write_dat(inst, Path(tmp) / "x.dat")).activities == inst.activities
        assert read_csv_dir(write_csv_dir(inst, Path(tmp) / "csv")).activities == inst.activities


TWO = """set ACTIVITIES := {a} {b} ;
set RULES := ;
param : baseline lower upper min_change quad lin const :=
{a} 1000000 500000 2000000 0 -1e-7 1.5 0
{b} 2000000 1000000 4000000 0 -2e-7 1.2 0
;
param budget_upper := 1 ;
param max_changes := 2 ;
"""


@FUZZ
@given(NAMES, NAMES, st.booleans())
def test_unquoted_names_load_as_written_or_the_error_says_to_quote_them(a, b, bom):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.dat"
        path.write_text(("\ufeff" if bom else "") + TWO.format(a=a, b=b), encoding="utf-8")
        try:
            inst = read_dat(path)
        except MMOError as exc:
            if not any(c in a + b for c in "#;'\"") and not any(c.isspace() for c in a + b):   # not .dat syntax itself
                assert not any(w in exc.cause for w in PYOMO_WORDS), exc.cause
            return
        assert inst.activities == (a, b) or any(q in a + b for q in "'\""), (inst.activities, a, b)


@FUZZ
@given(st.sampled_from(["x.dat", "activities.csv", "settings.csv", "rules.csv"]), st.data())
def test_a_byte_order_mark_changes_nothing(name, data):
    inst = random_instance(5, data.draw(st.integers(0, 50)))
    with tempfile.TemporaryDirectory() as tmp:
        if name == "x.dat":
            path = write_dat(inst, Path(tmp) / name)
        else:
            path = write_csv_dir(inst, Path(tmp) / "csv")
            target = path / name
            target.write_text("\ufeff" + target.read_text(), encoding="utf-8")
        if name == "x.dat":
            path.write_text("\ufeff" + path.read_text(), encoding="utf-8")
        back = load_instance(path)
        assert back.activities == inst.activities
        np.testing.assert_array_equal(back.baseline, inst.baseline)


# --------------------------------------------------------------------------- two sources of the same activities
@FUZZ
@given(st.sets(st.sampled_from(["tv", "radio", "search", "ooh"]), min_size=1),
       st.sets(st.sampled_from(["tv", "radio", "search", "ooh"]), min_size=1))
def test_table_curves_and_baselines_import_only_when_they_name_the_same_activities(curves, baseline):
    with tempfile.TemporaryDirectory() as tmp:
        pts = Path(tmp) / "points.csv"
        pts.write_text("activity,spend,response\n" + "".join(
            f"{a},{x},{900 * x / (8e5 + x):.6f}\n" for a in sorted(curves) for x in np.linspace(0, 3e6, 7)))
        try:
            inst = from_table(pts, {a: 1e6 for a in sorted(baseline)}, PlanningRules())
        except DataError as exc:
            assert curves != baseline
            odd = sorted(curves ^ baseline)
            assert any(f"'{a}'" in exc.cause for a in odd), exc.cause
            return
        assert curves == baseline and set(inst.activities) == curves


# --------------------------------------------------------------------------- results.csv
@FUZZ
@given(st.integers(1, 3), st.sampled_from(["cut", "pad", "field"]), st.data())
def test_a_results_line_damaged_anywhere_is_not_a_finished_run(which, how, data):
    from mmo_pyomo.study.runs import COLUMNS
    from mmo_pyomo.study.store import ResultStore
    lines = []
    for k in range(5):
        record = {"instance": f"i{k}", "formulation": "miqp", "solver": "scip", "status": "optimal",
                  "objective": 1e6 + k, "bound": 1e6 + k, "gap": 0.0, "path": f"/i{k}.dat", "start": "none"}
        lines.append(",".join(str(record.get(c, "")) for c in COLUMNS))
    line = lines[which]
    status_end = line.index("optimal") + len("optimal") + 1
    if how == "cut":                 # a crash, or an editor: the line ends early
        cut = line[: data.draw(st.integers(0, len(line) - 1))]
    elif how == "pad":               # cut before its objective, then filled with empty cells by a spreadsheet
        cut = line[: data.draw(st.integers(0, status_end))]
        cut += "," * (len(COLUMNS) - 1 - cut.count(","))
    else:                            # a field too many
        cut = line + ","
    lines[which] = cut
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "results.csv"
        path.write_text(",".join(COLUMNS) + "\n" + "\n".join(lines) + "\n")
        logging.disable(logging.WARNING)
        try:
            done = {k.instance for k in ResultStore(path).finished()}
        finally:
            logging.disable(logging.NOTSET)
    assert f"/i{which}.dat" not in done
    assert done >= {f"/i{k}.dat" for k in range(5) if k != which}


# --------------------------------------------------------------------------- the adstock object of an export
MULTIDIM = json.loads((Path(__file__).parent / "fixtures" / "pymc_multidim_export.json").read_text())
VALUES = st.one_of(st.none(), st.booleans(), st.integers(-2, 9), st.floats(allow_nan=True, allow_infinity=True),
                   st.sampled_from(["true", "false", "4", "x", "geometric", ""]), st.lists(st.integers(0, 1), max_size=2))


@FUZZ
@given(st.sampled_from(["family", "l_max", "normalize", "alpha", "lmax", "normalise", "L_max"]), VALUES)
def test_an_adstock_value_is_used_as_written_or_refused(key, value):
    export = json.loads(json.dumps(MULTIDIM))
    export["adstock"][key] = value
    try:
        inst = curves_from_pymc_export(export, PlanningRules())
        files = pymc_time_phased(export, inst, 3)
    except DataError:
        return
    assert key in ("family", "l_max", "normalize", "alpha")          # a misspelled key is never ignored
    curves = files["curves.csv"]
    if key == "l_max":
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer()
        assert value >= 1 and curves["adstock_lmax"].tolist() == [int(value) - 1] * 3
    if key == "normalize":
        assert isinstance(value, bool) and curves["adstock_normalize"].tolist() == [int(value)] * 3
    if key == "family":
        assert value == "geometric"
