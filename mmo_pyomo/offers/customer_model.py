"""The customer-level model in Pyomo (LP or MILP), for small campaigns and as the reference.

It is the problem the ``exact`` method decomposes; at a few thousand customers any LP/MILP
engine of the registry solves it directly.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.offers.problem import OfferProblem


def customer_model(prob: OfferProblem, integer: bool = True) -> pyo.ConcreteModel:
    """max Σ profit·x s.t. one offer per customer (or the contact policy's rules), budget, ROI hurdle,
    capacities, minimums."""
    n = prob.n_customers
    J, K = len(prob.offers), len(prob.channels)
    cust, opt = np.nonzero(prob.eligible.reshape(n, -1))
    P = prob.profit.reshape(n, -1)[cust, opt].astype(float)
    C = prob.cost.reshape(n, -1)[cust, opt].astype(float)
    keys = list(zip(cust.tolist(), opt.tolist()))
    m = pyo.ConcreteModel("customer_level")
    m.X = pyo.Set(initialize=keys, dimen=2)
    m.x = pyo.Var(m.X, domain=pyo.Binary if integer else pyo.UnitInterval)
    by_cust: dict[int, list] = {}
    for i, o in keys:
        by_cust.setdefault(i, []).append(o)
    if prob.policy is None:
        m.one_offer = pyo.Constraint(list(by_cust), rule=lambda m, i: sum(m.x[i, o] for o in by_cust[i]) <= 1)
    else:
        _policy_rows(m, prob, by_cust)
    profit = pyo.quicksum(p * m.x[k] for p, k in zip(P, keys))
    cost = pyo.quicksum(c * m.x[k] for c, k in zip(C, keys))
    m.budget = pyo.Constraint(expr=cost <= prob.budget)
    m.roi_hurdle = pyo.Constraint(expr=(1 + prob.hurdle_rate) * cost - profit <= 0)
    m.capacity = pyo.Constraint([k for k in range(K) if np.isfinite(prob.capacity[k])], rule=lambda m, k:
                                pyo.quicksum(m.x[i, o] for i, o in keys if o % K == k) <= prob.capacity[k])
    m.minimum = pyo.Constraint([j for j in range(J) if prob.min_offers[j] > 0], rule=lambda m, j:
                               -pyo.quicksum(m.x[i, o] for i, o in keys if o // K == j) <= -prob.min_offers[j])
    m.profit = pyo.Objective(expr=profit, sense=pyo.maximize)
    return m


def _policy_rows(m: pyo.ConcreteModel, prob: OfferProblem, by_cust: dict[int, list]) -> None:
    """The contact policy's rows: contacts per customer (its cap: the maximum, the cooling-off period, the 90-day
    maximum), copies per offer, the exclusive pairs (every pair of their options), requires (each option of B
    needs an option of A), and contacts per household."""
    assert prob.policy is not None
    policy, K = prob.policy, len(prob.channels)
    r, cap = policy.rules, policy.customer_cap()
    m.contacts = pyo.Constraint(list(by_cust), rule=lambda m, i: sum(m.x[i, o] for o in by_cust[i]) <= int(cap[i]))
    per_offer = {(i, j): [o for o in opts if o // K == j] for i, opts in by_cust.items() for j in {o // K for o in opts}}
    m.copies = pyo.Constraint(list(per_offer), rule=lambda m, i, j: sum(m.x[i, o] for o in per_offer[i, j])
                              <= r.max_per_offer_per_customer)
    pairs = [(i, ox, oy) for i, opts in by_cust.items() for x, y in r.exclusive
             for ox in per_offer.get((i, x), []) for oy in per_offer.get((i, y), [])]
    m.exclusive = pyo.Constraint(range(len(pairs)), rule=lambda m, t: m.x[pairs[t][0], pairs[t][1]]
                                 + m.x[pairs[t][0], pairs[t][2]] <= 1)
    needs = [(i, ob, a) for i, opts in by_cust.items() for b, a in r.requires for ob in per_offer.get((i, b), [])]
    m.requires = pyo.Constraint(range(len(needs)), rule=lambda m, t: m.x[needs[t][0], needs[t][1]]
                                <= sum(m.x[needs[t][0], o] for o in per_offer.get((needs[t][0], needs[t][2]), [])))
    if r.max_offers_per_household is not None and policy.household is not None:
        houses: dict[int, list[int]] = {}
        for i in by_cust:
            houses.setdefault(int(policy.household[i]), []).append(i)
        m.household = pyo.Constraint(list(houses), rule=lambda m, h: sum(m.x[i, o] for i in houses[h]
                                                                        for o in by_cust[i])
                                     <= r.max_offers_per_household)
