"""Hypothesis fuzzes the contact policy's files: ``policies.json``, ``customers.*`` and ``history.*`` (CSV and
Parquet). Random and hostile contents give a valid run (a plan that keeps every rule as the raw files state it,
checked here from those files alone) or the project's own error with a cause and a fix: never another exception,
never a silent wrong read.

Tiny banks (30 customers) and bounded example counts (``FUZZ_EXAMPLES``, default 40 per file) keep it fast.
"""
from __future__ import annotations

import csv
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mmo_pyomo.errors import MMOError
from mmo_pyomo.offers.bank import EXAMPLE_RULES, example_policy, generate_problem, write_problem
from mmo_pyomo.offers.exact import solve_exact
from mmo_pyomo.offers.offer_plan import plan_frame
from mmo_pyomo.offers.policies import POLICY_KEYS
from mmo_pyomo.offers.policy_files import HISTORY_COLUMNS
from mmo_pyomo.offers.problem import load_problem

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

_prob = generate_problem(30, seed=5)
_prob.policy = example_policy(_prob, 5)
TEMPLATE = write_problem(_prob, Path(tempfile.mkdtemp()) / "bank")
OFFERS, CHANNELS = list(_prob.offers), list(_prob.channels)
IDS = [int(i) for i in load_problem(TEMPLATE).customer_ids]             # the customers with a score row
J, K = len(OFFERS), len(CHANNELS)


def _run(folder: Path, algorithm: str = "auto") -> pd.DataFrame | None:
    """The plan of the campaign (None: refused with the project's error, which names a cause and a fix)."""
    try:
        prob = load_problem(folder)
        result = solve_exact(prob, algorithm=algorithm)
    except MMOError as exc:
        assert exc.cause and exc.fix, repr(exc)
        _event(f"refused: {type(exc).__name__}")
        return None
    _event("a valid run")
    assert result.check.feasible
    return plan_frame(prob, result.choice, result.values(prob))


def _event(what: str) -> None:
    """A hypothesis event (the share of valid runs shows with --hypothesis-show-statistics), outside one nothing."""
    try:
        event(what)
    except InvalidArgument:
        pass


def _strict(text: str) -> dict | None:
    """``text`` as strict JSON (no key twice, no NaN or Infinity) holding an object, read here on its own."""
    def pairs(items: list) -> dict:
        keys = [k for k, _ in items]
        if len(set(keys)) < len(keys):
            raise ValueError("repeated key")
        return dict(items)

    def constant(token: str) -> None:
        raise ValueError(token)
    try:
        raw = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
    except (ValueError, RecursionError):
        return None
    return raw if isinstance(raw, dict) else None


def _history(folder: Path) -> pd.DataFrame:
    """history.* as written: (days, contacts) per customer, never contacted (inf, 0) without a row."""
    path = next(p for p in (folder / "history.parquet", folder / "history.csv") if p.is_file())
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    table = table[table.customer_id.isin(IDS)].set_index("customer_id")
    assert not table.index.duplicated().any()
    out = pd.DataFrame({"days": np.inf, "contacts": 0.0}, index=pd.Index(IDS, name="customer_id"))
    out.loc[table.index, "days"] = table.days_since_last_contact.astype(float).fillna(np.inf).to_numpy()
    out.loc[table.index, "contacts"] = table.contacts_last_90_days.astype(float).to_numpy()
    return out


def _households(folder: Path) -> pd.Series:
    path = next(p for p in (folder / "customers.parquet", folder / "customers.csv") if p.is_file())
    table = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    table = table[table.customer_id.isin(IDS)]
    assert not table.customer_id.duplicated().any() and set(table.customer_id) == set(IDS)
    return table.set_index("customer_id")["household_id"]


