"""Contact policies: the per-customer and per-household rules of a campaign (``policies.json``), with
the households and the contact history they read.

A campaign folder may hold:

* ``policies.json``, every key optional::

      {"max_offers_per_customer": 2,          # contacts per customer (default 1)
       "max_per_offer_per_customer": 1,       # copies of one offer per customer, on different channels (default 1)
       "exclusive": [["mortgage", "line_of_credit"]],   # never given together
       "requires": {"brokerage": "mutual_fund"},        # brokerage only with mutual_fund (a list for several)
       "max_offers_per_household": 3,         # needs household_id
       "cooling_off_days": 30,                # no contact within 30 days of the last one (needs history)
       "max_contacts_90_days": 4}             # past 90 days' contacts + new ones ≤ 4 (needs history)

* ``customers.parquet`` (``customer_id, household_id``), or a ``household_id`` column in the scores;
* ``history.parquet`` (``customer_id, days_since_last_contact, contacts_last_90_days``); a customer
  without a row was never contacted.

Every rule holds per customer or per household, so the Lagrangian subproblem stays separable: each
customer (household) takes its best allowed package of contacts at the multipliers, found exactly by
the compiled pass (:func:`mmo_pyomo.offers.kernels.package_pass`). The checker
(:func:`mmo_pyomo.offers.offer_plan.check_offer_plan`) verifies every rule from these arrays, which hold
the files' values as read.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from mmo_pyomo.errors import DataError
from mmo_pyomo.reading import check_names, closest

log = logging.getLogger(__name__)

POLICY_KEYS = ("max_offers_per_customer", "max_per_offer_per_customer", "exclusive", "requires",
               "max_offers_per_household", "cooling_off_days", "max_contacts_90_days")
HISTORY_COLUMNS = ("customer_id", "days_since_last_contact", "contacts_last_90_days")
CUSTOMER_COLUMNS = ("customer_id", "household_id")
#: Offers that may take part in an ``exclusive`` or ``requires`` rule (the compiled pass enumerates their subsets).
MAX_RULE_OFFERS = 12


@dataclass(frozen=True)
class ContactRules:
    """The rules of ``policies.json``, offers as positions in the campaign's offer list."""

    max_offers_per_customer: int = 1
    max_per_offer_per_customer: int = 1
    exclusive: tuple[tuple[int, int], ...] = ()
    requires: tuple[tuple[int, int], ...] = ()         # (B, A): B only with A
    max_offers_per_household: int | None = None
    cooling_off_days: float | None = None
    max_contacts_90_days: int | None = None

    @property
    def default(self) -> bool:
        """True for the rules of a campaign without ``policies.json``: one offer per customer, nothing else."""
        return self == ContactRules()

    def rule_offers(self) -> np.ndarray:
        """The offers named by an ``exclusive`` or ``requires`` rule, in offer order."""
        return np.array(sorted({j for pair in self.exclusive + self.requires for j in pair}), np.int64)

    def valid_subsets(self) -> np.ndarray:
        """For each subset T of :meth:`rule_offers` (bit t = the t-th of them), whether T keeps every
        ``exclusive`` and ``requires`` rule (an offer of T that needs another needs it in T)."""
        rel = list(self.rule_offers())
        pos = {j: t for t, j in enumerate(rel)}
        ok = np.ones(1 << len(rel), np.bool_)
        for mask in range(1 << len(rel)):
            def has(j: int) -> bool:
                return bool(mask >> pos[j] & 1)
            if any(has(x) and has(y) for x, y in self.exclusive) or any(has(b) and not has(a) for b, a in self.requires):
                ok[mask] = False
        return ok

    def alone(self, J: int) -> np.ndarray:
        """Per offer, whether it may be given as a customer's only offer (it requires no other)."""
        ok = np.ones(J, np.bool_)
        for b, _ in self.requires:
            ok[b] = False
        return ok


