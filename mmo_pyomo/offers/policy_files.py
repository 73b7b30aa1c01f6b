"""The files of a contact policy: ``policies.json``, the households (``customers.parquet`` or ``.csv``, or the
scores' ``household_id`` column) and the history (``history.parquet`` or ``.csv``).

One rule for every file and every source:

* ``policies.json`` is read by the one strict JSON reader (:func:`mmo_pyomo.reading.read_json_object`);
* a file in two formats (``history.parquet`` beside ``history.csv``) is refused, naming both, as the scores
  are (:func:`mmo_pyomo.reading.one_format`); so are households given both in ``customers.*`` and in the
  scores;
* a customer listed twice (two households, or two histories) is refused, naming the customer and both rows;
* customer ids are compared as the scores have them: a CSV file's ids are read as the scores' type (text
  stays text: '007' is not 7), and a Parquet file whose ids are of another type (text beside integer ids)
  is refused, naming the file, the column and both types.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mmo_pyomo.errors import DataError
from mmo_pyomo.offers.policies import ContactPolicy, ContactRules, household_cuts, household_limit, parse_rules
from mmo_pyomo.reading import check_names, header_of, one_format, read_json_object

log = logging.getLogger(__name__)

HISTORY_COLUMNS = ("customer_id", "days_since_last_contact", "contacts_last_90_days")
CUSTOMER_COLUMNS = ("customer_id", "household_id")
EXAMPLE = '{"max_offers_per_customer": 2}'


def read_rules(path: Path, offers: list[str], channels: int | None = None) -> ContactRules:
    """``policies.json`` as :class:`ContactRules`, every key and name checked (``channels``: the campaign's number
    of channels, which bounds the copies of an offer)."""
    return parse_rules(read_json_object(path, EXAMPLE), offers, f"'{path}'", channels)


def history_path(folder: Path) -> Path | None:
    """The folder's history file (history.parquet or history.csv; both: an error naming both)."""
    return one_format(folder, "history")


def customers_path(folder: Path) -> Path | None:
    """The folder's households file (customers.parquet or customers.csv; both: an error naming both)."""
    return one_format(folder, "customers")


def _is_text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)))


def id_kind(customer_ids: np.ndarray) -> str:
    """How the scores write their customer ids: ``"integers"`` or ``"text"``."""
    return "integers" if np.asarray(customer_ids).dtype.kind in "iu" or not len(customer_ids) else "text"


def _read_columns(path: Path, columns: tuple[str, ...], kind: str) -> pa.Table:
    """A Parquet or CSV table with exactly ``columns``, its customer ids of the scores' ``kind``."""
    try:
        if path.suffix == ".parquet":
            check_names(pq.read_schema(path).names, columns, f"'{path}'", "column", columns)
            table = pq.read_table(path, columns=list(columns))
        else:
            from pyarrow import csv as pacsv
            check_names(header_of(path), columns, f"'{path}'", "column", columns)
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                column_types={"customer_id": pa.int64() if kind == "integers" else pa.string()}))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, UnicodeDecodeError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read '{path}': {text}", f"write it again ({', '.join(columns)}; customer_id as "
                        f"{kind}, as in the scores)") from None
    t = table.schema.field("customer_id").type
    if not (pa.types.is_integer(t) if kind == "integers" else _is_text(t)):
        raise DataError(f"'{path}' column customer_id holds {t}, and the scores' customer ids are {kind}, so no id "
                        "would match", f"write customer_id as {kind}, as in the scores (ids are compared as written: "
                        "'007' is not 7)")
    if table.column("customer_id").null_count:
        row = int(np.flatnonzero(table.column("customer_id").is_null().to_numpy(zero_copy_only=False))[0])
        raise DataError(f"'{path}' row {row + 1:,} has no customer_id", "give every row a customer_id")
    return table


def _ids(table: pa.Table) -> np.ndarray:
    """The customer_id column as int64, or as text (objects) when it is text."""
    col = table.column("customer_id")
    if pa.types.is_integer(col.type):
        return col.to_numpy(zero_copy_only=False).astype(np.int64)
    return np.asarray(pc.cast(col, pa.string()).to_pylist(), dtype=object)