def _keeps_every_rule(folder: Path, rules: dict, plan: pd.DataFrame) -> None:
    """The plan keeps each rule of ``rules`` (policies.json as read here) as the raw files state it."""
    per = plan.groupby("customer_id").size().reindex(IDS, fill_value=0)
    assert per.max() <= rules.get("max_offers_per_customer", 1)
    copies = plan.groupby(["customer_id", "offer"], observed=True).size()
    assert (copies.max() if len(copies) else 0) <= rules.get("max_per_offer_per_customer", 1)
    held = plan.groupby("customer_id")["offer"].agg(lambda s: set(s.astype(str)))
    for x, y in rules.get("exclusive", []):
        assert not held.map(lambda s: x in s and y in s).any()
    for b, needs in rules.get("requires", {}).items():
        for a in needs if isinstance(needs, list) else [needs]:
            assert not held.map(lambda s: b in s and a not in s).any()
    if rules.get("cooling_off_days") is not None or rules.get("max_contacts_90_days") is not None:
        past = _history(folder)
        contacted = per > 0
        if rules.get("cooling_off_days") is not None:
            assert not (contacted & (past.days < float(rules["cooling_off_days"]))).any()
        if rules.get("max_contacts_90_days") is not None:
            assert not (contacted & (past.contacts + per > float(rules["max_contacts_90_days"]))).any()
    if rules.get("max_offers_per_household") is not None:
        assert per.groupby(_households(folder).reindex(IDS)).sum().max() <= float(rules["max_offers_per_household"])


def _case(tmp: str) -> Path:
    folder = Path(tmp) / "bank"
    shutil.copytree(TEMPLATE, folder)
    return folder


# --------------------------------------------------------------------------- policies.json
NAMES = st.sampled_from(OFFERS + ["mortgag", "", "Mortgage"])
VALID = st.one_of(st.integers(1, 4), st.sampled_from([1e9, 1e20, 1e30, 10 ** 30, 2 ** 53, 2 ** 53 - 1, 3.0]))
LIMITS = st.one_of(VALID, VALID, VALID, st.integers(-3, 40), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
                   st.booleans(), st.none(), st.text(max_size=3))
VALUES = {
    "exclusive": st.one_of(st.just(EXAMPLE_RULES["exclusive"]), st.just([["gic", "rrsp"], ["gic", "savings"]]),
                           st.lists(st.lists(NAMES, min_size=1, max_size=3), max_size=3), LIMITS),
    "requires": st.one_of(st.just(EXAMPLE_RULES["requires"]), st.just({"gic": ["rrsp", "savings"]}),
                          st.dictionaries(NAMES, st.one_of(NAMES, st.lists(NAMES, max_size=2)), max_size=3), LIMITS),
}


@st.composite
def policies_text(draw) -> str:
    """A policies.json: random values for known and misspelled keys, or the example's text with a few lines
    repeated, deleted or cut (a repeated key, a truncated file)."""
    if draw(st.booleans()):
        keys = draw(st.lists(st.sampled_from(POLICY_KEYS + ("max_offers_per_custmer", "Requires")), max_size=6,
                             unique=True))
        raw = {k: draw(st.one_of(VALID, VALUES.get(k, LIMITS)) if k not in VALUES else VALUES[k]) for k in keys}
        return json.dumps(raw, indent=1)                          # NaN and Infinity written as JSON's tokens
    lines = json.dumps(EXAMPLE_RULES, indent=1).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 3))):
        if len(lines) < 3:
            break
        k = draw(st.integers(1, len(lines) - 2))
        kind = draw(st.sampled_from(["repeat", "delete", "cut", "value"]))
        if kind == "repeat":
            lines.insert(k, lines[k] if lines[k].rstrip().endswith(",") else lines[k].rstrip() + ",\n")
        elif kind == "delete" and len(lines) > 3:
            del lines[k]
        elif kind == "cut":
            lines = lines[:k] + [lines[k][:draw(st.integers(0, len(lines[k])))]]
        else:
            key = lines[k].split(":")[0]
            lines[k] = f"{key}: {json.dumps(draw(LIMITS))},\n"
    return "".join(lines)