@dataclass
class ContactPolicy:
    """The rules and the per-customer data they read, aligned with the campaign's customers."""

    rules: ContactRules
    days_since: np.ndarray                      # days since the last contact per customer (inf: never contacted)
    contacts_90: np.ndarray                     # contacts in the last 90 days per customer
    household: np.ndarray | None = None         # household_id per customer, as read (None: no households)
    cache: dict = field(default_factory=dict, repr=False)

    def part(self, part: slice) -> ContactPolicy:
        """The policy of the customers in ``part`` (views)."""
        return replace(self, household=None if self.household is None else self.household[part],
                       days_since=self.days_since[part], contacts_90=self.contacts_90[part], cache={})

    def customer_cap(self) -> np.ndarray:
        """How many contacts each customer may receive: the per-customer maximum, 0 within the cooling-off
        period, and what the 90-day maximum leaves."""
        if "cap" in self.cache:
            return self.cache["cap"]
        r = self.rules
        cap = np.full(len(self.days_since), r.max_offers_per_customer, np.int64)
        if r.cooling_off_days is not None:
            cap[self.days_since < r.cooling_off_days] = 0
        if r.max_contacts_90_days is not None:
            cap = np.minimum(cap, np.maximum(r.max_contacts_90_days - self.contacts_90, 0).astype(np.int64))
        self.cache["cap"] = cap
        return cap

    def house_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """(the household ids, each customer's position among them): the households as 0, 1, … (cached)."""
        if "house_codes" not in self.cache:
            assert self.household is not None
            houses, code = np.unique(self.household, return_inverse=True)
            self.cache["house_codes"] = (houses, code.astype(np.int64))
        return self.cache["house_codes"]

    def groups(self) -> tuple[np.ndarray, np.ndarray]:
        """The customers in household order and where each household starts (singletons without households)."""
        if "groups" in self.cache:
            return self.cache["groups"]
        h = self.household
        assert h is not None
        order = np.argsort(h, kind="stable")
        starts = np.flatnonzero(np.r_[True, h[order][1:] != h[order][:-1]]) if len(h) else np.zeros(0, np.int64)
        self.cache["groups"] = (order.astype(np.int64), np.r_[starts, len(h)].astype(np.int64))
        return self.cache["groups"]


def active(policy: ContactPolicy | None) -> bool:
    """Whether ``policy`` asks anything beyond one offer per customer (else the plain one-offer oracle applies)."""
    return policy is not None and not policy.rules.default


def plan_width(policy: ContactPolicy | None) -> int:
    """The plan's contacts per customer: a plan is one option per customer (−1: none), or with a policy that allows
    more, a row of ``max_offers_per_customer`` options per customer (−1 padded)."""
    return 1 if policy is None else policy.rules.max_offers_per_customer


# --------------------------------------------------------------------------- reading
def _whole(value: object, key: str, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value) or value != round(value):
        raise DataError(f"{where} {key} is {value!r}, not a whole number", f"give {key} as a whole number")
    if value < minimum:
        raise DataError(f"{where} {key} is {value!r}, below {minimum}", f"give {key} as a whole number ≥ {minimum}")
    return int(value)


def _offer(name: object, key: str, where: str, offers: list[str]) -> int:
    if not isinstance(name, str) or name not in offers:
        raise DataError(f"{where} {key} names unknown offer {name!r}{closest(str(name), offers)}",
                        f"use an offer of offers.csv ({', '.join(offers)})")
    return offers.index(name)


def read_rules(path: Path, offers: list[str]) -> ContactRules:
    """``policies.json`` as :class:`ContactRules`, every key and name checked."""
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataError(f"'{path}' is not valid JSON ({exc})", 'write an object such as {"max_offers_per_customer": 2}') \
            from None
    return parse_rules(raw, offers, f"'{path}'")


