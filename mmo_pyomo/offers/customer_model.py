"""The customer-level model in Pyomo (LP or MILP), for small campaigns and as the reference.

It is the problem the ``exact`` method decomposes; at a few thousand customers any LP/MILP
engine of the registry solves it directly.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.offers.problem import OfferProblem


def customer_model(prob: OfferProblem, integer: bool = True) -> pyo.ConcreteModel:
    """max Σ profit·x s.t. one offer per customer, budget, ROI hurdle, capacities, minimums."""
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
    m.one_offer = pyo.Constraint(list(by_cust), rule=lambda m, i: sum(m.x[i, o] for o in by_cust[i]) <= 1)
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
