"""Seeded random instances for the tests, and an independent brute-force reference."""
from __future__ import annotations

import itertools
import math

import numpy as np

from mmo_pyomo.instance.schema import Instance


def random_instance(n: int, seed: int, *, rules: bool = True, k_fraction: float = 0.3,
                    missing_regions: bool = True, zero_min_change: bool = True,
                    budget: tuple[float, float] = (0.97, 1.0)) -> Instance:
    """A small MMO instance with the features the tests need to exercise.

    * ``missing_regions``: some activities sit at a bound (R⁻ or R⁺ absent) or have a
      minimum change larger than their room to move;
    * ``zero_min_change``: some activities have m_i = 0;
    * ``k_fraction``: K = ⌈k_fraction·n⌉ (1.0 makes the cardinality slack).
    """
    rng = np.random.default_rng(seed)
    base = np.round(rng.uniform(10, 100, n), 2)
    lower = np.round(base * rng.uniform(0.5, 0.9, n), 2)
    upper = np.round(base * rng.uniform(1.1, 1.6, n), 2)
    m = np.round(base * rng.uniform(0.05, 0.25, n), 2)
    if missing_regions and n >= 4:
        lower[0] = base[0]                      # R⁻ absent: at its lower bound
        upper[1] = base[1]                      # R⁺ absent: at its upper bound
        m[2] = round(1.01 * (upper[2] - base[2]), 2)  # R⁺ absent: min change larger than the room
    if zero_min_change and n >= 4:
        m[3] = 0.0
    lin = np.round(rng.uniform(0.2, 2.5, n), 3)
    quad = np.round(-lin / (2 * base * rng.uniform(0.3, 1.5, n)), 6)
    if n >= 5:
        quad[4] = 0.0                           # a linear response
    const = np.round(base * rng.uniform(1, 3, n), 2)
    names = tuple(f"act{k}" for k in range(n))
    kw = {}
    if rules:
        groups = [np.arange(0, n, 2), np.arange(1, n, 3)]
        ri = np.concatenate([np.full(len(g), r) for r, g in enumerate(groups)])
        ai = np.concatenate(groups)
        coef = np.round(rng.uniform(0.5, 2.0, len(ai)), 2)
        level = np.array([np.sum(coef[ri == r] * base[ai[ri == r]]) for r in range(len(groups))])
        kw = dict(rules=("group_a", "group_b"), rule_index=ri, rule_activity=ai, rule_coef=coef,
                  rule_lower=np.round(level * 0.9, 2), rule_upper=np.round(level * 1.03, 2))
    return Instance(activities=names, baseline=base, lower=lower, upper=upper, min_change=m, quad=quad,
                    lin=lin, const=const, budget_lower=budget[0], budget_upper=budget[1],
                    max_changes=int(math.ceil(k_fraction * n)), name=f"random_n{n}_s{seed}", **kw)


def _qp_max(inst: Instance, lo: np.ndarray, hi: np.ndarray) -> float | None:
    """max Σ a δ² + b δ + c over δ ∈ [lo, hi] with the budget and rules, by HiGHS's QP solver."""
    import highspy

    n = inst.n
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    inf = highspy.kHighsInf
    h.addVars(n, lo, hi)
    h.changeColsCost(n, np.arange(n, dtype=np.int32), -inst.lin)
    # budget row on δ: (β⁻ − 1)Σx̄ ≤ Σ δ ≤ (β⁺ − 1)Σx̄
    blo, bhi = inst.budget_interval
    h.addRow(blo - inst.total_baseline, bhi - inst.total_baseline, n, np.arange(n, dtype=np.int32), np.ones(n))
    for r in range(len(inst.rules)):
        sel = inst.rule_index == r
        idx, coef = inst.rule_activity[sel], inst.rule_coef[sel]
        at_base = float(np.sum(coef * inst.baseline[idx]))
        rlo = inst.rule_lower[r] - at_base if math.isfinite(inst.rule_lower[r]) else -inf
        rhi = inst.rule_upper[r] - at_base if math.isfinite(inst.rule_upper[r]) else inf
        h.addRow(rlo, rhi, len(idx), idx.astype(np.int32), coef)
    diag = -2 * inst.quad
    h.passHessian(n, n, highspy.HessianFormat.kTriangular, np.arange(n + 1, dtype=np.int32),
                  np.arange(n, dtype=np.int32), diag)
    h.run()
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    guess = np.array(h.getSolution().col_value) if optimal else None
    value = -h.getInfo().objective_function_value + float(inst.const.sum()) if optimal else None
    return _qp_exact(inst, lo, hi, guess, value)


