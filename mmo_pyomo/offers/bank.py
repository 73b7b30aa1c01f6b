"""A bank like the paper's: 11 offers, 3 channels, ownership and exclusions (documented, seeded).

Distributions (all from ``numpy.random.default_rng(seed)``):

* offers (profit given response, $; base response rate): investment — mutual_fund (180; 0.24%),
  gic (60; 0.40%), rrsp (150; 0.30%), brokerage (220; 0.12%), managed_portfolio (400; 0.08%);
  lending — credit_card (90; 0.36%), line_of_credit (140; 0.20%), mortgage (600; 0.06%);
  day-to-day — chequing_plus (40; 0.50%), savings (30; 0.60%), online_banking (15; 0.80%);
* each customer has a propensity per product family, lognormal(0, 0.7), and per offer,
  lognormal(0, 0.5); response probability = base × family × offer propensity, capped at 0.6;
* channels: direct mail $1.00 (×1 response), call-centre follow-up $1.50 (×U[1.4, 2.2]),
  branch follow-up $3.00 (×U[2.0, 3.4] × a branch-proximity factor U[0.5, 1.3]);
* expected profit = response probability × channel lift × profit given response;
* ownership: a customer owns each product with probability 10–45% (by offer) and gets no row
  for it; 3% are do-not-solicit and 2% credit-risk exclusions, with no rows at all;
* campaign: budget $1M, hurdle 20%, call centre ≤ 500,000, branch ≤ 250,000, direct mail
  unlimited, minimums 20,000 per offer except managed_portfolio 2,500 and mortgage 5,000.
  The capacities and minimums scale with the number of customers (the paper's are for 2.5M).

With ``policies=True`` (:func:`example_policy`) the bank also has contact policies: households of 1–4
customers with consecutive ids (sizes uniform), a contact history (30% of customers contacted in the last
90 days, the days uniform on [0, 90); contacts in the last 90 days Poisson(0.8) for them), and the rules
of :data:`EXAMPLE_RULES`.
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo import ranges
from mmo_pyomo.io_utils import atomic_path, atomic_write_text, output_set
from mmo_pyomo.offers.policies import ContactPolicy, ContactRules, parse_rules
from mmo_pyomo.offers.problem import OfferProblem

OFFERS = (  # name, family, profit given response, base response rate, ownership rate
    ("mutual_fund", "investment", 180.0, 0.0024, 0.20), ("gic", "investment", 60.0, 0.0040, 0.30),
    ("rrsp", "investment", 150.0, 0.0030, 0.35), ("brokerage", "investment", 220.0, 0.0012, 0.10),
    ("managed_portfolio", "investment", 400.0, 0.0008, 0.10), ("credit_card", "lending", 90.0, 0.0036, 0.45),
    ("line_of_credit", "lending", 140.0, 0.0020, 0.25), ("mortgage", "lending", 600.0, 0.0006, 0.30),
    ("chequing_plus", "day_to_day", 40.0, 0.0050, 0.40), ("savings", "day_to_day", 30.0, 0.0060, 0.35),
    ("online_banking", "day_to_day", 15.0, 0.0080, 0.30),
)
CHANNELS = (("direct_mail", 1.00), ("call_centre", 1.50), ("branch", 3.00))
PAPER_CUSTOMERS = 2_500_000
MINIMUMS = {"managed_portfolio": 2_500, "mortgage": 5_000}
#: The contact policies of a generated bank with ``--policies`` (policies.json as written).
EXAMPLE_RULES = {"max_offers_per_customer": 2, "max_per_offer_per_customer": 1,
                 "exclusive": [["line_of_credit", "mortgage"]], "requires": {"brokerage": "mutual_fund"},
                 "max_offers_per_household": 3, "cooling_off_days": 14, "max_contacts_90_days": 3}


def _chunks(customers: int, seed: int, chunk: int) -> Iterator[tuple[int, np.ndarray, np.ndarray, np.ndarray]]:
    """The bank's customers ``chunk`` at a time: (first customer, profit, cost, eligible) in dense form, drawn in
    one fixed order, so that every way of consuming them gives the same bank."""
    rng = np.random.default_rng(ranges.seed(seed))
    J, K = len(OFFERS), len(CHANNELS)
    families = sorted({o[1] for o in OFFERS})
    fam_idx = np.array([families.index(o[1]) for o in OFFERS])
    profit_given = np.array([o[2] for o in OFFERS], np.float32)
    base = np.array([o[3] for o in OFFERS], np.float32)
    owned_rate = np.array([o[4] for o in OFFERS])
    ch_cost = np.array([c[1] for c in CHANNELS], np.float32)
    for s in range(0, customers, chunk):
        m = min(chunk, customers - s)
        fam = rng.lognormal(0.0, 0.7, (m, len(families))).astype(np.float32)
        prop = rng.lognormal(0.0, 0.5, (m, J)).astype(np.float32)
        p = np.minimum(base * fam[:, fam_idx] * prop, 0.6)
        lift = np.empty((m, K), np.float32)
        lift[:, 0] = 1.0
        lift[:, 1] = rng.uniform(1.4, 2.2, m)
        lift[:, 2] = rng.uniform(2.0, 3.4, m) * rng.uniform(0.5, 1.3, m)
        P = np.minimum(p[:, :, None] * lift[:, None, :], 1.0) * profit_given[None, :, None]
        C = np.broadcast_to(ch_cost[None, None, :], (m, J, K))
        owned = rng.random((m, J)) < owned_rate
        excluded = rng.random(m) < 0.05
        E = np.ascontiguousarray(np.broadcast_to((~owned & ~excluded[:, None])[:, :, None], (m, J, K)))
        yield s, np.round(np.where(E, P, 0), 4).astype(np.float32), np.where(E, C, 0).astype(np.float32), E


def _campaign(customers: int, seed: int) -> OfferProblem:
    """The bank's campaign without customers: offers, channels, minimums, capacities, budget and hurdle."""
    J, K = len(OFFERS), len(CHANNELS)
    scale = customers / PAPER_CUSTOMERS
    mins = np.array([round(MINIMUMS.get(o[0], 20_000) * scale) for o in OFFERS], float)
    cap = np.array([np.inf, round(500_000 * scale), round(250_000 * scale)], float)
    empty = np.zeros((0, J, K), np.float32)
    return OfferProblem(np.zeros(0, np.int64), [o[0] for o in OFFERS], [c[0] for c in CHANNELS], empty, empty,
                        np.zeros((0, J, K), bool), mins, cap, budget=round(1_000_000 * scale, 2), hurdle_rate=0.20,
                        name=f"bank_{customers}_s{seed}")