def positions(ids: np.ndarray, customer_ids: np.ndarray) -> np.ndarray:
    """Each id's position among the campaign's (sorted or not) ``customer_ids``; −1 where unknown."""
    if not len(customer_ids) or not len(ids):
        return np.full(len(ids), -1, np.int64)
    order = np.argsort(customer_ids, kind="stable")
    pos = order[np.minimum(np.searchsorted(customer_ids, ids, sorter=order), len(order) - 1)]
    return np.where(customer_ids[pos] == ids, pos, -1)


def _numeric(table: pa.Table, col: str, path: Path) -> np.ndarray:
    arr = table.column(col)
    if not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type) or pa.types.is_null(arr.type)):
        raise DataError(f"'{path}' column {col} holds {arr.type}, not numbers", f"write {col} as numbers")
    return arr.to_numpy(zero_copy_only=False).astype(np.float64)


def _in_range(table: pa.Table, id_range: tuple[int, int] | None) -> pa.Table:
    if id_range is None:
        return table
    ids = table.column("customer_id")
    return table.filter(pc.and_(pc.greater_equal(ids, id_range[0]), pc.less(ids, id_range[1])))


def _once(path: Path, ids: np.ndarray, pos: np.ndarray, what: str, values: pa.ChunkedArray | None = None) -> None:
    """Refuse a customer of the scores on two rows of ``path`` (naming the customer, both rows and, with
    ``values``, both of its values)."""
    rows = np.flatnonzero(pos >= 0)
    order = rows[np.argsort(pos[rows], kind="stable")]
    twice = np.flatnonzero(pos[order][1:] == pos[order][:-1])
    if not len(twice):
        return
    first, second = int(order[twice[0]]), int(order[twice[0] + 1])
    one, other = (None, None) if values is None else (values[first].as_py(), values[second].as_py())
    if one != other:
        raise DataError(f"'{path}' puts customer {ids[first]} in two households: household_id {one!r} "
                        f"(row {first + 1:,}) and {other!r} (row {second + 1:,})",
                        "give each customer one row, with its one household")
    raise DataError(f"'{path}' gives customer {ids[first]}'s {what} twice (rows {first + 1:,} and {second + 1:,})",
                    "keep one row per customer")


def history_ids(path: Path) -> np.ndarray:
    """The customer ids of the history file ``path``, as integers (the ids of scores held by workers)."""
    return _ids(_read_columns(path, HISTORY_COLUMNS, "integers"))