def _rows(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The budget and rule rows on δ as (A, lower, upper)."""
    blo, bhi = inst.budget_interval
    rows, lows, ups = [np.ones(inst.n)], [blo - inst.total_baseline], [bhi - inst.total_baseline]
    for r in range(len(inst.rules)):
        row = np.zeros(inst.n)
        sel = inst.rule_index == r
        np.add.at(row, inst.rule_activity[sel], inst.rule_coef[sel])
        at_base = float(row @ inst.baseline)
        rows.append(row)
        lows.append(inst.rule_lower[r] - at_base)
        ups.append(inst.rule_upper[r] - at_base)
    return np.array(rows), np.array(lows), np.array(ups)


def _face(inst: Instance, lo: np.ndarray, hi: np.ndarray, a_rows: np.ndarray, rlo: np.ndarray, rhi: np.ndarray,
          var_state: tuple[int, ...], row_state: tuple[int, ...]) -> float | None:
    """The optimum on one face (each variable at its lower bound −1, free 0 or at its upper bound 1; each row
    at its lower bound −1, inactive 0 or at its upper bound 1) by its KKT system, if that point is feasible
    and its multipliers have the signs of an optimum; None otherwise."""
    n, m = inst.n, len(a_rows)
    fixed = np.array(var_state) != 0
    x_fix = np.where(np.array(var_state) < 0, lo, hi)
    active = [r for r in range(m) if row_state[r] != 0]
    if any(not np.isfinite((rlo if row_state[r] < 0 else rhi)[r]) for r in active):
        return None
    free, fixed_at = np.flatnonzero(~fixed), np.flatnonzero(fixed)
    nf, na = len(free), len(active)
    mat, rhs = np.zeros((n + na, nf + na + len(fixed_at))), np.zeros(n + na)
    for i in range(n):                                     # 2a x + b − Σ μ A − ν = 0
        if not fixed[i]:
            mat[i, int(np.flatnonzero(free == i)[0])] = 2 * inst.quad[i]
            rhs[i] = -inst.lin[i]
        else:
            mat[i, nf + na + int(np.flatnonzero(fixed_at == i)[0])] = -1.0
            rhs[i] = -inst.lin[i] - 2 * inst.quad[i] * x_fix[i]
        for k, r in enumerate(active):
            mat[i, nf + k] = -a_rows[r, i]
    for k, r in enumerate(active):                          # A x = t on the active rows
        mat[n + k, :nf] = a_rows[r, free]
        rhs[n + k] = (rlo if row_state[r] < 0 else rhi)[r] - a_rows[r, fixed] @ x_fix[fixed]
    sol = np.linalg.lstsq(mat, rhs, rcond=None)[0]
    if np.abs(mat @ sol - rhs).max(initial=0.0) > 1e-9:
        return None
    x = x_fix.copy()
    x[free] = sol[:nf]
    mu, nu = sol[nf:nf + na], sol[nf + na:]
    eps = 1e-9
    level = a_rows @ x
    if (x < lo - eps).any() or (x > hi + eps).any() or (level < rlo - eps).any() or (level > rhi + eps).any():
        return None
    if any(mu[k] * row_state[r] < -eps for k, r in enumerate(active)):
        return None
    if any(nu[k] * var_state[i] < -eps for k, i in enumerate(fixed_at)):
        return None
    return float(inst.quad @ x**2 + inst.lin @ x + inst.const.sum())


#: Variables plus rows up to which every face is tried when the guessed one fails (3^(n+m) faces).
FACES_UP_TO = 8


def _qp_exact(inst: Instance, lo: np.ndarray, hi: np.ndarray, guess: np.ndarray | None = None,
              guess_value: float | None = None) -> float | None:
    """The QP's optimum, exactly (for the few variables and rows of the tests): the face a guess (HiGHS's
    point) lies on is tried first; if its KKT conditions fail, every face is (each variable at a bound or
    free, each row at a bound or inactive), and the best point feasible with multipliers of the right signs
    is kept. HiGHS's QP solver alone is not a reference: it reported optimal 4.5e-5 below the optimum of a
    4-variable QP, and a solve error on another whose optimum sits on a row bound near 0."""
    a_rows, rlo, rhi = _rows(inst)
    if guess is not None:
        tol = 1e-7
        var_state = tuple(int(v) for v in np.where(np.abs(guess - lo) <= tol, -1, np.where(np.abs(guess - hi) <= tol, 1, 0)))
        level = a_rows @ guess
        row_state = tuple(int(v) for v in np.where(np.abs(level - rlo) <= tol, -1, np.where(np.abs(level - rhi) <= tol, 1, 0)))
        value = _face(inst, lo, hi, a_rows, rlo, rhi, var_state, row_state)
        if value is not None:
            return value
    if inst.n + len(a_rows) > FACES_UP_TO:          # too many faces: HiGHS's value, as the tests had it before
        return guess_value
    best = None
    for var_state in itertools.product((-1, 0, 1), repeat=inst.n):
        for row_state in itertools.product((-1, 0, 1), repeat=len(a_rows)):
            value = _face(inst, lo, hi, a_rows, rlo, rhi, var_state, row_state)
            if value is not None and (best is None or value > best):
                best = value
    return best


def brute_force_optimum(inst: Instance) -> float | None:
    """Enumerate every region choice (decrease / none / increase) and solve each convex QP.

    Independent of the package's formulations and engines: it reads the raw data only.
    Returns the best revenue, or None if no choice is feasible.
    """
    lo_all, hi_all = inst.lower - inst.baseline, inst.upper - inst.baseline
    choices = []
    for k in range(inst.n):
        opts = [(0.0, 0.0)]
        m = inst.min_change[k]
        if lo_all[k] <= -m and lo_all[k] < 0:
            opts.append((lo_all[k], -m))
        if hi_all[k] >= m and hi_all[k] > 0:
            opts.append((m, hi_all[k]))
        choices.append(opts)
    best = None
    for combo in itertools.product(*choices):
        if sum(1 for c in combo if c != (0.0, 0.0)) > inst.max_changes:
            continue
        lo = np.array([c[0] for c in combo])
        hi = np.array([c[1] for c in combo])
        val = _qp_max(inst, lo, hi)
        if val is not None and (best is None or val > best):
            best = val
    return best


def concave_budget_optimum(inst: Instance, iterations: int = 200) -> float:
    """The optimum of an instance with concave response curves, spend bounds and a total budget only
    (no minimum change, K ≥ n, no rules), by the Lagrangian of the budget: each activity's best spend at a
    price λ solves r′(x) = λ within [l, u] (bisection on the exact slope), and λ is found by bisection so
    that the budget holds. Independent of every formulation and engine."""
    assert inst.curves is not None and not len(inst.rules) and inst.max_changes >= inst.n
    assert (inst.min_change == 0).all()
    lo, hi = inst.lower.astype(float), inst.upper.astype(float)
    budget = inst.budget_upper * inst.total_baseline

    def spend_at(price: float) -> np.ndarray:
        a, b = lo.copy(), hi.copy()
        for _ in range(iterations):                 # r′ decreasing: keep r′(a) ≥ price ≥ r′(b)
            mid = (a + b) / 2
            above = inst.curves.slope(mid) >= price
            a, b = np.where(above, mid, a), np.where(above, b, mid)
        x = (a + b) / 2
        x = np.where(inst.curves.slope(lo) <= price, lo, x)
        return np.where(inst.curves.slope(hi) >= price, hi, x)

    x = spend_at(0.0)
    if x.sum() > budget:
        p_lo, p_hi = 0.0, float(np.max(inst.curves.slope(lo))) * 2 + 1.0
        for _ in range(iterations):
            mid = (p_lo + p_hi) / 2
            p_lo, p_hi = (mid, p_hi) if spend_at(mid).sum() > budget else (p_lo, mid)
        x = spend_at(p_hi)
    return float(inst.curves.response(x).sum())


def local_optima(inst: Instance, starts: int = 5, seed: int = 0) -> list[float]:
    """A correctly scaled local solver, as a user would run it: SLSQP on the spend in units of the baseline, under the
    spend bounds and the total budget (no discrete rules), from the baseline and then ``starts − 1`` random points.
    Returns the checked revenue (``inst.total_revenue``) of each start's end point (NaN where it is infeasible)."""
    from scipy.optimize import minimize

    from mmo_pyomo.mix.checker import check_plan
    scale = np.where(inst.baseline > 0, inst.baseline, 1.0)
    budget = inst.budget_interval[1]
    bounds = [(lo / s, hi / s) for lo, hi, s in zip(inst.lower, inst.upper, scale)]
    rng = np.random.default_rng(seed)
    out = []
    for k in range(starts):
        z0 = np.ones(inst.n) if k == 0 else rng.uniform([b[0] for b in bounds], [b[1] for b in bounds])
        z0 = z0 * min(1.0, budget / float((z0 * scale).sum()))
        res = minimize(lambda z: -inst.total_revenue(z * scale - inst.baseline) / 100, z0, method="SLSQP",
                       bounds=bounds, constraints=[{"type": "ineq", "fun": lambda z: (budget - (z * scale).sum()) / 100}],
                       options={"maxiter": 1000, "ftol": 1e-13})
        free = inst.with_changes(min_change=np.zeros(inst.n), max_changes=inst.n)
        check = check_plan(free, res.x * scale)
        out.append(check.revenue if check.feasible else float("nan"))
    return out


