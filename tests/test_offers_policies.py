"""Contact policies: the exact package pass against brute force, certified plans that keep every rule (checked
here again from the raw files), the customer-level MIP with the rules, executors, and bad input."""
from __future__ import annotations

import itertools
import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mmo_pyomo.cli.main import main
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.bank import EXAMPLE_RULES, example_policy, generate_problem, rules_from, write_problem
from mmo_pyomo.offers.direct import solve_customer_mip
from mmo_pyomo.offers.exact import solve_exact
from mmo_pyomo.offers.greedy import solve_greedy
from mmo_pyomo.offers.offer_plan import check_offer_plan
from mmo_pyomo.offers.policies import ContactPolicy, ContactRules, package_args
from mmo_pyomo.offers.problem import OfferProblem, load_problem


# --------------------------------------------------------------------------- brute force, independent of the package
def _allowed(package: tuple[int, ...], K: int, rules: ContactRules, cap: int) -> bool:
    offers = [o // K for o in package]
    return (len(package) <= cap and all(offers.count(j) <= rules.max_per_offer_per_customer for j in offers)
            and not any(x in offers and y in offers for x, y in rules.exclusive)
            and not any(b in offers and a not in offers for b, a in rules.requires))


def _packages(E_i: np.ndarray, K: int, rules: ContactRules, cap: int) -> list[tuple[int, ...]]:
    options = list(np.flatnonzero(E_i))
    return [S for r in range(min(len(options), cap) + 1) for S in itertools.combinations(options, r)
            if _allowed(S, K, rules, cap)]


def _brute_lagrangian(score: np.ndarray, E: np.ndarray, K: int, rules: ContactRules, cap: np.ndarray,
                      house: np.ndarray | None, H: int) -> float:
    """max over every allowed plan of Σ score: per customer, per household by enumeration of the counts."""
    best_by_count = []
    for i in range(len(E)):
        best = np.zeros(cap[i] + 1)
        for S in _packages(E[i], K, rules, cap[i]):
            best[len(S)] = max(best[len(S)], sum(score[i, o] for o in S))
        best_by_count.append(np.maximum.accumulate(best))
    if house is None:
        return float(sum(b[-1] for b in best_by_count))
    total = 0.0
    for h in np.unique(house):
        members = np.flatnonzero(house == h)
        total += max(sum(best_by_count[i][c] for i, c in zip(members, counts))
                     for counts in itertools.product(*[range(cap[i] + 1) for i in members]) if sum(counts) <= H)
    return total


def _random_rules(rng: np.random.Generator, J: int, households: bool) -> ContactRules:
    exclusive = tuple(sorted({tuple(sorted(int(v) for v in rng.choice(J, 2, replace=False)))
                              for _ in range(rng.integers(0, 2))}))
    requires: tuple[tuple[int, int], ...] = ()
    if rng.random() < 0.6:
        b, a = (int(v) for v in rng.choice(J, 2, replace=False))
        if tuple(sorted((a, b))) not in exclusive:
            requires = ((b, a),)
    return ContactRules(int(rng.integers(1, 4)), int(rng.integers(1, 3)), exclusive, requires,
                        int(rng.integers(0, 4)) if households else None, 10.0, int(rng.integers(1, 4)))


def test_the_package_pass_is_the_brute_force_optimum_per_customer_and_household():
    """At random multipliers (scores), the compiled pass's value equals the enumeration of every allowed plan, and
    its packages keep every rule and reach that value: 200 draws of 1–6 customers, 4 offers, 2 channels."""
    rng = np.random.default_rng(0)
    J, K = 4, 2
    for _ in range(200):
        n = int(rng.integers(1, 7))
        P, C = rng.normal(1, 1, (n, J * K)), rng.uniform(0, 1, (n, J * K))
        E = rng.random((n, J * K)) < 0.7
        households = rng.random() < 0.5
        rules = _random_rules(rng, J, households)
        policy = ContactPolicy(rules, np.where(rng.random(n) < 0.2, 5.0, np.inf), rng.integers(0, 3, n).astype(float),
                               rng.integers(0, 3, n) if households else None)
        g = package_args(policy)
        a, b, shift = 1 + rng.random(), rng.random(), rng.normal(0, 0.3, J * K)
        counts, out = np.zeros(J * K, np.int64), np.full((n, rules.max_offers_per_customer), -7, np.int64)
        value, _, _ = kernels.package_pass(P, C, E, a, b, shift, J, K, g.D, g.cap, g.rule, g.valid, g.req, g.order,
                                           g.starts, g.H, counts, out, True)
        score = a * P - b * C + shift
        assert value == pytest.approx(_brute_lagrangian(score, E, K, rules, g.cap, policy.household, g.H), abs=1e-9)
        assert value == pytest.approx(sum(score[i, o] for i in range(n) for o in out[i] if o >= 0), abs=1e-9)
        for i in range(n):
            package = tuple(int(o) for o in out[i] if o >= 0)
            assert _allowed(package, K, rules, g.cap[i]) and all(E[i, o] for o in package)
            assert len(set(package)) == len(package)
        assert counts.sum() == (out >= 0).sum()


def _tiny_campaign(rng: np.random.Generator) -> OfferProblem:
    n, J, K = 4, 3, 2
    P = rng.uniform(0.5, 3.0, (n, J, K)).astype(np.float32)
    C = np.tile(np.array([1.0, 1.5], np.float32), (n, J, 1))
    E = rng.random((n, J, K)) < 0.8
    P, C = np.where(E, P, 0).astype(np.float32), np.where(E, C, 0).astype(np.float32)
    mins = np.array([1.0, 0.0, 0.0])
    prob = OfferProblem(np.arange(n), ["a", "b", "c"], ["mail", "call"], P, C, E, mins,
                        np.array([np.inf, 2.0]), budget=float(rng.uniform(3, 7)), hurdle_rate=0.2, name="tiny")
    rules = ContactRules(int(rng.integers(1, 4)), int(rng.integers(1, 3)), ((1, 2),) if rng.random() < 0.5 else (),
                         ((2, 0),) if rng.random() < 0.5 else (), int(rng.integers(1, 4)), 10.0, 3)
    prob.policy = ContactPolicy(rules, np.where(rng.random(n) < 0.25, 3.0, np.inf), rng.integers(0, 3, n).astype(float),
                                np.array([1, 1, 2, 2]))
    return prob


def _brute_optimum(prob: OfferProblem) -> float:
    """The campaign's optimum by enumerating every combination of allowed packages."""
    n, J, K = prob.shape
    assert prob.policy is not None
    cap = prob.policy.customer_cap()
    per = [_packages(prob.eligible.reshape(n, -1)[i], K, prob.policy.rules, int(cap[i])) for i in range(n)]
    P, C = prob.profit.reshape(n, -1).astype(float), prob.cost.reshape(n, -1).astype(float)
    best = -np.inf
    for plan in itertools.product(*per):
        flat = [(i, o) for i, S in enumerate(plan) for o in S]
        if any(sum(len(plan[i]) for i in np.flatnonzero(prob.policy.household == h))
               > prob.policy.rules.max_offers_per_household for h in (1, 2)):
            continue
        profit, cost = sum(P[i, o] for i, o in flat), sum(C[i, o] for i, o in flat)
        counts = np.bincount([o for _, o in flat], minlength=J * K).reshape(J, K)
        if cost <= prob.budget + 1e-9 and profit >= 1.2 * cost - 1e-9 and (counts.sum(axis=1) >= prob.min_offers).all() \
                and (counts.sum(axis=0) <= prob.capacity).all():
            best = max(best, profit)
    return best


def test_the_customer_level_mip_with_policies_is_the_brute_force_optimum():
    """On 12 tiny campaigns (4 customers, 2 households, random rules) the MIP's proved optimum is the enumeration's,
    the Lagrangian bound is above it, and every plan passes the checker."""
    rng = np.random.default_rng(5)
    solved = 0
    for _ in range(12):
        prob = _tiny_campaign(rng)
        optimum = _brute_optimum(prob)
        if not np.isfinite(optimum):
            continue
        mip = solve_customer_mip(prob)
        assert mip.check.feasible and mip.check.profit == pytest.approx(optimum, rel=1e-6)
        lag = solve_exact(prob, algorithm="lagrangian", gap=None)
        assert lag.check.feasible and lag.bound >= optimum - 1e-6 and lag.check.profit <= optimum + 1e-6
        solved += 1
    assert solved >= 8


# --------------------------------------------------------------------------- a generated bank with policies
@pytest.fixture(scope="module")
def policy_bank(tmp_path_factory) -> Path:
    prob = generate_problem(30_000, seed=3)
    prob.policy = example_policy(prob, 3)
    return write_problem(prob, tmp_path_factory.mktemp("policies") / "bank")


def _raw_check(folder: Path, plan: pd.DataFrame) -> None:
    """Every rule of policies.json, checked on plan.parquet against the raw files only (not the package's arrays)."""
    rules = json.loads((folder / "policies.json").read_text())
    per = plan.groupby("customer_id").size()
    assert per.max() <= rules["max_offers_per_customer"]
    assert plan.groupby(["customer_id", "offer"], observed=True).size().max() <= rules["max_per_offer_per_customer"]
    assert not plan.duplicated(["customer_id", "offer", "channel"]).any()
    held = plan.groupby("customer_id")["offer"].agg(lambda s: set(s.astype(str)))
    for x, y in rules["exclusive"]:
        assert not held.map(lambda s: x in s and y in s).any()
    for b, a in rules["requires"].items():
        assert not held.map(lambda s: b in s and a not in s).any()
    history = pd.read_parquet(folder / "history.parquet").set_index("customer_id")
    contacted = history.reindex(per.index)
    assert not (contacted["days_since_last_contact"] < rules["cooling_off_days"]).any()
    assert ((contacted["contacts_last_90_days"].fillna(0) + per) <= rules["max_contacts_90_days"]).all()
    houses = pd.read_parquet(folder / "customers.parquet").set_index("customer_id")["household_id"]
    assert per.groupby(houses.reindex(per.index)).sum().max() <= rules["max_offers_per_household"]
    scores = pd.read_parquet(folder / "scores.parquet")
    assert len(plan.merge(scores[["customer_id", "offer", "channel"]], how="inner")) == len(plan)   # rows that exist


def test_the_cli_certifies_a_plan_that_keeps_every_policy(policy_bank, tmp_path, capsys):
    assert main(["offers", "solve", "--data", str(policy_bank), "--out", str(tmp_path / "out"),
                 "--page", str(tmp_path / "plan.html")]) == 0
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["bound_gap"] <= 1e-4 and report["algorithm"] == "Lagrangian"
    assert report["profit"] <= report["bound"]
    plan = pd.read_parquet(tmp_path / "out" / "plan.parquet")
    assert len(plan) == report["offers_made"] and plan.groupby("customer_id").size().max() == 2
    _raw_check(policy_bank, plan)
    names = [row["name"] for row in report["policies"]]
    assert names == ["max_offers_per_customer", "max_per_offer_per_customer", "exclusive[line_of_credit, mortgage]",
                     "requires[brokerage → mutual_fund]", "cooling_off_days", "max_contacts_90_days",
                     "max_offers_per_household"]
    assert all(row["bound"] > 0 for row in report["policies"])
    out = capsys.readouterr().out
    assert "policy max_offers_per_household = 3: bound" in out
    page = (tmp_path / "plan.html").read_text()
    assert "Contact policies" in page and "requires[brokerage → mutual_fund]" in page


def test_policies_change_the_plan_and_the_bound_stays_above_it(policy_bank):
    """Without its policies the same bank is a different campaign: the default rules give one offer per customer."""
    prob = load_problem(policy_bank)
    with_rules = solve_exact(prob)
    prob.policy = None
    without = solve_exact(prob)
    assert with_rules.choice.shape == (prob.n_customers, 2) and without.choice.shape == (prob.n_customers,)
    assert with_rules.check.profit != pytest.approx(without.check.profit, rel=1e-3)
    for r in (with_rules, without):
        assert r.check.profit <= r.bound and r.bound_gap <= 1e-4


def test_the_checker_names_each_broken_rule(policy_bank):
    prob = load_problem(policy_bank)
    assert prob.policy is not None
    plan = solve_exact(prob).choice.copy()
    K = len(prob.channels)
    o = {name: j for j, name in enumerate(prob.offers)}
    E = prob.eligible.reshape(prob.n_customers, -1)
    cooled = int(np.flatnonzero((prob.policy.days_since < 14) & E[:, o["gic"] * K])[0])
    broken = plan.copy()
    broken[cooled] = [o["gic"] * K, -1]
    assert any("cooling_off_days" in v for v in check_offer_plan(prob, broken).violations)
    both = int(np.flatnonzero(E[:, o["line_of_credit"] * K] & E[:, o["mortgage"] * K]
                              & (prob.policy.customer_cap() == 2))[0])
    broken = plan.copy()
    broken[both] = [o["line_of_credit"] * K, o["mortgage"] * K]
    assert any("exclusive" in v for v in check_offer_plan(prob, broken).violations)
    alone = int(np.flatnonzero(E[:, o["brokerage"] * K] & (prob.policy.customer_cap() >= 1))[0])
    broken = plan.copy()
    broken[alone] = [o["brokerage"] * K, -1]
    assert any("requires" in v for v in check_offer_plan(prob, broken).violations)
    house = prob.policy.household
    members = np.flatnonzero(house == np.bincount(house).argmax())
    broken = plan.copy()
    for i in members:
        allowed = np.flatnonzero(E[i] & (np.arange(E.shape[1]) // K != o["brokerage"]))[:2]
        broken[i, :len(allowed)] = allowed
    assert any("max_offers_per_household" in v for v in check_offer_plan(prob, broken).violations)


def test_greedy_keeps_the_policies_and_cluster_refuses_them(policy_bank):
    prob = load_problem(policy_bank)
    greedy = solve_greedy(prob)
    assert greedy.check.feasible and greedy.check.profit < solve_exact(prob).bound
    from mmo_pyomo.offers.cluster import solve_cluster
    with pytest.raises(MMOError, match="does not model contact policies"):
        solve_cluster(prob, 20)


def test_partitions_keep_households_whole_and_give_the_same_plan():
    prob = generate_problem(20_000, seed=6)
    prob.policy = example_policy(prob, 6)
    rng = np.random.default_rng(1)
    assert prob.policy.household is not None
    prob.policy.household = rng.permutation(prob.policy.household)          # households scattered over the ids
    prob.policy.household[:50] = 7                                             # and one spread far
    prob.policy.household[-50:] = 7
    parts = prob.partitions(4_000)
    assert len(parts) == 1                                                     # household 7 spans every cut
    prob.policy = example_policy(prob, 6)
    parts = prob.partitions(4_000)
    assert len(parts) >= 4
    for a, b in zip(parts, parts[1:]):
        assert prob.policy.household[a.stop - 1] != prob.policy.household[b.start]
    one = solve_exact(prob, partition_size=10**7, algorithm="lagrangian")
    many = solve_exact(prob, partition_size=4_000, algorithm="lagrangian")
    assert np.array_equal(one.choice, many.choice) and one.bound == pytest.approx(many.bound, rel=1e-9)


def test_a_small_bank_with_policies_is_solved_as_one_mip():
    prob = generate_problem(10, seed=1)
    prob.policy = example_policy(prob, 1)
    result = solve_exact(prob)
    assert result.info["algorithm"] == "customer-level MIP" and result.bound_gap <= 1e-9
    assert result.check.feasible and result.choice.shape == (10, 2)


# --------------------------------------------------------------------------- bad input
def _folder_with(tmp_path: Path, policies: dict | str, customers: pd.DataFrame | None = None,
                 history: pd.DataFrame | None = None) -> Path:
    folder = write_problem(generate_problem(200, seed=2), tmp_path / "bank")
    (folder / "policies.json").write_text(policies if isinstance(policies, str) else json.dumps(policies))
    if customers is not None:
        customers.to_parquet(folder / "customers.parquet", index=False)
    if history is not None:
        history.to_parquet(folder / "history.parquet", index=False)
    return folder


@pytest.mark.parametrize("policies, message", [
    ({"exclusive": [["mortgage", "mortgag"]]}, "unknown offer 'mortgag' (did you mean 'mortgage'?)"),
    ({"requires": {"gic": "rrsp", "rrsp": "savings", "savings": "gic"}}, "form a cycle (gic → rrsp → savings → gic)"),
    ({"max_offers_per_customer": -1}, "max_offers_per_customer is -1, below 1"),
    ({"max_contacts_90_days": -2}, "max_contacts_90_days is -2, below 0"),
    ({"cooling_off_days": -5}, "cooling_off_days is -5, not a number ≥ 0"),
    ({"max_offers_per_custmer": 2}, "unknown key 'max_offers_per_custmer' (did you mean 'max_offers_per_customer'?)"),
    ({"max_offers_per_household": 2}, "no household_id was given"),
    ({"cooling_off_days": 7}, "history.parquet' is missing"),
    ("[1, 2]", "holds a list, not an object"),
])
def test_bad_policies_are_clear_errors_and_nothing_is_written(tmp_path, capsys, policies, message):
    folder = _folder_with(tmp_path, policies)
    out = tmp_path / "out"
    assert main(["offers", "solve", "--data", str(folder), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "policies.json" in err and "fix:" in err and "Traceback" not in err
    assert not out.exists()


def test_a_household_id_on_some_customers_only_is_an_error(tmp_path, capsys):
    customers = pd.DataFrame({"customer_id": np.arange(150), "household_id": np.arange(150) // 2})
    folder = _folder_with(tmp_path, {"max_offers_per_household": 2}, customers=customers)
    assert main(["offers", "solve", "--data", str(folder), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "customers.parquet" in err and "a household id on some rows but not others" in err
    customers = pd.DataFrame({"customer_id": np.arange(200), "household_id": pd.array([1, None] * 100, "Int64")})
    customers.to_parquet(folder / "customers.parquet", index=False)
    assert main(["offers", "solve", "--data", str(folder), "--out", str(tmp_path / "out")]) == 2
    assert "household_id on some rows but not on 100 others" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_history_for_unknown_customers_is_a_warning_with_a_count(tmp_path, caplog):
    history = pd.DataFrame({"customer_id": [3, 5, 10_000, 10_001], "days_since_last_contact": [2.0, 40.0, 1.0, 1.0],
                            "contacts_last_90_days": [1, 2, 1, 1]})
    folder = _folder_with(tmp_path, {"cooling_off_days": 7}, history=history)
    with caplog.at_level(logging.WARNING):
        prob = load_problem(folder)
    assert "2 row(s) are for customers who are not in the scores" in caplog.text
    assert prob.policy is not None and prob.policy.customer_cap()[list(prob.customer_ids).index(3)] == 0
    bad = history.assign(contacts_last_90_days=[1, -2, 1, 1])
    bad.to_parquet(folder / "history.parquet", index=False)
    with pytest.raises(DataError, match="contacts_last_90_days -2.0, not a number ≥ 0"):
        load_problem(folder)


def test_the_example_rules_read_back_from_json():
    offers = [name for name, *_ in __import__("mmo_pyomo.offers.bank", fromlist=["OFFERS"]).OFFERS]
    rules = rules_from(EXAMPLE_RULES, offers)
    assert rules.max_offers_per_customer == 2 and rules.max_offers_per_household == 3
    assert rules.requires == ((offers.index("brokerage"), offers.index("mutual_fund")),)
    assert not rules.default and ContactRules().default


def test_households_may_come_from_the_scores(tmp_path):
    prob = generate_problem(300, seed=2)
    prob.policy = example_policy(prob, 2)
    folder = write_problem(prob, tmp_path / "bank")
    houses = pd.read_parquet(folder / "customers.parquet")
    (folder / "customers.parquet").unlink()
    scores = pd.read_parquet(folder / "scores.parquet").merge(houses, on="customer_id")
    scores.to_parquet(folder / "scores.parquet", index=False)
    loaded = load_problem(folder)
    assert loaded.policy is not None and loaded.policy.household is not None
    assert np.array_equal(loaded.policy.household, houses.set_index("customer_id")["household_id"]
                          .reindex(loaded.customer_ids).to_numpy())
    assert solve_exact(loaded).check.feasible
    scores.loc[scores.index[1], "household_id"] += 1_000_000          # a customer in two households
    scores.to_parquet(folder / "scores.parquet", index=False)
    with pytest.raises(DataError, match="give each customer one household_id"):
        load_problem(folder)
    scores["household_id"] = pd.array([None] + [1] * (len(scores) - 1), "Int64")
    scores.to_parquet(folder / "scores.parquet", index=False)
    with pytest.raises(DataError, match="household_id on some rows but not on 1 others"):
        load_problem(folder)
