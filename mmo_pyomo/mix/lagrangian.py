"""Lagrangian bounds per activity and region, and the region fixing they allow.

Dualize the coupling rows (the budget, every group rule, and K) with multipliers λ ≥ 0. The revenue is
separable, so the Lagrangian splits into one problem per activity: with π_i = Σ_r (λ⁺_r − λ⁻_r)·g_ri (the
price of a unit of spend of activity i in the rows, the budget's coefficient being 1) and ν the multiplier
of K,

    L(λ) = Σ_i max( r_i(0), v_i⁻, v_i⁺ ) + Σ_r [λ⁺_r (u_r − g_r·x̄) − λ⁻_r (l_r − g_r·x̄)] + ν K,
    v_i^s = max_{δ ∈ R_i^s} [ r_i(δ) − π_i δ ] − ν        (s = −, +; the regions of Table 1),

an upper bound on the optimum for every λ ≥ 0 (weak duality). Fixing activity i to region s changes only
its own term, so every plan that puts i in region s earns at most

    B_i^s = L(λ) − ( max_s' v_i^s' − v_i^s ),

and where B_i^s lies below the revenue of a checked plan, no better plan puts i in s: the region can be
fixed away before the search (Lagrangian, or reduced-cost, fixing). The bound B is valid for any λ; good
multipliers make it useful. They are found by minimizing a smoothed L (the max over regions replaced by
τ·log Σ exp(v/τ), which lies above it, so every value is still a bound) with L-BFGS-B, and the bounds are
then evaluated with the exact max. Concave quadratic revenues only (each v_i^s is then in closed form).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.model_library.record import Formulation

#: A region is fixed away only where its bound is below the plan's revenue by more than this share of it
#: (and an absolute 1e-9 of the revenue's scale): floating point in L's sum cannot then decide a fixing.
FIXING_MARGIN = 1e-9


@dataclass(frozen=True)
class Rows:
    """The coupling rows in spend-change form, a·δ ≤ hi − a·x̄ and a·δ ≥ lo − a·x̄: the budget (row 0) and the
    group rules (rows 1..), as a dense-free sparse triple (row, activity, coefficient)."""

    row: np.ndarray
    activity: np.ndarray
    coef: np.ndarray
    upper: np.ndarray           # u − a·x̄ (inf where unbounded above)
    lower: np.ndarray           # l − a·x̄ (−inf where unbounded below)

    @property
    def m(self) -> int:
        return len(self.upper)

    def prices(self, weight: np.ndarray, n: int) -> np.ndarray:
        """π = Σ_r weight_r · a_r (one entry per activity)."""
        return np.bincount(self.activity, weights=weight[self.row] * self.coef, minlength=n)

    def levels(self, delta: np.ndarray) -> np.ndarray:
        """a_r·δ for every row."""
        return np.bincount(self.row, weights=self.coef * delta[self.activity], minlength=self.m)


def coupling_rows(inst: Instance) -> Rows:
    """The budget and the group rules of ``inst`` as :class:`Rows`."""
    n = inst.n
    lo, hi = inst.budget_interval
    row = np.concatenate([np.zeros(n, np.int64), 1 + np.asarray(inst.rule_index, np.int64)])
    activity = np.concatenate([np.arange(n), np.asarray(inst.rule_activity, np.int64)])
    coef = np.concatenate([np.ones(n), np.asarray(inst.rule_coef, float)])
    base = np.bincount(row, weights=coef * inst.baseline[activity], minlength=1 + len(inst.rules))
    upper = np.concatenate([[hi], inst.rule_upper]) - base
    lower = np.concatenate([[lo], inst.rule_lower]) - base
    return Rows(row, activity, coef, upper, lower)


def _region_values(inst: Instance, price: np.ndarray, nu: float) -> tuple[np.ndarray, np.ndarray]:
    """(values, argmax δ), each (n, 3): columns decrease, keep, increase; −inf for an absent region."""
    reg = inst.regions
    a, b, c = inst.quad, inst.lin, inst.const
    slope = b - price
    values = np.full((inst.n, 3), -np.inf)
    where = np.zeros((inst.n, 3))
    values[:, 1] = c
    for col, lo, hi, has in ((0, reg.dec_lower, reg.dec_upper, reg.has_dec), (2, reg.inc_lower, reg.inc_upper,
                                                                              reg.has_inc)):
        with np.errstate(divide="ignore", invalid="ignore"):
            free = np.where(a < 0, -slope / (2 * a), np.where(slope >= 0, hi, lo))
        d = np.clip(free, lo, hi)
        v = a * d * d + slope * d + c - nu
        values[:, col] = np.where(has, v, -np.inf)
        where[:, col] = np.where(has, d, 0.0)
    return values, where


@dataclass(frozen=True)
class LagrangianBound:
    """L(λ) and, per activity and region (decrease, keep, increase), the bound of every plan taking it."""

    value: float
    region_bound: np.ndarray            # (n, 3); −inf for an absent region
    upper_multipliers: np.ndarray       # λ⁺ per row (budget first)
    lower_multipliers: np.ndarray       # λ⁻ per row
    k_multiplier: float
    region_points: np.ndarray           # (n, 3): the best spend change in each region at these multipliers

    def cut_points(self) -> tuple[np.ndarray, np.ndarray]:
        """The best spend change in the decrease region and in the increase region (0 where absent): tangents
        there (hull_oa's ``cut_at``) make its relaxation at these multipliers as tight as the hull's."""
        return self.region_points[:, 0].copy(), self.region_points[:, 2].copy()

    def fixed_away(self, revenue: float, keep: np.ndarray | None = None) -> np.ndarray:
        """(n, 3) mask of the regions no plan earning more than ``revenue`` can take (absent regions excluded);
        ``keep``, the regions of the plan that earns it (:func:`~mmo_pyomo.mix.checker.regions_of`), are never
        in it."""
        margin = FIXING_MARGIN * max(abs(revenue), 1.0)
        mask = np.isfinite(self.region_bound) & (self.region_bound < revenue - margin)
        if keep is not None:
            mask[np.arange(len(mask)), keep] = False
        return mask


def cut_options(form: Formulation, points: Sequence[np.ndarray]) -> dict[str, Any]:
    """The build options that give ``form`` tangents at ``points`` (:meth:`LagrangianBound.cut_points`): hull_oa's
    ``cut_at``, nothing for a formulation without tangents."""
    return {"cut_at": tuple(points)} if form.takes_cut_points else {}


def evaluate(inst: Instance, rows: Rows, up: np.ndarray, down: np.ndarray, nu: float) -> LagrangianBound:
    """L and the region bounds at the multipliers (λ⁺ = ``up``, λ⁻ = ``down``, ν = ``nu``; all ≥ 0)."""
    up, down = np.where(np.isfinite(rows.upper), up, 0.0), np.where(np.isfinite(rows.lower), down, 0.0)
    price = rows.prices(up - down, inst.n)
    values, where = _region_values(inst, price, nu)
    best = values.max(axis=1)
    constant = float(np.sum(up[up > 0] * rows.upper[up > 0]) - np.sum(down[down > 0] * rows.lower[down > 0])
                     + nu * inst.max_changes)
    total = float(best.sum()) + constant
    return LagrangianBound(total, total - (best[:, None] - values), up, down, float(nu), where)


def solve_dual(inst: Instance, *, iterations: int = 3000, temperatures: tuple[float, ...] = (1.0, 0.1, 0.01, 1e-3, 1e-4, 1e-5),
               start: tuple[np.ndarray, np.ndarray, float] | None = None) -> LagrangianBound:
    """Multipliers that make L small (L-BFGS-B on the smoothed dual, at each smoothing temperature in turn, in
    units of the average revenue per activity), and the exact bounds at the best of them."""
    if inst.curves is not None:
        adstock = inst.horizon is not None and inst.horizon.has_adstock   # no quadratic fit exists there
        raise MMOError("Lagrangian fixing takes quadratic revenues, and this instance has response curves"
                       + (" with adstock" if adstock else ""),
                       "solve without --fix (hull_oa takes the curves and their adstock as they are)" if adstock else
                       "fit quadratics first (--approximate quadratic), or solve without --fix")
    try:
        from scipy.optimize import minimize
    except ImportError:
        raise MMOError("Lagrangian fixing needs scipy", "pip install scipy") from None
    rows = coupling_rows(inst)
    m, n = rows.m, inst.n
    has_up, has_down = np.isfinite(rows.upper), np.isfinite(rows.lower)
    scale = float(np.abs(inst.revenue(np.zeros(n))).sum()) or 1.0
    per_activity = scale / max(n, 1)
    tau = 1.0

    def smoothed(z: np.ndarray) -> tuple[float, np.ndarray]:
        up, down, nu = z[:m], z[m:2 * m], float(z[-1])
        price = rows.prices(up - down, n)
        values, where = _region_values(inst, price, nu)
        top = values.max(axis=1, keepdims=True)
        w = np.exp((values - top) / tau)
        total_w = w.sum(axis=1, keepdims=True)
        soft = top[:, 0] + tau * np.log(total_w[:, 0])
        w /= total_w
        delta = (w * where).sum(axis=1)
        level = rows.levels(delta)
        up_rhs, down_rhs = np.where(has_up, rows.upper, 0.0), np.where(has_down, rows.lower, 0.0)
        value = soft.sum() + up @ up_rhs - down @ down_rhs + nu * inst.max_changes
        grad = np.concatenate([up_rhs - level, level - down_rhs, [inst.max_changes - (w[:, 0] + w[:, 2]).sum()]])
        return float(value) / scale, grad / scale

    z = np.zeros(2 * m + 1) if start is None else np.concatenate([start[0], start[1], [start[2]]])
    bounds = [(0, None if f else 0) for f in has_up] + [(0, None if f else 0) for f in has_down] + [(0, None)]
    best = evaluate(inst, rows, z[:m], z[m:2 * m], float(z[-1]))
    for t in temperatures:
        tau = t * per_activity
        res = minimize(smoothed, z, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": iterations, "maxfun": 2 * iterations, "ftol": 1e-15, "gtol": 1e-12})
        z = np.maximum(res.x, 0.0)
        here = evaluate(inst, rows, z[:m], z[m:2 * m], float(z[-1]))
        if here.value < best.value:
            best = here
    return best
