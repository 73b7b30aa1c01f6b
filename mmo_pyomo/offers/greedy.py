"""The ad-hoc baseline: each customer's best expected-profit offer, best customers first, until the budget
runs out (offer minimums served first, as far as a greedy rule can). Under a contact policy, one offer per
customer, where the policy allows it."""
from __future__ import annotations

import time

import numpy as np

from mmo_pyomo.offers.offer_plan import OfferResult, finished
from mmo_pyomo.offers.problem import OfferProblem
from mmo_pyomo.offers.repair import LocalPieces, Piece, Score, empty_plan, repair, single_allowed


def solve_greedy(prob: OfferProblem) -> OfferResult:
    """The paper's ad-hoc rule (see the module docstring); no bound."""
    t0 = time.perf_counter()
    n = prob.n_customers
    P = np.where(single_allowed(prob), prob.profit.reshape(n, -1), -np.inf)
    best_opt = P.argmax(axis=1)
    best_val = P[np.arange(n), best_opt].astype(np.float64)
    best_opt = np.where(np.isfinite(best_val), best_opt, -1)
    margin = Score(1.0, 1.0, np.zeros(len(prob.offers) * len(prob.channels)))     # profit − cost
    pieces = LocalPieces([Piece(prob, empty_plan(prob), margin, best_opt, best_val)])
    repair(pieces, prob, budget_step=False, fill_limit=n)
    return finished("greedy", prob, pieces.pieces[0].choice, None, t0)
