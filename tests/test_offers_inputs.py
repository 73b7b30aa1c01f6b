"""The offers side's inputs, by class: every JSON file read strictly, one rule for a file in two formats and for
two sources of the households, a customer listed twice, customer ids of another type, count limits (a large one
is no limit), and the run's time in the headline."""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmo_pyomo.cli.main import main
from mmo_pyomo.offers.bank import EXAMPLE_RULES, example_policy, generate_problem, write_problem
from mmo_pyomo.offers.exact import solve_exact
from mmo_pyomo.offers.problem import load_problem


@pytest.fixture
def bank(tmp_path: Path) -> Path:
    """A campaign of 60 customers with the example policies (households, history, every rule)."""
    prob = generate_problem(60, seed=2)
    prob.policy = example_policy(prob, 2)
    return write_problem(prob, tmp_path / "bank")


def _refused(folder: Path, tmp_path: Path, capsys, *words: str) -> str:
    """The CLI refuses the campaign (exit 2, the words and a fix on stderr, no traceback, nothing written)."""
    out = tmp_path / "out"
    assert main(["offers", "solve", "--data", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert all(w in err for w in words), err
    assert "fix:" in err and "Traceback" not in err and not out.exists()
    return err


# --------------------------------------------------------------------------- every JSON file: one strict reader
@pytest.mark.parametrize("name, text, words", [
    ("campaign.json", '{"budget": 1000, "hurdle_rate": 0.1, "budget": 5}', ["'budget' more than once"]),
    ("policies.json", '{"max_offers_per_customer": 1, "max_offers_per_customer": 2}',
     ["'max_offers_per_customer' more than once", "last value would win silently"]),
    ("policies.json", '{"requires": {"brokerage": "mutual_fund", "brokerage": "gic"}}', ["'brokerage' more than once"]),
    ("policies.json", '{"cooling_off_days": NaN}', ["NaN, not a finite number"]),
    ("policies.json", '{"max_contacts_90_days": Infinity}', ["Infinity, not a finite number"]),
    ("campaign.json", '{"budget": -Infinity, "hurdle_rate": 0.1}', ["-Infinity, not a finite number"]),
    ("policies.json", '{"max_offers_per_customer": 2', ["not valid JSON"]),
    ("policies.json", '"max_offers_per_customer"', ["holds a string, not an object"]),
])
def test_every_json_file_is_read_by_one_strict_reader(bank, tmp_path, capsys, name, text, words):
    (bank / name).write_text(text)
    _refused(bank, tmp_path, capsys, name, *words)


# --------------------------------------------------------------------------- one rule for two formats, two sources
def _second_format(folder: Path, stem: str) -> None:
    if stem == "scores":
        pd.read_parquet(folder / "scores.parquet").to_csv(folder / "scores.csv", index=False)
    else:
        pd.read_parquet(folder / f"{stem}.parquet").to_csv(folder / f"{stem}.csv", index=False)


@pytest.mark.parametrize("stem", ["scores", "history", "customers"])
def test_a_file_in_two_formats_is_refused_naming_both(bank, tmp_path, capsys, stem):
    _second_format(bank, stem)
    _refused(bank, tmp_path, capsys, f"holds both {stem}.parquet and {stem}.csv", "remove the one that is stale")


@pytest.mark.parametrize("stem", ["history", "customers"])
def test_either_format_alone_is_read_the_same(bank, stem):
    """history.csv or customers.csv alone gives the policy its Parquet twin gives."""
    parquet = load_problem(bank).policy
    _second_format(bank, stem)
    (bank / f"{stem}.parquet").unlink()
    csv = load_problem(bank).policy
    assert parquet is not None and csv is not None
    for field in ("days_since", "contacts_90", "household"):
        assert np.array_equal(getattr(parquet, field), getattr(csv, field))


def test_households_from_two_sources_are_refused(bank, tmp_path, capsys):
    houses = pd.read_parquet(bank / "customers.parquet")
    scores = pd.read_parquet(bank / "scores.parquet").merge(houses, on="customer_id")
    scores.to_parquet(bank / "scores.parquet", index=False)            # the same households, given twice
    _refused(bank, tmp_path, capsys, "households are given twice", "customers.parquet",
             "drop the household_id column from the scores, or remove")
    (bank / "customers.parquet").unlink()                              # one source: read
    prob = load_problem(bank)
    assert prob.policy is not None and prob.policy.household is not None


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_a_customer_in_two_households_is_refused_naming_both(bank, tmp_path, capsys, fmt):
    houses = pd.read_parquet(bank / "customers.parquet")
    customer = int(houses.customer_id.iloc[7])
    twice = pd.concat([houses, pd.DataFrame({"customer_id": [customer], "household_id": [999_999]})])
    (bank / "customers.parquet").unlink()
    twice.to_parquet(bank / "customers.parquet", index=False) if fmt == "parquet" else \
        twice.to_csv(bank / "customers.csv", index=False)
    _refused(bank, tmp_path, capsys, f"puts customer {customer} in two households",
             f"household_id {int(houses.household_id.iloc[7])} (row 8) and 999999 (row {len(houses) + 1})")
    twice.iloc[-1, 1] = houses.household_id.iloc[7]                     # the same household twice: a repeated row
    (bank / f"customers.{fmt}").unlink()
    twice.to_parquet(bank / "customers.parquet", index=False)
    _refused(bank, tmp_path, capsys, f"gives customer {customer}'s household twice")


def test_a_customer_with_two_histories_is_refused(bank, tmp_path, capsys):
    history = pd.read_parquet(bank / "history.parquet")
    pd.concat([history, history.iloc[[3]]]).to_parquet(bank / "history.parquet", index=False)
    _refused(bank, tmp_path, capsys, f"gives customer {int(history.customer_id.iloc[3])}'s history twice",
             f"rows 4 and {len(history) + 1}")


# --------------------------------------------------------------------------- customer ids as the scores have them
@pytest.mark.parametrize("stem", ["history", "customers"])
def test_ids_of_another_type_are_refused_naming_the_file_column_and_types(bank, tmp_path, capsys, stem):
    table = pd.read_parquet(bank / f"{stem}.parquet")
    table.assign(customer_id=table.customer_id.astype(str)).to_parquet(bank / f"{stem}.parquet", index=False)
    _refused(bank, tmp_path, capsys, f"{stem}.parquet' column customer_id holds", "string",
             "the scores' customer ids are integers", "write customer_id as integers")
    table.assign(customer_id=table.customer_id.astype(float)).to_parquet(bank / f"{stem}.parquet", index=False)
    _refused(bank, tmp_path, capsys, "customer_id holds double")


def test_text_ids_in_a_csv_are_read_as_the_scores_text_ids(bank):
    """Scores with text ids ('007'): history.csv's and customers.csv's ids are read as text too, so '007' matches
    '007' (and not 7): the cooled-off customer gets no contact, the households are the files'."""
    scores = pd.read_parquet(bank / "scores.parquet")
    scores.assign(customer_id=scores.customer_id.map("{:03d}".format)).to_parquet(bank / "scores.parquet",
                                                                                    index=False)
    for stem in ("history", "customers"):
        table = pd.read_parquet(bank / f"{stem}.parquet")
        (bank / f"{stem}.parquet").unlink()
        if stem == "history":
            table.loc[table.index[:3], "days_since_last_contact"] = 2.0          # contacted two days ago
        table.assign(customer_id=table.customer_id.map("{:03d}".format)).to_csv(bank / f"{stem}.csv", index=False)
    prob = load_problem(bank)
    assert prob.policy is not None and prob.customer_ids[0] == "000"
    history = pd.read_csv(bank / "history.csv", dtype={"customer_id": str}).set_index("customer_id")
    recent = history.index[history.days_since_last_contact < EXAMPLE_RULES["cooling_off_days"]]
    cap = pd.Series(prob.policy.customer_cap(), index=prob.customer_ids)
    assert len(recent) > 0 and (cap[recent] == 0).all() and (cap.drop(recent) > 0).any()
    houses = pd.read_csv(bank / "customers.csv", dtype={"customer_id": str}).set_index("customer_id")
    assert prob.policy.household is not None
    same = houses.household_id.reindex(prob.customer_ids).to_numpy()
    assert np.array_equal(same[:, None] == same[None, :],
                          prob.policy.household[:, None] == prob.policy.household[None, :])
    assert solve_exact(prob).check.feasible


# --------------------------------------------------------------------------- count limits
def _with_rules(folder: Path, **change: object) -> None:
    rules = dict(EXAMPLE_RULES)
    for key, value in change.items():
        if value is None:
            rules.pop(key, None)
        else:
            rules[key] = value
    (folder / "policies.json").write_text(json.dumps(rules))


def _profit(folder: Path, algorithm: str) -> float:
    result = solve_exact(load_problem(folder), algorithm=algorithm)
    assert result.check.feasible
    return result.check.profit


# (key, what "no limit" is for it: the key left out, or the largest value that can bind)
NO_LIMITS = [("max_offers_per_household", None), ("max_contacts_90_days", None),
             ("max_per_offer_per_customer", 3), ("max_offers_per_customer", 11 * 3)]


@pytest.mark.parametrize("algorithm", ["auto", "lagrangian"])
@pytest.mark.parametrize("key, unlimited", NO_LIMITS)
def test_a_large_limit_is_no_limit(bank, key, unlimited, algorithm):
    """"No limit" written as 1e9, 1e20, 1e30 or a 31-digit integer solves, and gives the plan of the rule left
    out (or at the most that can bind: 3 channels, 11 offers on each), on the MIP and on the Lagrangian method,
    whose tables are then no larger than the plan can use."""
    extra = {"max_per_offer_per_customer": 3} if key == "max_offers_per_customer" else {}
    _with_rules(bank, **{key: unlimited}, **extra)
    reference = _profit(bank, algorithm)
    for large in (1e9, 1e20, 1e30, 10 ** 30):
        _with_rules(bank, **{key: large}, **extra)
        assert _profit(bank, algorithm) == pytest.approx(reference, rel=1e-12), large


def test_a_large_cooling_off_period_bars_every_customer_contacted_before(bank):
    _with_rules(bank, cooling_off_days=1e20)
    prob = load_problem(bank)
    assert prob.policy is not None
    contacted = np.isfinite(prob.policy.days_since)
    assert contacted.any() and (prob.policy.customer_cap()[contacted] == 0).all()
    result = solve_exact(prob)
    assert result.check.feasible


@pytest.mark.parametrize("key, literal, words", [
    ("max_offers_per_customer", "2.5", "is 2.5, not a whole number"),
    ("max_offers_per_household", "true", "is True, not a whole number"),
    ("max_contacts_90_days", '"3"', "is '3', not a whole number"),
    ("max_per_offer_per_customer", "0", "is 0, below 1"),
    ("max_offers_per_household", "-1e20", "below 0"),
    ("max_contacts_90_days", "1e400", "is inf, not a whole number"),
    ("cooling_off_days", "1" + "0" * 400, "not a number ≥ 0"),
])
def test_a_limit_that_is_not_a_whole_number_in_range_is_refused(bank, tmp_path, capsys, key, literal, words):
    (bank / "policies.json").write_text(json.dumps({**EXAMPLE_RULES, key: "@"}).replace('"@"', literal))
    err = _refused(bank, tmp_path, capsys, "policies.json", key, words)
    assert re.search(r"fix: give (the days as a finite number|\w+ as a whole number)", err)


# --------------------------------------------------------------------------- the run's time
def test_the_headline_time_is_the_runs_and_the_others_are_named(bank, tmp_path, capsys):
    """The figure "… s in all" is the run's, from the command's start: it holds the load, the solve and the
    write; the method's own time and its dual's are named as such."""
    (bank / "policies.json").write_text(json.dumps(EXAMPLE_RULES))
    assert main(["offers", "solve", "--data", str(bank), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    shown = float(re.search(r"([\d.]+) s in all", out).group(1))
    assert shown == pytest.approx(report["time_s"], abs=0.05)
    assert report["time_s"] >= report["time_load_s"] + report["time_solve_s"] + report["time_write_s"]
    assert report["time_method_s"] <= report["time_solve_s"]
    assert f"(the exact method {report['time_method_s']:.2f} s" in out