def cvar_solves(inst: Instance, alpha: float, rel: float, gap: float = 1e-6):
    """hull_oa under ``--risk``: the mean's solve, ``cvar:1`` held to it, and ``cvar:alpha`` on HiGHS held to SCIP's
    (both within ``rel``). Returns (the mean's result, HiGHS's cvar:alpha result)."""
    import pytest

    from mmo_pyomo import solve
    mean = solve(inst, "hull_oa", "highs", mip_gap=gap).raise_for_status()
    whole = solve(inst, "hull_oa", "highs", mip_gap=gap, risk="cvar:1").raise_for_status()
    assert whole.objective == pytest.approx(mean.objective, rel=rel)
    a = solve(inst, "hull_oa", "highs", mip_gap=gap, risk=f"cvar:{alpha}").raise_for_status()
    b = solve(inst, "hull_oa", "scip", mip_gap=gap, risk=f"cvar:{alpha}").raise_for_status()
    assert a.objective == pytest.approx(b.objective, rel=rel)
    return mean, a


def scaled(inst: Instance, spend: float, revenue: float) -> Instance:
    """``inst`` with every spend times ``spend`` (λ) and every revenue times ``revenue`` (μ)."""
    lam, mu = spend, revenue
    return inst.with_changes(baseline=inst.baseline * lam, lower=inst.lower * lam, upper=inst.upper * lam,
                             min_change=inst.min_change * lam, quad=inst.quad * mu / lam**2, lin=inst.lin * mu / lam,
                             const=inst.const * mu, rule_lower=inst.rule_lower * lam, rule_upper=inst.rule_upper * lam,
                             name=f"scaled_{lam:g}_{mu:g}")