def generate_problem(customers: int, seed: int = 1, chunk: int = 500_000) -> OfferProblem:
    """Generate the bank's campaign directly in dense form."""
    customers = ranges.whole(customers, "customers", 1)
    chunk = ranges.whole(chunk, "chunk", 1)
    J, K = len(OFFERS), len(CHANNELS)
    P = np.empty((customers, J, K), np.float32)
    C = np.empty((customers, J, K), np.float32)
    E = np.empty((customers, J, K), bool)
    for s, p, c, e in _chunks(customers, seed, chunk):
        P[s:s + len(p)], C[s:s + len(p)], E[s:s + len(p)] = p, c, e
    return replace(_campaign(customers, seed), customer_ids=np.arange(customers), profit=P, cost=C, eligible=E)


def write_generated(customers: int, folder: str | Path, seed: int = 1, policies: bool = False,
                    chunk: int = 500_000) -> OfferProblem:
    """Write the bank of :func:`generate_problem` (and with ``policies``, :func:`example_policy`) as a campaign folder,
    ``chunk`` customers at a time: the dense arrays of the whole bank are never held, so a bank larger than memory
    can be written. Returns the campaign without its scores. All the files or none."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    customers = ranges.whole(customers, "customers", 1)
    chunk = ranges.whole(chunk, "chunk", 1)
    shell = _campaign(customers, seed)
    folder = Path(folder)
    scored = np.zeros(customers, bool)
    with output_set():
        with atomic_path(folder / "scores.parquet") as tmp:
            writer = None
            try:
                for s, p, c, e in _chunks(customers, seed, chunk):
                    part = replace(shell, customer_ids=np.arange(s, s + len(p)), profit=p, cost=c, eligible=e)
                    scored[s:s + len(p)] = e.reshape(len(e), -1).any(axis=1)
                    table = pa.Table.from_pandas(to_long(part), preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(tmp, table.schema)
                    writer.write_table(table, row_group_size=1 << 20)
            finally:
                if writer is not None:
                    writer.close()
        _write_tables(shell, folder)
        if policies:
            _write_policy(shell.offers, _example_policy(customers, shell.offers, seed), np.arange(customers), scored,
                          folder)
    return shell


def example_policy(prob: OfferProblem, seed: int = 1) -> ContactPolicy:
    """Households, a contact history and :data:`EXAMPLE_RULES` for a generated bank (see the module docstring)."""
    return _example_policy(prob.n_customers, prob.offers, seed)


def _example_policy(n: int, offers: list[str], seed: int) -> ContactPolicy:
    rng = np.random.default_rng([ranges.seed(seed), 27])
    sizes = rng.integers(1, 5, n // 2 + 1)
    household = np.repeat(np.arange(len(sizes)), sizes)[:n].astype(np.int64) + 1
    contacted = rng.random(n) < 0.30
    days = np.where(contacted, np.floor(rng.uniform(0, 90, n)), np.inf)
    contacts = np.where(contacted, np.maximum(rng.poisson(0.8, n), 1), 0).astype(np.float64)
    return ContactPolicy(rules_from(EXAMPLE_RULES, offers), days, contacts, household)


def rules_from(raw: dict, offers: list[str]) -> ContactRules:
    """:class:`ContactRules` from a ``policies.json`` object (checked as when read from a file)."""
    return parse_rules(raw, offers)


def policy_json(rules: ContactRules, offers: list[str]) -> dict:
    """``policies.json`` of ``rules`` (offer names)."""
    out: dict = {"max_offers_per_customer": rules.max_offers_per_customer,
                 "max_per_offer_per_customer": rules.max_per_offer_per_customer,
                 "exclusive": [[offers[x], offers[y]] for x, y in rules.exclusive]}
    requires: dict[str, list[str]] = {}
    for b, a in rules.requires:
        requires.setdefault(offers[b], []).append(offers[a])
    out["requires"] = {b: a[0] if len(a) == 1 else a for b, a in requires.items()}
    for key in ("max_offers_per_household", "cooling_off_days", "max_contacts_90_days"):
        if getattr(rules, key) is not None:
            out[key] = getattr(rules, key)
    return out


def to_long(prob: OfferProblem) -> pd.DataFrame:
    """The scores in long form (only the rows that exist)."""
    idx = np.flatnonzero(prob.eligible.ravel())
    J, K = len(prob.offers), len(prob.channels)
    cust, rest = np.divmod(idx, J * K)
    off, ch = np.divmod(rest, K)
    return pd.DataFrame({
        "customer_id": prob.customer_ids[cust],
        "offer": pd.Categorical.from_codes(off, prob.offers),
        "channel": pd.Categorical.from_codes(ch, prob.channels),
        "expected_profit": prob.profit.ravel()[idx], "cost": prob.cost.ravel()[idx],
    })


def campaign_files(csv: bool = False, policies: bool = False) -> tuple[str, ...]:
    """The files of a campaign folder that :func:`write_problem` writes."""
    return ("scores.csv" if csv else "scores.parquet", "offers.csv", "channels.csv", "campaign.json") + \
        (POLICY_FILES if policies else ())


#: The files of a campaign's contact policy.
POLICY_FILES = ("policies.json", "customers.parquet", "history.parquet")


def write_problem(prob: OfferProblem, folder: str | Path, csv: bool = False) -> Path:
    """Write a campaign folder (scores as parquet, or CSV for small cases): all its files or none."""
    with output_set():
        return _write_problem(prob, Path(folder), csv)


def _write_problem(prob: OfferProblem, folder: Path, csv: bool) -> Path:
    scores = to_long(prob)
    name = "scores.csv" if csv else "scores.parquet"
    with atomic_path(folder / name) as tmp:
        scores.to_csv(tmp, index=False) if csv else scores.to_parquet(tmp, index=False)
    _write_tables(prob, folder)
    if prob.policy is not None:
        scored = np.asarray(prob.eligible.reshape(prob.n_customers, -1).any(axis=1))   # customers with a score row
        _write_policy(prob.offers, prob.policy, prob.customer_ids, scored, folder)
    return folder


def _write_tables(prob: OfferProblem, folder: Path) -> None:
    """offers.csv, channels.csv and campaign.json."""
    with atomic_path(folder / "offers.csv") as tmp:
        pd.DataFrame({"offer": prob.offers, "min_offers": prob.min_offers.astype(int)}).to_csv(tmp, index=False)
    with atomic_path(folder / "channels.csv") as tmp:
        cap = [None if not np.isfinite(c) else int(c) for c in prob.capacity]
        pd.DataFrame({"channel": prob.channels, "capacity": cap}).to_csv(tmp, index=False)
    atomic_write_text(folder / "campaign.json",
                      json.dumps({"budget": prob.budget, "hurdle_rate": prob.hurdle_rate}, indent=2) + "\n")


def _write_policy(offers: list[str], policy: ContactPolicy, customer_ids: np.ndarray, scored: np.ndarray,
                  folder: Path) -> None:
    """policies.json, customers.parquet (households) and history.parquet (customers contacted before), for the
    customers with a score row (``scored``)."""
    atomic_write_text(folder / "policies.json", json.dumps(policy_json(policy.rules, offers), indent=2) + "\n")
    if policy.household is not None:
        with atomic_path(folder / "customers.parquet") as tmp:
            pd.DataFrame({"customer_id": customer_ids[scored],
                          "household_id": policy.household[scored]}).to_parquet(tmp, index=False)
    seen = np.flatnonzero(scored & (np.isfinite(policy.days_since) | (policy.contacts_90 > 0)))
    with atomic_path(folder / "history.parquet") as tmp:
        pd.DataFrame({"customer_id": customer_ids[seen],
                      "days_since_last_contact": np.where(np.isfinite(policy.days_since[seen]),
                                                          policy.days_since[seen], np.nan),
                      "contacts_last_90_days": policy.contacts_90[seen].astype(np.int64)}).to_parquet(tmp, index=False)