@FUZZ
@given(policies_text(), st.sampled_from(["auto", "lagrangian"]))
def test_policies_json(text, algorithm):
    with tempfile.TemporaryDirectory() as tmp:
        folder = _case(tmp)
        (folder / "policies.json").write_text(text)
        plan = _run(folder, algorithm)
        rules = _strict(text)
        if plan is None:
            return
        assert rules is not None and set(rules) <= set(POLICY_KEYS), "a file that is not strict JSON was read"
        _keeps_every_rule(folder, rules, plan)


# --------------------------------------------------------------------------- customers.* and history.*
IDS_AS = st.sampled_from(["int64", "int32", "string", "float64"])
ID_VALUES = st.one_of(st.sampled_from(IDS), st.integers(-5, 60), st.integers(), st.none())


def _column(values: list, kind: str) -> pa.Array:
    """``values`` as an Arrow column of ``kind`` (None stays null; values that do not fit become null), or of
    text or floats where ``values`` hold text or fractions."""
    if any(isinstance(v, str) for v in values):
        kind = "string"
    elif kind != "string" and any(isinstance(v, float) and not (math.isfinite(v) and v == round(v)) for v in values):
        kind = "float64"
    if kind == "string":
        return pa.array([None if v is None else str(v) for v in values], pa.string())
    if kind == "float64":
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    bound = 2 ** 31 if kind == "int32" else 2 ** 63
    return pa.array([None if v is None or not -bound <= int(v) < bound else int(v) for v in values],
                    getattr(pa, kind)())


def _write(folder: Path, stem: str, columns: dict[str, pa.Array], fmt: str, both: bool) -> None:
    """The table as ``stem.<fmt>`` (and, with ``both``, in the other format too), instead of the bank's."""
    for old in (folder / f"{stem}.parquet", folder / f"{stem}.csv"):
        old.unlink(missing_ok=True)
    table = pa.table(columns)
    for f in {fmt, "csv" if fmt == "parquet" else "parquet"} if both else {fmt}:
        if f == "parquet":
            pq.write_table(table, folder / f"{stem}.parquet")
        else:
            with open(folder / f"{stem}.csv", "w", newline="") as fh:
                w = csv.writer(fh)
                w.writerow(table.column_names)
                w.writerows(zip(*[["" if v is None else v for v in c.to_pylist()] for c in table.columns]))


def _perturbed(draw, rows: list[list[Any]], hostile: list) -> list[list[Any]]:
    """``rows`` with 0–2 edits: a row dropped or repeated, a row of an unknown customer, or a cell made hostile
    (``hostile[c]``: the values of column c)."""
    rows = [list(r) for r in rows]
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["drop", "repeat", "add", "cell"]))
        k = draw(st.integers(0, len(rows) - 1)) if rows else 0
        if kind == "drop" and rows:
            del rows[k]
        elif kind == "repeat" and rows:
            rows.insert(k, [rows[k][0]] + [draw(h) for h in hostile[1:]] if draw(st.booleans()) else list(rows[k]))
        elif kind == "add":
            rows.append([draw(st.integers(1000, 2000))] + [draw(h) for h in hostile[1:]])
        elif rows:
            c = draw(st.integers(0, len(hostile) - 1))
            rows[k][c] = draw(hostile[c])
    return rows


def _columns(draw, names: tuple[str, ...], rows: list[list[Any]], kinds: list) -> dict[str, pa.Array]:
    """The rows as Arrow columns of the drawn kinds; now and then a column renamed or left out."""
    columns = {n: _column([r[c] for r in rows], draw(kinds[c])) for c, n in enumerate(names)}
    if draw(st.integers(0, 7)) == 0:
        name = draw(st.sampled_from(names))
        array = columns.pop(name)
        if draw(st.booleans()):
            columns[draw(st.sampled_from(["household", "customer_id ", "note", "days"]))] = array
    return columns


MOSTLY_INT = st.sampled_from(["int64"] * 4 + ["int32", "string", "float64"])