def read_history(path: Path, customer_ids: np.ndarray, id_range: tuple[int, int] | None = None,
                 warn: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """(days since the last contact, contacts in the last 90 days) per customer, from ``history.*``, and how
    many rows are for customers who are not in the scores: those are left out, with a warning that counts them
    (banks churn). ``id_range`` [lo, hi): only the rows of those ids (a worker's customers)."""
    table = _in_range(_read_columns(path, HISTORY_COLUMNS, id_kind(customer_ids)), id_range)
    ids = _ids(table)
    days, contacts = _numeric(table, "days_since_last_contact", path), _numeric(table, "contacts_last_90_days", path)
    for name, values in (("days_since_last_contact", days), ("contacts_last_90_days", contacts)):
        bad = np.flatnonzero(~(values >= 0) & ~(np.isnan(values) & (name == "days_since_last_contact")))
        if len(bad):
            raise DataError(f"'{path}' row {bad[0] + 1:,} (customer_id {ids[bad[0]]}) has {name} {values[bad[0]]}, "
                            "not a number ≥ 0", f"give {name} as a number ≥ 0 (an empty days cell: never contacted)")
    pos = positions(ids, np.asarray(customer_ids))
    unknown = int((pos < 0).sum())
    if unknown and warn:
        log.warning("%s: %s row(s) are for customers who are not in the scores; they were left out", path,
                    f"{unknown:,}")
    _once(path, ids, pos, "history")
    known = pos >= 0
    d = np.full(len(customer_ids), np.inf)
    c = np.zeros(len(customer_ids))
    d[pos[known]] = np.where(np.isnan(days[known]), np.inf, days[known])
    c[pos[known]] = contacts[known]
    return d, c, unknown


def read_households(path: Path, customer_ids: np.ndarray, id_range: tuple[int, int] | None = None) -> np.ndarray:
    """``household_id`` per customer from ``customers.*``: every customer of the scores needs one, and one only."""
    table = _in_range(_read_columns(path, CUSTOMER_COLUMNS, id_kind(customer_ids)), id_range)
    hh = table.column("household_id")
    ids = _ids(table)
    if hh.null_count:
        raise DataError(f"'{path}' gives a household_id on some rows but not on {hh.null_count:,} others",
                        "give every customer a household_id (a household of one is its own id)")
    pos = positions(ids, np.asarray(customer_ids))
    codes = household_codes(hh, path)
    _once(path, ids, pos, "household", hh)
    known = pos >= 0
    out = np.full(len(customer_ids), -1, np.int64)
    out[pos[known]] = codes[known]
    missing = int((out < 0).sum())
    if missing:
        first = customer_ids[np.flatnonzero(out < 0)[0]]
        raise DataError(f"'{path}' gives no household_id for {missing:,} customer(s) of the scores (customer_id "
                        f"{first}, …): a household id on some rows but not others",
                        "give every customer a household_id (a household of one is its own id)")
    return out


def household_codes(column: pa.ChunkedArray | pa.Array, path: Path | str) -> np.ndarray:
    """Household ids as int64 (integers as they are, text by its sorted position)."""
    if pa.types.is_integer(column.type):
        return column.to_numpy(zero_copy_only=False).astype(np.int64)
    if _is_text(column.type):
        import pandas as pd
        codes, _ = pd.factorize(np.asarray(pc.cast(column, pa.string()).to_pylist(), dtype=object), sort=True)
        return codes.astype(np.int64)
    raise DataError(f"'{path}' household_id holds {column.type}, not integers or text", "write household ids as "
                    "integers or text")


def load_policy(folder: Path, offers: list[str], customer_ids: np.ndarray, household: np.ndarray | None = None,
                id_range: tuple[int, int] | None = None, channels: int | None = None) -> ContactPolicy | None:
    """The folder's contact policy (None without ``policies.json``), with the households (``household``: from the
    scores' household_id column, if it had one) and the history its rules read. ``id_range``: the customers are
    a worker's, with the ids [lo, hi); history for unknown customers is then counted in ``cache["unknown_history"]``
    instead of a warning. ``channels``: the campaign's number of channels."""
    path = folder / "policies.json"
    if not path.is_file():
        return None
    rules = read_rules(path, offers, channels)
    customers = customers_path(folder)
    if household is not None and customers is not None:
        raise DataError(f"the households are given twice: in the scores' household_id column and in '{customers}', "
                        "so which is meant is unknown (as with scores.parquet beside scores.csv)",
                        f"keep one source: drop the household_id column from the scores, or remove '{customers}'")
    if household is None and customers is not None:
        household = read_households(customers, customer_ids, id_range)
    if rules.max_offers_per_household is not None and household is None:
        raise DataError(f"'{path}' sets max_offers_per_household, and no household_id was given",
                        "add customers.parquet (customer_id, household_id) or a household_id column to the scores")
    history = history_path(folder)
    needs_history = [k for k in ("cooling_off_days", "max_contacts_90_days") if getattr(rules, k) is not None]
    days = contacts = None
    unknown = 0
    if history is not None:
        days, contacts, unknown = read_history(history, customer_ids, id_range, warn=id_range is None)
    elif needs_history:
        raise DataError(f"'{path}' sets {needs_history[0]}, and '{folder / 'history.parquet'}' is missing",
                        "add history.parquet (customer_id, days_since_last_contact, contacts_last_90_days), or remove "
                        "the rule")
    n = len(customer_ids)
    policy = ContactPolicy(rules, days if days is not None else np.full(n, np.inf),
                           contacts if contacts is not None else np.zeros(n),
                           household if rules.max_offers_per_household is not None else None)
    policy.cache["unknown_history"] = unknown
    return policy


def household_id_cuts(folder: Path, cuts: list[int]) -> list[int]:
    """Customer-id cuts (ranges [cut_t, cut_t+1)) moved up so that no household of ``customers.*`` straddles
    two ranges, when ``policies.json`` has a household rule; the cuts as given otherwise."""
    path = folder / "policies.json"
    customers = customers_path(folder) if path.is_file() else None
    if customers is None or household_limit(read_json_object(path, EXAMPLE), f"'{path}'") is None:
        return cuts
    table = _read_columns(customers, CUSTOMER_COLUMNS, "integers")       # the workers' scores have integer ids
    ids = _ids(table)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    house = household_codes(table.column("household_id"), customers)[order]
    inner = household_cuts(house, [int(p) for p in np.searchsorted(ids, cuts[1:-1])])
    return [cuts[0], *sorted({int(ids[p]) for p in inner}), cuts[-1]]