def parse_rules(raw: object, offers: list[str], where: str = "policies.json") -> ContactRules:
    """A ``policies.json`` object as :class:`ContactRules`, every key and name checked (``where`` names it in the
    errors)."""
    if not isinstance(raw, dict):
        raise DataError(f"{where} holds a {type(raw).__name__}, not an object",
                        'write an object such as {"max_offers_per_customer": 2}')
    check_names(list(raw), POLICY_KEYS, f"{where}", "key")
    kw: dict[str, Any] = {}
    for key in ("max_offers_per_customer", "max_per_offer_per_customer"):
        if key in raw:
            kw[key] = _whole(raw[key], key, where, 1)
    for key in ("max_offers_per_household", "max_contacts_90_days"):
        if raw.get(key) is not None:
            kw[key] = _whole(raw[key], key, where, 0)
    if raw.get("cooling_off_days") is not None:
        v = raw["cooling_off_days"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not np.isfinite(v) or v < 0:
            raise DataError(f"{where} cooling_off_days is {v!r}, not a number ≥ 0", "give the days as a number ≥ 0")
        kw["cooling_off_days"] = float(v)
    pairs = raw.get("exclusive", [])
    if not isinstance(pairs, list) or any(not isinstance(p, list) or len(p) != 2 for p in pairs):
        raise DataError(f"{where} exclusive is {pairs!r}, not a list of offer pairs",
                        'write "exclusive": [["offer_a", "offer_b"], ...]')
    exclusive = []
    for x, y in pairs:
        a, b = _offer(x, "exclusive", where, offers), _offer(y, "exclusive", where, offers)
        if a == b:
            raise DataError(f"{where} exclusive pairs offer '{x}' with itself", "pair two different offers")
        exclusive.append((min(a, b), max(a, b)))
    kw["exclusive"] = tuple(sorted(set(exclusive)))
    kw["requires"] = _requires(raw.get("requires", {}), where, offers)
    rules = ContactRules(**kw)
    if len(rules.rule_offers()) > MAX_RULE_OFFERS:
        raise DataError(f"{where} names {len(rules.rule_offers())} offers in its exclusive and requires rules, more "
                        f"than the {MAX_RULE_OFFERS} the compiled pass enumerates", "keep the rules to fewer offers")
    both = set(rules.requires) & {(b, a) for a, b in rules.exclusive} | set(rules.requires) & set(rules.exclusive)
    if both:
        b, a = sorted(both)[0]
        raise DataError(f"{where} says '{offers[b]}' requires '{offers[a]}' and that the two are exclusive",
                        "remove one of the two rules")
    return rules


def _requires(raw: object, where: str, offers: list[str]) -> tuple[tuple[int, int], ...]:
    """``requires`` as (B, A) pairs, refusing a cycle (B needs A needs … B: none could ever be given)."""
    if not isinstance(raw, dict):
        raise DataError(f"{where} requires is {raw!r}, not an object", 'write "requires": {"offer_b": "offer_a"}')
    pairs = []
    for b_name, needs in raw.items():
        b = _offer(b_name, "requires", where, offers)
        for a_name in needs if isinstance(needs, list) else [needs]:
            a = _offer(a_name, f"requires of '{b_name}'", where, offers)
            if a == b:
                raise DataError(f"{where} says '{b_name}' requires itself", "remove that rule")
            pairs.append((b, a))
    needs_of: dict[int, set[int]] = {}
    for b, a in pairs:
        needs_of.setdefault(b, set()).add(a)
    for start in needs_of:                     # a depth-first walk from each offer finds a cycle through it
        stack, seen, path_of = [start], set(), {start: [start]}
        while stack:
            j = stack.pop()
            for a in needs_of.get(j, ()):
                if a == start:
                    cycle = " → ".join(offers[k] for k in path_of[j] + [start])
                    raise DataError(f"{where} requires rules form a cycle ({cycle}), so none of these offers could "
                                    "ever be given", "remove one requirement of the cycle")
                if a not in seen:
                    seen.add(a)
                    path_of[a] = path_of[j] + [a]
                    stack.append(a)
    return tuple(sorted(set(pairs)))


def _read_columns(path: Path, columns: tuple[str, ...]) -> pa.Table:
    """A Parquet (or CSV) table with exactly ``columns``."""
    try:
        if path.suffix == ".parquet":
            names = pq.read_schema(path).names
            check_names(names, columns, f"'{path}'", "column", columns)
            return pq.read_table(path, columns=list(columns))
        from pyarrow import csv as pacsv
        table = pacsv.read_csv(path)
        check_names(table.column_names, columns, f"'{path}'", "column", columns)
        return table
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        raise DataError(f"cannot read '{path}': {str(exc).splitlines()[0]}", "write it again as Parquet") from None


def positions(ids: np.ndarray, customer_ids: np.ndarray) -> np.ndarray:
    """Each id's position among the campaign's (sorted or not) ``customer_ids``; −1 where unknown."""
    if not len(customer_ids):
        return np.full(len(ids), -1, np.int64)
    order = np.argsort(customer_ids, kind="stable")
    pos = order[np.minimum(np.searchsorted(customer_ids, ids, sorter=order), len(order) - 1)]
    return np.where(customer_ids[pos] == ids, pos, -1)


def _numeric(table: pa.Table, col: str, path: Path) -> np.ndarray:
    arr = table.column(col)
    if not (pa.types.is_integer(arr.type) or pa.types.is_floating(arr.type)):
        raise DataError(f"'{path}' column {col} holds {arr.type}, not numbers", f"write {col} as numbers")
    return arr.to_numpy(zero_copy_only=False).astype(np.float64)


def _in_range(table: pa.Table, id_range: tuple[int, int] | None) -> pa.Table:
    if id_range is None:
        return table
    import pyarrow.compute as pc
    ids = table.column("customer_id")
    return table.filter(pc.and_(pc.greater_equal(ids, id_range[0]), pc.less(ids, id_range[1])))


def read_history(path: Path, customer_ids: np.ndarray, id_range: tuple[int, int] | None = None,
                 warn: bool = True) -> tuple[np.ndarray, np.ndarray, int]:
    """(days since the last contact, contacts in the last 90 days) per customer, from ``history.parquet``, and how
    many rows are for customers who are not in the scores: those are left out, with a warning that counts them
    (banks churn). ``id_range`` [lo, hi): only the rows of those ids (a worker's customers)."""
    table = _in_range(_read_columns(path, HISTORY_COLUMNS), id_range)
    ids = table.column("customer_id").to_numpy(zero_copy_only=False)
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
    known = pos >= 0
    if len(np.unique(pos[known])) < known.sum():
        raise DataError(f"'{path}' gives some customer's history twice", "keep one row per customer")
    d = np.full(len(customer_ids), np.inf)
    c = np.zeros(len(customer_ids))
    d[pos[known]] = np.where(np.isnan(days[known]), np.inf, days[known])
    c[pos[known]] = contacts[known]
    return d, c, unknown


def read_households(path: Path, customer_ids: np.ndarray, id_range: tuple[int, int] | None = None) -> np.ndarray:
    """``household_id`` per customer from ``customers.parquet``: every customer of the scores needs one."""
    table = _in_range(_read_columns(path, CUSTOMER_COLUMNS), id_range)
    hh = table.column("household_id")
    ids = table.column("customer_id").to_numpy(zero_copy_only=False)
    if hh.null_count:
        raise DataError(f"'{path}' gives a household_id on some rows but not on {hh.null_count:,} others",
                        "give every customer a household_id (a household of one is its own id)")
    pos = positions(ids, np.asarray(customer_ids))
    known = pos >= 0
    out = np.full(len(customer_ids), -1, np.int64)
    codes = household_codes(hh, path)
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
    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type) or pa.types.is_dictionary(column.type):
        import pandas as pd
        codes, _ = pd.factorize(column.to_numpy(zero_copy_only=False), sort=True)
        return codes.astype(np.int64)
    raise DataError(f"'{path}' household_id holds {column.type}, not integers or text", "write household ids as "
                    "integers or text")


