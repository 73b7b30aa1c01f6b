"""The data layer: `.dat`, CSV and DataFrame round trips, region bounds."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.instance import (
    from_frames,
    load_instance,
    read_csv_dir,
    read_dat,
    region_bounds,
    to_frames,
    write_csv_dir,
    write_dat,
)
from mmo_pyomo.mix.runner import solve

from helpers import random_instance


def _same(a, b):
    assert a.activities == b.activities and a.rules == b.rules
    for f in ("baseline", "lower", "upper", "min_change", "quad", "lin", "const", "rule_lower", "rule_upper"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f))
    assert a.max_changes == b.max_changes
    assert a.budget_lower == pytest.approx(b.budget_lower) and a.budget_upper == pytest.approx(b.budget_upper)
    assert sorted(a.rule_terms().items()) == sorted(b.rule_terms().items())


def test_dat_round_trip(tmp_path):
    inst = random_instance(12, 3)
    back = read_dat(write_dat(inst, tmp_path / "x.dat"))
    _same(inst, back)


def test_csv_and_frames_round_trip(tmp_path):
    inst = random_instance(12, 4)
    _same(inst, read_csv_dir(write_csv_dir(inst, tmp_path / "csv")))
    acts, rules, settings = to_frames(inst)
    _same(inst, from_frames(acts, rules, **settings))


def test_csv_and_dat_solve_to_the_same_plan(tmp_path):
    inst = random_instance(15, 6)
    write_dat(inst, tmp_path / "x.dat")
    write_csv_dir(inst, tmp_path / "csv")
    a = solve(load_instance(tmp_path / "x.dat"), "misocp")
    b = solve(load_instance(tmp_path / "csv"), "misocp")
    assert a.objective == pytest.approx(b.objective, rel=1e-9)


def test_empty_rules_and_absent_budget_lower(tmp_path):
    inst = random_instance(6, 1, rules=False, budget=(0.0, 1.0))
    text = write_dat(inst, tmp_path / "x.dat").read_text()
    assert "budget_lower" not in text and "set RULES :=  ;" in text
    back = load_instance(tmp_path / "x.dat")
    assert back.rules == () and back.budget_lower == 0.0


def test_region_bounds_follow_table_1():
    # x̄ = 10: [l, u] = [4, 13], m = 2 → R⁻ = [−6, −2], R⁺ = [2, 3]
    rb = region_bounds([10, 10, 10, 10], [4, 10, 4, 4], [13, 13, 11, 13], [2, 2, 2, 0])
    assert rb.has_dec.tolist() == [True, False, True, True]
    assert rb.has_inc.tolist() == [True, True, False, True]
    assert rb.dec_lower.tolist() == [-6, 0, -6, -6] and rb.dec_upper.tolist() == [-2, 0, -2, 0]
    assert rb.inc_lower.tolist() == [2, 2, 0, 0] and rb.inc_upper.tolist() == [3, 3, 0, 3]
    assert rb.big_m.tolist() == [6, 3, 6, 6]


def test_example_data_loads():
    inst = load_instance(EXAMPLE_DAT)
    assert inst.n == 40 and len(inst.rules) == 3


def test_rule_without_bounds_is_skipped():
    import math
    inst = random_instance(10, 2)
    free = inst.with_changes(rule_lower=np.full(2, -math.inf), rule_upper=np.full(2, math.inf))
    r = solve(free, "miqp")
    assert r.status == "optimal"


def test_csv_names_stay_as_written_and_bad_cells_are_named(tmp_path):
    import pytest

    from mmo_pyomo.errors import DataError
    from mmo_pyomo.instance import load_instance, write_csv_dir
    from mmo_pyomo.instance.csv_folder import read_csv_dir
    folder = write_csv_dir(random_instance(6, 2, rules=False), tmp_path / "csv")
    acts = (folder / "activities.csv").read_text().splitlines()
    acts[1] = "007" + acts[1][acts[1].index(","):]
    acts[2] = "1e3" + acts[2][acts[2].index(","):]
    (folder / "activities.csv").write_text("\n".join(acts) + "\n")
    inst = load_instance(folder)
    assert inst.activities[:2] == ("007", "1e3")
    settings = (folder / "settings.csv").read_text()
    (folder / "settings.csv").write_text(settings + "max_changes,1\n")
    with pytest.raises(DataError, match="gives the setting 'max_changes' more than once"):
        read_csv_dir(folder)
    (folder / "settings.csv").write_text(settings)
    (folder / "activities.csv").write_text("\n".join([acts[0], acts[1].replace(",", ",abc,", 1).replace(",abc,", ",abc", 1)]
                                                     + acts[2:]) + "\n")
    with pytest.raises(DataError, match="row 2: .* is not a number"):
        read_csv_dir(folder)


def test_dat_names_stay_as_written_and_repeats_are_refused(tmp_path):
    import pytest

    from mmo_pyomo.errors import DataError
    from mmo_pyomo.instance import read_dat, write_dat
    inst = random_instance(6, 2)
    inst = inst.with_changes(activities=("007", "1e3", *inst.activities[2:]))
    path = write_dat(inst, tmp_path / "names.dat")
    back = read_dat(path)
    assert back.activities == inst.activities                      # not 7 and 1000.0
    np.testing.assert_array_equal(back.baseline, inst.baseline)
    assert back.rule_activity.tolist() == inst.rule_activity.tolist()
    text = path.read_text()
    first_row = next(line for line in text.splitlines() if line.startswith('"007" '))   # quoted: not a number
    (tmp_path / "rowtwice.dat").write_text(text.replace(first_row, first_row + "\n" + first_row))
    with pytest.raises(DataError, match=r"baseline\[007\] is given more than once"):
        read_dat(tmp_path / "rowtwice.dat")
    (tmp_path / "twice.dat").write_text(text + "param max_changes := 1 ;\n")
    with pytest.raises(DataError, match="max_changes is given more than once"):
        read_dat(tmp_path / "twice.dat")


def test_the_shipped_data_are_what_their_generators_write(tmp_path):
    """data/: the example as .dat and as its CSV twin, the curve case and the offers bank, each one copy,
    installed as the package mmo_pyomo.data; each is what its generator writes."""
    import filecmp

    from mmo_pyomo.curves.examples import curve_instance
    from mmo_pyomo.data import BANK, CURVES, EXAMPLE_CSV, EXAMPLE_DAT
    from mmo_pyomo.instance.dat import dat_text
    from mmo_pyomo.mix.instances import example_instance
    from mmo_pyomo.offers.bank import generate_problem, write_problem
    assert EXAMPLE_DAT.read_text() == dat_text(example_instance())
    written = {"example": write_csv_dir(load_instance(EXAMPLE_DAT), tmp_path / "example"),
               "curves": write_csv_dir(curve_instance(6, "logistic", seed=5), tmp_path / "curves"),
               "bank": write_problem(generate_problem(500, seed=1), tmp_path / "bank", csv=True)}
    for name, shipped in (("example", EXAMPLE_CSV), ("curves", CURVES), ("bank", BANK)):
        files = sorted(p.name for p in shipped.iterdir())
        assert files == sorted(p.name for p in written[name].iterdir()), name
        assert all(filecmp.cmp(shipped / f, written[name] / f, shallow=False) for f in files), name


# --------------------------------------------------------------------------- names Pyomo's tokenizer would misread
_TWO = """set ACTIVITIES := {a} {b} ;
set RULES := ;
param : baseline lower upper min_change quad lin const :=
{a} 100 50 200 0 -0.001 1 0
{b} 100 50 200 0 -0.001 1 0
;
param budget_upper := 1 ;
param max_changes := 2 ;
"""


@pytest.mark.parametrize("name", ["télé", "Ölwerbung", "радио", "日本", "tv€", "naïve_2"])
def test_an_unquoted_name_pyomo_cannot_read_is_refused_with_the_fix_and_quoted_it_reads(tmp_path, name):
    from mmo_pyomo.errors import DataError
    path = tmp_path / "x.dat"
    path.write_text(_TWO.format(a="tv", b=name))
    with pytest.raises(DataError, match=r"line 1: the name '.*' is not quoted") as err:
        read_dat(path)
    assert "Token error" not in str(err.value) and f'"{name}"' in err.value.fix
    path.write_text(_TWO.format(a="tv", b=f'"{name}"'))
    assert read_dat(path).activities == ("tv", name)


@pytest.mark.parametrize("a,b", [("1", "1.0"), ("007", "7"), ("1e3", "1000"), ("+2", "2"), ("0.5", ".5")])
def test_two_names_that_are_one_number_to_pyomo_are_refused_and_read_when_quoted(tmp_path, a, b):
    from mmo_pyomo.errors import DataError
    path = tmp_path / "x.dat"
    path.write_text(_TWO.format(a=a, b=b))
    with pytest.raises(DataError, match="are the same number to Pyomo") as err:
        read_dat(path)
    assert "quote them" in err.value.fix
    path.write_text(_TWO.format(a=f'"{a}"', b=f'"{b}"'))
    assert read_dat(path).activities == (a, b)


def test_any_name_written_to_a_dat_reads_back_as_itself(tmp_path):
    names = ("1", "1.0", "007", "télé", "a b", 'say "hi"', "x;y", "#1", "tv_north")
    inst = random_instance(len(names), 3).with_changes(activities=names)
    inst = inst.with_changes(rules=tuple(f"règle {k}" for k in range(len(inst.rules))))
    _same(read_dat(write_dat(inst, tmp_path / "names.dat")), inst)


def test_a_byte_order_mark_is_read_as_nothing_in_a_dat_and_in_every_csv_table(tmp_path):
    text = EXAMPLE_DAT.read_text()
    (tmp_path / "bom.dat").write_text("\ufeff" + text, encoding="utf-8")
    expected = read_dat(EXAMPLE_DAT)
    _same(read_dat(tmp_path / "bom.dat"), expected)
    folder = tmp_path / "csv"
    write_csv_dir(expected, folder)
    for table in sorted(folder.glob("*.csv")):
        table.write_text("\ufeff" + table.read_text(encoding="utf-8"), encoding="utf-8")
    _same(read_csv_dir(folder), expected)


def test_a_table_in_an_instance_folder_that_no_reader_reads_is_named_in_a_warning(tmp_path, caplog):
    import logging
    inst = random_instance(5, 4)
    folder = write_csv_dir(inst, tmp_path / "inst")
    caplog.set_level(logging.WARNING)
    read_csv_dir(folder)
    assert "not read" not in caplog.text                          # a folder of known files: no word
    for name in ("rate_cards.csv", "rule.csv", "Settings.CSV"):
        (folder / name).write_text("a,b\n1,2\n")
    (folder / "notes.txt").write_text("not a table")
    caplog.clear()
    _same(read_csv_dir(folder), inst)
    message = caplog.text
    assert "Settings.CSV, rate_cards.csv, rule.csv are not read" in message and "notes.txt" not in message
    assert "activities.csv, rules.csv, settings.csv" in message and "history.csv" in message


@pytest.mark.parametrize("out", ["noext", "plan.txt", "x.dat.bak", "x.DAT"])
def test_generate_refuses_an_out_that_solve_would_not_read_as_a_dat(tmp_path, out):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "generate", "--n", "20", "--out", str(tmp_path / out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "does not end in .dat" in proc.stderr and str((tmp_path / out).with_suffix(".dat")) in proc.stderr
    assert not list(tmp_path.iterdir())
    from mmo_pyomo.errors import DataError
    with pytest.raises(DataError, match="does not end in .dat"):
        write_dat(random_instance(3, 1), tmp_path / out)            # the writer keeps the same rule
    good = tmp_path / "x.dat"
    proc = subprocess.run([sys.executable, "-m", "mmo_pyomo", "generate", "--n", "20", "--out", str(good)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and load_instance(good).n == 20, proc.stderr


@pytest.mark.parametrize("family,who,message", [
    ("table", "ghost", "has points for 'ghost', which has no row in curves.csv"),
    ("hill", "ch0", "has points for 'ch0', whose curve in curves.csv is hill, not a table"),
])
def test_curve_points_that_no_curve_reads_are_refused(tmp_path, family, who, message):
    import pandas as pd

    from mmo_pyomo.curves.examples import curve_instance
    from mmo_pyomo.errors import DataError
    folder = write_csv_dir(curve_instance(4, family, seed=2), tmp_path / "inst")
    points = folder / "curve_points.csv"
    given = pd.read_csv(points) if points.is_file() else pd.DataFrame(columns=["activity", "spend", "response"])
    extra = pd.DataFrame({"activity": [who] * 3, "spend": [0.0, 1e6, 2e6], "response": [0.0, 5e5, 8e5]})
    pd.concat([given, extra]).to_csv(points, index=False)
    with pytest.raises(DataError, match=message):
        load_instance(folder)
