"""Quadratic compatibility: a concave quadratic per activity, fitted to its response curve.

For each activity, q(δ) = a·δ² + b·δ with a ≤ 0 and q(0) = 0 is fitted to the curve's revenue
change g(δ) = r(x̄ + δ) − r(x̄) by minimax (the largest error over the allowed regions R⁻ ∪ R⁺ is
made as small as possible). The error function max_j |aδ_j² + bδ_j − g_j| is jointly convex in
(a, b), so a nested golden-section search over a, and over b for each a, finds the minimax fit,
vectorized over all activities. The fitted instance then runs with every formulation.

Each activity's error ε_i is measured afterwards on a finer grid. At most K activities change, so
the sum of the K largest ε bounds the revenue error of any plan: the fitted optimum is within
that sum of the curves' value of the same plan.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance

#: Points per region at which the fit is made, and at which its error is measured.
FIT_POINTS, CHECK_POINTS = 64, 1001


@dataclass(frozen=True)
class QuadraticFit:
    """The fitted instance, each activity's largest error, and the sum of the K largest."""

    instance: Instance
    errors: np.ndarray
    error_k: float


def _region_grid(inst: Instance, points: int) -> np.ndarray:
    """(n, 2·points) spend changes over R⁻ and R⁺ (a missing region repeats δ = 0)."""
    reg = inst.regions
    t = np.linspace(0.0, 1.0, points)[None, :]
    dec = np.where(reg.has_dec[:, None], reg.dec_lower[:, None] + (reg.dec_upper - reg.dec_lower)[:, None] * t, 0.0)
    inc = np.where(reg.has_inc[:, None], reg.inc_lower[:, None] + (reg.inc_upper - reg.inc_lower)[:, None] * t, 0.0)
    return np.hstack([dec, inc])


def _changes(inst: Instance, grid: np.ndarray) -> np.ndarray:
    base = inst.revenue(np.zeros(inst.n))
    return np.column_stack([inst.revenue(grid[:, j]) - base for j in range(grid.shape[1])])


def _golden(f, lo: np.ndarray, hi: np.ndarray, iterations: int) -> np.ndarray:
    """Vectorized golden-section search for the minimum of convex f on [lo, hi] (elementwise)."""
    r = (np.sqrt(5) - 1) / 2
    a, b = lo.copy(), hi.copy()
    c, d = b - r * (b - a), a + r * (b - a)
    fc, fd = f(c), f(d)
    for _ in range(iterations):
        left = fc < fd
        b = np.where(left, d, b)
        a = np.where(left, a, c)
        c_new, d_new = b - r * (b - a), a + r * (b - a)
        c, d = c_new, d_new
        fc, fd = f(c), f(d)
    return (a + b) / 2


def fit_quadratics(inst: Instance, iterations: int = 60) -> QuadraticFit:
    """Minimax concave quadratics of ``inst``'s response curves (an instance without curves is
    returned as it is, with zero errors)."""
    if inst.curves is None:
        return QuadraticFit(inst, np.zeros(inst.n), 0.0)
    if inst.horizon is not None and inst.horizon.has_adstock:     # a cell's response is in the effective spend
        raise MMOError("--approximate quadratic fits each cell's response in the cell's own spend, and this "
                       "time-phased plan carries spend over between periods (adstock), so no such fit exists",
                       "drop --approximate and solve with --formulation hull_oa, which cuts each period's response "
                       "in the effective spend")
    grid = _region_grid(inst, FIT_POINTS)
    g = _changes(inst, grid)
    d2 = grid * grid
    scale = np.maximum(np.abs(grid).max(axis=1), 1e-12)
    span = np.maximum(np.abs(g).max(axis=1), 1e-12)
    a_lo = -4 * span / scale ** 2                  # steeper than any fit that beats q = 0 by much
    b_lo, b_hi = -4 * span / scale, 4 * span / scale

    def best_b(a: np.ndarray) -> np.ndarray:
        h = g - a[:, None] * d2
        return _golden(lambda b: np.abs(b[:, None] * grid - h).max(axis=1), b_lo, b_hi, iterations)

    def error_at(a: np.ndarray) -> np.ndarray:
        b = best_b(a)
        return np.abs(a[:, None] * d2 + b[:, None] * grid - g).max(axis=1)

    a = _golden(error_at, a_lo, np.zeros(inst.n), iterations)
    b = best_b(a)
    fine = _region_grid(inst, CHECK_POINTS)
    errors = np.abs(a[:, None] * fine ** 2 + b[:, None] * fine - _changes(inst, fine)).max(axis=1)
    fitted = inst.with_changes(quad=np.minimum(a, 0.0), lin=b, const=inst.revenue(np.zeros(inst.n)), curves=None)
    error_k = float(np.sort(errors)[::-1][:max(inst.max_changes, 0)].sum())
    return QuadraticFit(fitted, errors, error_k)