def load_policy(folder: Path, offers: list[str], customer_ids: np.ndarray, household: np.ndarray | None = None,
                id_range: tuple[int, int] | None = None) -> ContactPolicy | None:
    """The folder's contact policy (None without ``policies.json``), with the households (``household``: from the
    scores' household_id column, if it had one) and the history its rules read. ``id_range``: the customers are
    a worker's, with the ids [lo, hi); history for unknown customers is then counted in ``cache["unknown_history"]``
    instead of a warning."""
    path = folder / "policies.json"
    if not path.is_file():
        return None
    rules = read_rules(path, offers)
    customers = folder / "customers.parquet"
    if household is None and customers.is_file():
        household = read_households(customers, customer_ids, id_range)
    if rules.max_offers_per_household is not None and household is None:
        raise DataError(f"'{path}' sets max_offers_per_household, and no household_id was given",
                        "add customers.parquet (customer_id, household_id) or a household_id column to the scores")
    history = next((folder / n for n in ("history.parquet", "history.csv") if (folder / n).is_file()), None)
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


def household_cuts(household: np.ndarray, cuts: list[int]) -> list[int]:
    """Each cut position moved up to the first one that no household straddles (a household's customers all
    before it or all from it on); cuts that coincide are kept once."""
    n = len(household)
    if not n:
        return []
    _, code = np.unique(household, return_inverse=True)
    first = np.full(code.max() + 1, n, np.int64)
    last = np.zeros(code.max() + 1, np.int64)
    np.minimum.at(first, code, np.arange(n))
    np.maximum.at(last, code, np.arange(n))
    spans = np.zeros(n + 1, np.int64)          # spans[p] > 0: a household has customers before p and from p on
    np.add.at(spans, first + 1, 1)
    np.add.at(spans, last + 1, -1)
    free = np.flatnonzero(np.cumsum(spans)[:n] == 0)          # free cut positions (0 always is)
    moved = free[np.minimum(np.searchsorted(free, cuts), len(free) - 1)]
    return sorted({int(p) for p in moved if 0 < p < n})


