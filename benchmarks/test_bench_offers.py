"""Offer optimization at 250,000 customers (5.6 million score rows): load and exact solve.

The load is measured side by side with its physical floor, a bare ``pyarrow.parquet.read_table``
of the same file, so the ratio of the two means is the number to read. The exact solve is
measured with its evaluations, each one pass over the dense arrays.
"""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from mmo_pyomo.offers.bank import generate_problem, write_problem
from mmo_pyomo.offers.exact import solve_exact
from mmo_pyomo.offers.offer_plan import check_offer_plan
from mmo_pyomo.offers.problem import load_problem

CUSTOMERS = 250_000


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    return write_problem(generate_problem(CUSTOMERS, seed=1), tmp_path_factory.mktemp("bank") / "bank")


def test_offers_read_table_floor(benchmark, bank):
    """The floor: pyarrow reads the scores and does nothing else."""
    table = benchmark.pedantic(pq.read_table, args=(bank / "scores.parquet",), rounds=5, iterations=1,
                               warmup_rounds=1)
    assert table.num_rows > 5_000_000


def test_offers_load(benchmark, bank):
    """Read, validate every row and lay out densely (compare with the floor above)."""
    prob = benchmark.pedantic(load_problem, args=(bank,), rounds=5, iterations=1, warmup_rounds=1)
    assert 0.9 * CUSTOMERS < prob.n_customers <= CUSTOMERS     # customers with no allowed offer have no rows


def test_offers_exact_solve(benchmark, bank):
    """The exact method to a certified gap of 1e-4."""
    prob = load_problem(bank)
    result = benchmark.pedantic(solve_exact, args=(prob,), rounds=3, iterations=1, warmup_rounds=1)
    assert result.bound_gap <= 1e-4 and check_offer_plan(prob, result.choice).feasible
    benchmark.extra_info.update(evaluations=result.info["evaluations"], oracle_pass_s=result.info["oracle_pass_s"],
                                bound_gap=result.bound_gap)


@pytest.fixture(scope="module")
def loaded(bank):
    return load_problem(bank)


def test_offers_memory_pass_floor(benchmark, loaded):
    """The memory floor of an evaluation: one plain numpy pass that reads the dense arrays (profit, cost,
    eligible) once, single-threaded. Compare the oracle pass below with it."""
    import numpy as np

    def numpy_pass() -> float:
        return float(loaded.profit.sum(dtype=np.float64) + loaded.cost.sum(dtype=np.float64)
                     + np.count_nonzero(loaded.eligible))
    benchmark.pedantic(numpy_pass, rounds=5, iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(bytes=int(loaded.profit.nbytes + loaded.cost.nbytes + loaded.eligible.nbytes))


def test_offers_oracle_pass(benchmark, loaded):
    """One Lagrangian evaluation over all customers in one thread (the solve runs the partitions on every core)."""
    import numpy as np

    from mmo_pyomo.offers.coupling import coupling_rows, partition_oracle
    rows = coupling_rows(loaded)
    lam = np.full(rows.m, 0.1)
    benchmark.pedantic(partition_oracle, args=(loaded, rows, lam, slice(0, loaded.n_customers)), rounds=5,
                       iterations=1, warmup_rounds=1)


@pytest.fixture(scope="module")
def with_policies(bank):
    """The same customers under the generated bank's contact policies (bank.EXAMPLE_RULES: two contacts per
    customer, an exclusive pair, a requirement, households of 1–4, cooling-off and a 90-day maximum)."""
    from mmo_pyomo.offers.bank import example_policy
    prob = load_problem(bank)
    prob.policy = example_policy(prob, 1)
    return prob


@pytest.mark.parametrize("policies", ["none", "example"])
def test_offers_oracle_pass_with_and_without_policies(benchmark, loaded, with_policies, policies):
    """One Lagrangian evaluation in one thread, with the plain one-offer pass and with the policy's package pass
    (per customer, the best allowed package; per household, a knapsack), both at the multipliers where the
    solve under the policies stops: the ratio of the two is the price of the policies."""
    from mmo_pyomo.offers.coupling import coupling_rows, partition_oracle
    prob = loaded if policies == "none" else with_policies
    rows = coupling_rows(prob)
    lam = solve_exact(with_policies).info["lam"]
    benchmark.pedantic(partition_oracle, args=(prob, rows, lam, slice(0, prob.n_customers)), rounds=5,
                       iterations=1, warmup_rounds=1)
    benchmark.extra_info.update(customers=prob.n_customers)


def test_offers_exact_solve_with_policies(benchmark, with_policies):
    """The exact method under the contact policies to a certified gap of 1e-4."""
    result = benchmark.pedantic(solve_exact, args=(with_policies,), rounds=3, iterations=1, warmup_rounds=1)
    assert result.bound_gap <= 1e-4 and check_offer_plan(with_policies, result.choice).feasible
    benchmark.extra_info.update(evaluations=result.info["evaluations"], oracle_pass_s=result.info["oracle_pass_s"],
                                bound_gap=result.bound_gap)
