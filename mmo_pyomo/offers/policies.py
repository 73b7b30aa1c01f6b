"""Contact policies: the per-customer and per-household rules of a campaign (``policies.json``), with
the households and the contact history they read (the files are read by :mod:`mmo_pyomo.offers.policy_files`).

A campaign folder may hold:

* ``policies.json``, every key optional::

      {"max_offers_per_customer": 2,          # contacts per customer (default 1)
       "max_per_offer_per_customer": 1,       # copies of one offer per customer, on different channels (default 1)
       "exclusive": [["mortgage", "line_of_credit"]],   # never given together
       "requires": {"brokerage": "mutual_fund"},        # brokerage only with mutual_fund (a list for several)
       "max_offers_per_household": 3,         # needs household_id
       "cooling_off_days": 30,                # no contact within 30 days of the last one (needs history)
       "max_contacts_90_days": 4}             # past 90 days' contacts + new ones ≤ 4 (needs history)

* ``customers.parquet`` or ``.csv`` (``customer_id, household_id``), or a ``household_id`` column in the scores;
* ``history.parquet`` or ``.csv`` (``customer_id, days_since_last_contact, contacts_last_90_days``); a customer
  without a row was never contacted.

Count limits are whole numbers. One larger than can bind is clipped to what can (copies of an offer: the
channels; contacts per customer: every copy of every offer), and a household or 90-day limit of
:data:`NO_LIMIT` (2**53) or more is no limit, so "no limit" written as 1e20 is one.

Every rule holds per customer or per household, so the Lagrangian subproblem stays separable: each
customer (household) takes its best allowed package of contacts at the multipliers, found exactly by
the compiled pass (:func:`mmo_pyomo.offers.kernels.package_pass`). The checker
(:func:`mmo_pyomo.offers.offer_plan.check_offer_plan`) verifies every rule from these arrays, which hold
the files' values as read.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mmo_pyomo.errors import DataError
from mmo_pyomo.reading import check_names, closest

POLICY_KEYS = ("max_offers_per_customer", "max_per_offer_per_customer", "exclusive", "requires",
               "max_offers_per_household", "cooling_off_days", "max_contacts_90_days")
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
        if r.max_contacts_90_days is not None:              # in float64 (exact below NO_LIMIT), then a count ≤ cap
            cap = np.minimum(cap, np.clip(r.max_contacts_90_days - self.contacts_90, 0, cap)).astype(np.int64)
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
#: A count limit of this many or more is no limit (the rule is dropped): no campaign has 2**53 (9.0e15) contacts, and
#: every smaller count is exact in float64.
NO_LIMIT = 2 ** 53


def count_limit(value: object, key: str, where: str, minimum: int = 0) -> int:
    """A count limit of ``policies.json``: a whole number ≥ ``minimum`` (1e20 is one; 2.5, true, "3" and
    Infinity are not)."""
    whole = isinstance(value, int) and not isinstance(value, bool) or \
        isinstance(value, float) and math.isfinite(value) and value == round(value)
    if not whole:
        raise DataError(f"{where} {key} is {value!r}, not a whole number",
                        f"give {key} as a whole number ≥ {minimum} (a large one, such as 1e20, is no limit)")
    if value < minimum:                                           # type: ignore[operator]
        raise DataError(f"{where} {key} is {value!r}, below {minimum}", f"give {key} as a whole number ≥ {minimum}")
    return int(value)                                             # type: ignore[call-overload]


def _finite(value: int | float) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:                       # an integer past float's range (JSON has no limit on digits)
        return False


def household_limit(raw: dict, where: str) -> int | None:
    """``max_offers_per_household`` of a ``policies.json`` object: None when absent, null or :data:`NO_LIMIT` or
    more (no household can take that many contacts)."""
    if raw.get("max_offers_per_household") is None:
        return None
    limit = count_limit(raw["max_offers_per_household"], "max_offers_per_household", where, 0)
    return None if limit >= NO_LIMIT else limit


def _offer(name: object, key: str, where: str, offers: list[str]) -> int:
    if not isinstance(name, str) or name not in offers:
        raise DataError(f"{where} {key} names unknown offer {name!r}{closest(str(name), offers)}",
                        f"use an offer of offers.csv ({', '.join(offers)})")
    return offers.index(name)


def parse_rules(raw: object, offers: list[str], where: str = "policies.json", channels: int | None = None) -> ContactRules:
    """A ``policies.json`` object as :class:`ContactRules`, every key and name checked (``where`` names it in the
    errors). Count limits are whole numbers; one above what can bind (``channels``: the campaign's number of
    channels) is clipped to it, and a household or 90-day limit of :data:`NO_LIMIT` or more is no limit."""
    if not isinstance(raw, dict):
        raise DataError(f"{where} holds a {type(raw).__name__}, not an object",
                        'write an object such as {"max_offers_per_customer": 2}')
    check_names(list(raw), POLICY_KEYS, f"{where}", "key")
    kw: dict[str, Any] = {}
    # limits above what can bind are clipped to it (copies of an offer: one per channel; contacts: every copy of every
    # offer), so that "no limit" written as 1e20 is no limit, and nothing is sized by more than can be used
    if "max_per_offer_per_customer" in raw:
        D = count_limit(raw["max_per_offer_per_customer"], "max_per_offer_per_customer", where, 1)
        kw["max_per_offer_per_customer"] = min(D, max(channels, 1)) if channels is not None else min(D, NO_LIMIT)
    D = kw.get("max_per_offer_per_customer", 1)
    if "max_offers_per_customer" in raw:
        M = count_limit(raw["max_offers_per_customer"], "max_offers_per_customer", where, 1)
        kw["max_offers_per_customer"] = min(M, max(len(offers), 1) * D)
    kw["max_offers_per_household"] = household_limit(raw, where)
    if raw.get("max_contacts_90_days") is not None:
        L = count_limit(raw["max_contacts_90_days"], "max_contacts_90_days", where, 0)
        kw["max_contacts_90_days"] = None if L >= NO_LIMIT else L
    if raw.get("cooling_off_days") is not None:
        v = raw["cooling_off_days"]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not _finite(v) or v < 0:
            raise DataError(f"{where} cooling_off_days is {v!r}, not a number ≥ 0",
                            "give the days as a finite number ≥ 0 (leave the key out for no cooling-off)")
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
        room = np.add.reduceat(policy.customer_cap()[order], starts[:-1]) if len(order) else np.zeros(1, np.int64)
        H = int(min(r.max_offers_per_household, room.max()))     # the pass's tables are H + 1 long: no more than binds
    else:
        order, starts, H = np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    args = PackageArgs(r.max_per_offer_per_customer, policy.customer_cap(), rule, r.valid_subsets(), req, order,
                       starts, H)
    policy.cache["args"] = args
    return args