def household_id_cuts(folder: Path, cuts: list[int]) -> list[int]:
    """Customer-id cuts (ranges [cut_t, cut_t+1)) moved up so that no household of ``customers.parquet`` straddles
    two ranges, when ``policies.json`` has a household rule; the cuts as given otherwise."""
    path = folder / "policies.json"
    if not path.is_file() or not (folder / "customers.parquet").is_file():
        return cuts
    try:
        raw = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        return cuts                              # read_rules, which reads the file for the solve, names the error
    if not isinstance(raw, dict) or raw.get("max_offers_per_household") is None:
        return cuts
    table = _read_columns(folder / "customers.parquet", CUSTOMER_COLUMNS)
    ids = table.column("customer_id").to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    house = household_codes(table.column("household_id"), folder / "customers.parquet")[order]
    inner = household_cuts(house, [int(p) for p in np.searchsorted(ids, cuts[1:-1])])
    return [cuts[0], *sorted({int(ids[p]) for p in inner}), cuts[-1]]


@dataclass(frozen=True)
class PackageArgs:
    """What :func:`mmo_pyomo.offers.kernels.package_pass` reads of a policy, for one partition."""

    D: int
    cap: np.ndarray
    rule: np.ndarray
    valid: np.ndarray
    req: np.ndarray
    order: np.ndarray
    starts: np.ndarray
    H: int


def package_args(policy: ContactPolicy) -> PackageArgs:
    """The compiled pass's view of ``policy`` (cached on it)."""
    if "args" in policy.cache:
        return policy.cache["args"]
    r = policy.rules
    rule = r.rule_offers()
    pos = {int(j): t for t, j in enumerate(rule)}
    req = np.zeros(len(rule), np.int64)
    for b, a in r.requires:
        req[pos[b]] |= 1 << pos[a]
    if policy.household is not None and r.max_offers_per_household is not None:
        order, starts = policy.groups()
        H = r.max_offers_per_household
    else:
        order, starts, H = np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    args = PackageArgs(r.max_per_offer_per_customer, policy.customer_cap(), rule, r.valid_subsets(), req, order,
                       starts, H)
    policy.cache["args"] = args
    return args