@st.composite
def customers_table(draw) -> dict[str, pa.Array]:
    """The bank's households (every scored customer once), perturbed: rows dropped, repeated (in the same or
    another household), unknown customers, null or huge cells, ids or households of another type."""
    cells = [ID_VALUES, st.one_of(st.integers(0, 12), st.none(), st.integers(), st.text(max_size=2))]
    rows = _perturbed(draw, [[i, i // 2] for i in IDS], cells)
    return _columns(draw, ("customer_id", "household_id"), rows,
                    [MOSTLY_INT, st.sampled_from(["int64", "int64", "string", "float64"])])


def _checked_run(tmp: str, stem: str, columns, fmt: str, both: int):
    """Write ``stem`` (both formats when ``both`` is 0) into a fresh campaign and run it: None where it is refused,
    else the folder, whose plan keeps every rule and which was not read from two formats."""
    folder = _case(tmp)
    _write(folder, stem, columns, fmt, both == 0)
    plan = _run(folder)
    if plan is None:
        return None
    assert both != 0, f"{stem}.parquet beside {stem}.csv was read"
    _keeps_every_rule(folder, EXAMPLE_RULES, plan)
    return folder


@FUZZ
@given(customers_table(), st.sampled_from(["parquet", "csv"]), st.integers(0, 7))
def test_customers_file(columns, fmt, both):
    with tempfile.TemporaryDirectory() as tmp:
        folder = _checked_run(tmp, "customers", columns, fmt, both)
        if folder is None:
            return
        houses = _households(folder)                    # every customer once, as written
        loaded = load_problem(folder).policy
        assert loaded is not None and loaded.household is not None
        same = houses.reindex(IDS).to_numpy()
        assert np.array_equal(same[:, None] == same[None, :], loaded.household[:, None] == loaded.household[None, :])


DAYS = st.one_of(st.floats(0, 200), st.sampled_from([0.0, 13.0, 14.0, 1e20, -1.0, math.nan, math.inf]), st.none())
CONTACTS = st.one_of(st.integers(0, 4), st.sampled_from([-1, 10 ** 6, 2.5]), st.none())


_bank_history = pd.read_parquet(TEMPLATE / "history.parquet")


@st.composite
def history_table(draw) -> dict[str, pa.Array]:
    """The bank's history, perturbed as :func:`customers_table` does, with hostile days and contacts (negative,
    NaN, infinite, empty, fractional, huge)."""
    rows = [[int(r.customer_id), None if np.isnan(r.days_since_last_contact) else float(r.days_since_last_contact),
             int(r.contacts_last_90_days)] for r in _bank_history.itertuples()]
    rows = _perturbed(draw, rows, [ID_VALUES, DAYS, CONTACTS])
    contacts_kind = st.sampled_from(["float64"] + (["int64"] if all(isinstance(r[2], (int, type(None)))
                                                                     for r in rows) else []))
    return _columns(draw, HISTORY_COLUMNS, rows, [MOSTLY_INT, st.just("float64"), contacts_kind])


@FUZZ
@given(history_table(), st.sampled_from(["parquet", "csv"]), st.integers(0, 7))
def test_history_file(columns, fmt, both):
    with tempfile.TemporaryDirectory() as tmp:
        folder = _checked_run(tmp, "history", columns, fmt, both)
        if folder is None:
            return
        past = _history(folder)                         # at most one row per customer, as written
        loaded = load_problem(folder).policy
        assert loaded is not None
        assert np.array_equal(loaded.days_since, past.days.to_numpy())
        assert np.array_equal(loaded.contacts_90, past.contacts.to_numpy())


@pytest.mark.parametrize("stem", ["customers", "history"])
def test_the_fuzzed_files_start_from_a_valid_run(stem):
    """The fuzzers' bank solves with its own files, so a refusal above is the edit's."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = _case(tmp)
        plan = _run(folder)
        assert plan is not None and len(plan) > 0
        _keeps_every_rule(folder, EXAMPLE_RULES, plan)
