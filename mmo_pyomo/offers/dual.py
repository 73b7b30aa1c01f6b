"""Lagrangian dual decomposition: a proximal bundle method on the coupling multipliers.

Every evaluation L(λ) is an upper bound on the LP optimum (weak duality) and costs one
map-reduce over the customer partitions. The bundle method's master problem is a small QP
(one variable per coupling row, one row per cut) solved by HiGHS.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mmo_pyomo.solvers.quiet import quiet_engine


@dataclass
class DualResult:
    """The best multipliers found, their Lagrangian value (an upper bound) and the history."""

    lam: np.ndarray
    bound: float
    iterations: int
    converged: bool
    history: list[float] = field(default_factory=list)
    time_s: float = 0.0
    stop_reason: str = ""     # why the method stopped: converged, iterations, time limit, or the master's status


#: Time limit of one master QP on HiGHS (it has one variable per coupling row: it solves in milliseconds,
#: or cycles: HiGHS's QP solver cycled until any time limit on a 5-variable master of a 10-customer bank).
MASTER_TIME_LIMIT = 1.0

#: Iterations of HiGHS's QP solver on one master: a master it solves takes tens; one it cycles on, forever.
MASTER_ITERATIONS = 20_000


def _master(cuts_g: list[np.ndarray], cuts_r: list[float], center: np.ndarray, u: float,
            upper: float) -> tuple[np.ndarray, float] | str:
    """min θ + (u/2)‖λ − center‖² s.t. θ ≥ f_t + g_tᵀ(λ − λ_t), 0 ≤ λ ≤ upper; returns (λ, θ), or the
    reason as text when it could not be solved. Cuts given twice are kept once. HiGHS solves it; when
    HiGHS does not reach optimality (it cycles on some tiny masters), SLSQP, an active-set method, does."""
    unique: dict[tuple, tuple[np.ndarray, float]] = {}
    for g, r in zip(cuts_g, cuts_r):
        unique.setdefault((g.tobytes(), r), (g, r))
    cuts_g, cuts_r = [g for g, _ in unique.values()], [r for _, r in unique.values()]
    # Solved as min θ' + ½‖λ − centre‖² with θ' = (θ − F)/u, F the model's value at the centre: every number is then
    # of the size of a step. Unscaled, θ ≈ 1.7e7 and u ≈ 1.6e7 on the one-cut master of a 6-million-customer bank
    # with contact policies: HiGHS reported "Optimal" at 40% of the step and then "Solve error", and SLSQP failed.
    F = max(float(g @ center) - r for g, r in zip(cuts_g, cuts_r))
    scaled_g = [g / u for g in cuts_g]
    scaled_r = [(r + F) / u for r in cuts_r]
    first = _master_highs(scaled_g, scaled_r, center, 1.0, upper)
    if not isinstance(first, str):
        return first[0], u * first[1] + F
    second = _master_slsqp(scaled_g, scaled_r, center, 1.0, upper)
    if not isinstance(second, str):
        return second[0], u * second[1] + F
    return f"{first} (HiGHS), {second} (SLSQP)"


def _master_slsqp(cuts_g: list[np.ndarray], cuts_r: list[float], center: np.ndarray, u: float,
                  upper: float) -> tuple[np.ndarray, float] | str:
    """The master QP by SLSQP, in variables scaled so that the proximal term has weight 1."""
    from scipy.optimize import minimize

    m = len(center)
    G, R = np.array(cuts_g, float), np.array(cuts_r, float)
    # λ = center + y/√u: the objective becomes θ + ‖y‖²/2 and the cuts θ ≥ G(center + y/√u) − R
    root = np.sqrt(u)
    shift = G @ center - R
    Gy = G / root
    lo, hi = -center * root, (upper - center) * root
    x0 = np.r_[np.zeros(m), float(shift.max())]
    def room(x: np.ndarray) -> np.ndarray:
        return x[m] - shift - Gy @ x[:m]
    cons = {"type": "ineq", "fun": room, "jac": lambda x: np.c_[-Gy, np.ones(len(R))]}
    res = minimize(lambda x: x[m] + 0.5 * x[:m] @ x[:m], x0, jac=lambda x: np.r_[x[:m], 1.0],
                   bounds=[*zip(lo, hi), (None, None)], constraints=[cons], method="SLSQP",
                   options={"ftol": 1e-12, "maxiter": 1000})
    # "Positive directional derivative for linesearch" (status 8): no descent left at a feasible point, which is
    # the optimum up to rounding; the master need not be exact (every L(λ) evaluated is a bound all the same)
    stalled = res.status == 8 and bool(np.all(room(res.x) >= -1e-9))
    if not res.success and not stalled:
        return f"SLSQP: {res.message}"
    y = res.x[:m]
    lam = np.clip(center + y / root, 0.0, upper)
    return lam, float(np.max(G @ lam - R))


def _master_highs(cuts_g: list[np.ndarray], cuts_r: list[float], center: np.ndarray, u: float,
                  upper: float) -> tuple[np.ndarray, float] | str:
    """The master QP by HiGHS; its model status as text when it does not reach optimality."""
    import highspy

    m = len(center)
    with quiet_engine():                       # HiGHS prints a banner when the first instance starts
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", MASTER_TIME_LIMIT)
    h.setOptionValue("qp_iteration_limit", MASTER_ITERATIONS)
    # The rows mix dollars (about 1e6) with contacts: without HiGHS's own scaling its QP solver ends
    # with 'Solve error' on the 500,000-customer bank although its solution is right.
    h.setOptionValue("user_objective_scale", -1)
    h.setOptionValue("user_bound_scale", -1)
    inf = highspy.kHighsInf
    h.addVars(m + 1, np.r_[np.zeros(m), -inf], np.r_[np.full(m, upper), inf])
    h.changeColsCost(m + 1, np.arange(m + 1, dtype=np.int32), np.r_[-u * center, 1.0])
    for g, r in zip(cuts_g, cuts_r):
        h.addRow(-inf, r, m + 1, np.arange(m + 1, dtype=np.int32), np.r_[g, -1.0])
    h.passHessian(m + 1, m, highspy.HessianFormat.kTriangular, np.r_[np.arange(m + 1), m].astype(np.int32),
                  np.arange(m, dtype=np.int32), np.full(m, u))  # type: ignore[call-overload]
    h.run()
    status = h.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        return h.modelStatusToString(status)
    x = np.array(h.getSolution().col_value)
    return np.maximum(x[:m], 0.0), float(x[m])


def solve_dual(evaluate: Callable[[np.ndarray], tuple[float, np.ndarray]], m: int, *, lam0: np.ndarray | None = None,
               tol: float = 1e-7, max_iter: int = 400, time_limit: float | None = None,
               upper: float = 1e6, gap: float | None = None,
               primal: Callable[[np.ndarray], float] | None = None) -> DualResult:
    """Minimize the convex, piecewise-linear L(λ) over 0 ≤ λ ≤ ``upper``.

    ``evaluate(λ)`` returns (L(λ), a subgradient). A small predicted decrease first weakens the
    proximal pull (a strong pull also makes it look small); the method stops when the predicted
    decrease stays below ``tol``·(1 + |L|) at the weakest pull, after ``max_iter`` evaluations,
    or at ``time_limit`` seconds. ``upper`` must exceed every optimal multiplier.

    With ``gap`` and ``primal`` (the profit of a feasible plan built from multipliers), it also
    stops as soon as (L(centre) − primal(centre))/|L(centre)| ≤ ``gap``: the plan is then certified
    within ``gap``. ``primal`` is called only when the bundle model itself predicts a decrease of
    at most ``gap``·|L|, since the plan costs more than an evaluation.
    """
    t0 = time.perf_counter()
    center = np.zeros(m) if lam0 is None else np.maximum(np.asarray(lam0, float), 0.0)
    f_center, g = evaluate(center)
    cuts_g, cuts_r = [g], [float(g @ center - f_center)]
    u = max(float(np.linalg.norm(g)), 1e-6)          # the first step has length about 1
    u_min = u * 1e-6                          # a small predicted decrease counts only at a weak pull
    history = [f_center]
    converged = False
    reason = "iteration limit"
    it = 1
    checked: object = None                    # the centre whose plan was last built (a plan per centre)
    best_primal = -np.inf
    while it < max_iter:
        if time_limit is not None and time.perf_counter() - t0 > time_limit:
            reason = "time limit"
            break
        step = _master(cuts_g, cuts_r, center, u, upper)
        if isinstance(step, str):     # the master QP failed: stop with the best centre, not converged
            reason = f"master QP stopped: {step}"
            break
        lam, theta = step
        predicted = f_center - theta
        if gap is not None and primal is not None and predicted <= gap * abs(f_center) and checked is not center:
            checked = center
            best_primal = max(best_primal, primal(center))
            if f_center - best_primal <= gap * abs(f_center):
                reason = f"certified gap ≤ {gap:g}"
                break
        if predicted <= tol * (1 + abs(f_center)):
            if u <= u_min:
                converged = True
                reason = "converged"
                break
            u = max(u / 10, u_min)            # a strong pull also makes the decrease look small
            continue
        f, g = evaluate(lam)
        it += 1
        history.append(f)
        cuts_g.append(g)
        cuts_r.append(float(g @ lam - f))
        if f_center - f >= 0.1 * predicted:      # serious step
            if f_center - f >= 0.5 * predicted:
                u = max(u / 2, 1e-9)
            center, f_center = lam, f
        else:                                    # null step: trust the model less far away
            u = min(u * 1.5, 1e15)
    return DualResult(center, f_center, it, converged, history, time.perf_counter() - t0, reason)
