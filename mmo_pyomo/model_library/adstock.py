"""hull_oa's pieces for a time-phased plan with adstock (:mod:`mmo_pyomo.instance.periods`, docs/mathematics.md
§14): each period's response ρ[i,t] cut by tangents of r_i in the effective spend a[i,t], which is affine in the
plan (ADSTOCK), per posterior draw under a risk measure, and refined at each plan."""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.model_library import components as c


def adstocked(inst: Instance) -> bool:
    """Whether the instance is a time-phased plan whose spend carries over (its responses are cut in a[i,t])."""
    return inst.horizon is not None and inst.horizon.has_adstock


def effective_bounds(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """The least and most effective spend a[i,t] (A, T + carry)."""
    assert inst.horizon is not None
    return inst.horizon.effective_range(inst.lower, inst.upper)


def check_adstock_concavity(inst: Instance) -> None:
    """Adstocked curves are cut by tangents in the effective spend: each must be concave over its range."""
    h, curves = inst.horizon, inst.curves
    assert h is not None and curves is not None
    lo, hi = effective_bounds(inst)
    first = h.cell_index()[:, 0]
    lower, upper = np.array(inst.lower, float), np.array(inst.upper, float)
    lower[first], upper[first] = lo.min(axis=1), hi.max(axis=1)
    ok = (curves.draws_concave_on(lower, upper) if inst.risk is not None else curves.concave_on(lower, upper))[first]
    if not ok.all():
        k = np.flatnonzero(~ok)
        raise DataError(f"the adstocked curves of {', '.join(repr(h.activities[i]) for i in k[:5])} are not concave "
                        "over their effective spend", "raise those activities' lower spend above the inflection, or "
                        "use a concave family (logistic, Michaelis–Menten, Hill with s ≤ 1)")


def add_adstock_response(m: pyo.Block) -> None:
    """For a time-phased plan with adstock (:mod:`mmo_pyomo.instance.periods`): the response ρ[i,t] of activity i in
    period t, cut by tangents of r_i in the effective spend a[i,t] = Σ_l w_il·x[i,t−l], affine in the plan (ADSTOCK):

        ρ[i,t] ≤ r_i(â) + r_i′(â)·(a[i,t] − â)   at ``tangents`` points â over a's range and at the baseline's a.

    Without adstock the set is empty and each cell's revenue is cut in its own regions, as in the steady model."""
    def periods(m: pyo.Block) -> list[tuple[str, int]]:
        inst: Instance = m._mmo_instance
        h = inst.horizon
        if h is None or not h.has_adstock:
            return []
        return [(a, t) for a in h.activities for t in range(1, h.response_periods + 1)]
    m.RESPONSE_PERIODS = pyo.Set(dimen=2, initialize=periods, ordered=True, doc="(activity, period) with a response")
    m.prepare_adstock = pyo.BuildAction(rule=_prepare_adstock)
    def response_bounds(m: pyo.Block, a: str, t: int) -> tuple[float, float]:
        """r_i over a[i,t]'s range (the curves never fall with spend): bounds that keep an LP's duals in scale."""
        unit = float(pyo.value(m.objective_unit))
        low, high = m._ad_range[a, t]
        return low / unit, high / unit
    m.period_response = pyo.Var(m.RESPONSE_PERIODS, bounds=response_bounds, doc="ρ[i,t] = r_i(a[i,t]), in units of R")
    m.ADSTOCK_POINTS = pyo.Set(initialize=lambda m: range(m._ad_count))

    def cut(m: pyo.Block, a: str, t: int, p: int):
        a_hat, r, slope = (float(v) for v in m._ad_points[a, t][p])
        return adstock_cut(m, a, t, a_hat, r, slope)
    m.adstock_cuts = pyo.Constraint(m.RESPONSE_PERIODS, m.ADSTOCK_POINTS, rule=cut, doc="(ADSTOCK)")

    def drawn_periods(m: pyo.Block) -> list[tuple[str, int]]:         # under a risk measure: per draw as well
        return [p for p in m.RESPONSE_PERIODS if p in m._ad_draw_points] if len(m.DRAWS) else []
    m.DRAWN_PERIODS = pyo.Set(dimen=2, initialize=drawn_periods, ordered=True, doc="(activity, period) with draws")

    def draw_bounds(m: pyo.Block, a: str, t: int, s: int) -> tuple[float, float]:
        unit = float(pyo.value(m.objective_unit))
        low, high = m._ad_draw_range[a, t]
        return float(low[s]) / unit, float(high[s]) / unit
    m.period_response_draw = pyo.Var(m.DRAWN_PERIODS, m.DRAWS, bounds=draw_bounds, doc="ρ[i,t,s] = r_iˢ(a[i,t])")

    def draw_cut(m: pyo.Block, a: str, t: int, s: int, p: int):
        pts, r, slope = m._ad_draw_points[a, t]
        return adstock_cut(m, a, t, float(pts[p]), float(r[s, p]), float(slope[s, p]), s)
    m.adstock_draw_cuts = pyo.Constraint(m.DRAWN_PERIODS, m.DRAWS, m.ADSTOCK_POINTS, rule=draw_cut,
                                         doc="(ADSTOCK) per draw")


def _prepare_adstock(m: pyo.Block) -> None:
    """Per (activity, period): the cells and weights of a[i,t] with its constant, and the tangent points (â, r, r′)."""
    inst: Instance = m._mmo_instance
    m._ad_terms, m._ad_points, m._ad_range, m._ad_count = {}, {}, {}, 0
    m._ad_draw_points, m._ad_draw_range = {}, {}
    h, curves = inst.horizon, inst.curves
    if h is None or curves is None or not h.has_adstock:
        return
    lo, hi = effective_bounds(inst)
    at_base = h.effective(inst.baseline)
    first = h.cell_index()[:, 0]
    tangents = max(len(m._oa_points["dec"]) - 1, 1)
    frac = np.linspace(0.0, 1.0, tangents) if tangents > 1 else np.array([0.5])
    m._ad_count = len(frac) + 1
    for i, a in enumerate(h.activities):
        for t in range(1, h.response_periods + 1):
            m._ad_terms[a, t] = h.terms(i, t)
            pts = np.r_[lo[i, t - 1] + (hi[i, t - 1] - lo[i, t - 1]) * frac, at_base[i, t - 1]]
            m._ad_points[a, t] = list(zip(pts, curves.curve_of(int(first[i]), pts), curves.curve_of(int(first[i]), pts, 1)))
            ends = curves.curve_of(int(first[i]), np.array([lo[i, t - 1], hi[i, t - 1]]))
            m._ad_range[a, t] = (float(ends.min()), float(ends.max()))
            if inst.risk is not None and int(first[i]) in curves.drawn:
                m._ad_draw_points[a, t] = (pts, curves.draws_of(int(first[i]), pts), curves.draws_of(int(first[i]), pts, 1))
                both = curves.draws_of(int(first[i]), np.array([lo[i, t - 1], hi[i, t - 1]]))
                m._ad_draw_range[a, t] = (both.min(axis=1), both.max(axis=1))


def priced_spend(m: pyo.Block, inst: Instance) -> pyo.Expression | float:
    """M·Σ(x̄ + δ) / R under an ``mroi:M`` target on curves, else 0."""
    price = inst.spend_price
    if not price:
        return 0.0
    unit = float(pyo.value(m.objective_unit))
    return price / unit * sum(float(inst.baseline[k]) + pyo.value(m.spend_unit[a]) * m.d[a]
                              for k, a in enumerate(inst.activities))


def adstock_cut(m: pyo.Block, a: str, t: int, a_hat: float, r: float, slope: float, s: int | None = None) -> pyo.Expression:
    """ρ[i,t] ≤ r(â) + r′(â)·(a[i,t] − â), in units of R, with a[i,t] = c + Σ w·(x̄_k + s_k·d_k) (ρ[i,t,s] of draw s)."""
    inst: Instance = m._mmo_instance
    unit = float(pyo.value(m.objective_unit))
    pairs, const = m._ad_terms[a, t]
    names = inst.activities
    level = const + sum(w * float(inst.baseline[k]) for k, w in pairs)
    body = sum(c.negligible_as_zero(slope * w * float(pyo.value(m.spend_unit[names[k]])) / unit) * m.d[names[k]]
               for k, w in pairs)
    rho = m.period_response[a, t] if s is None else m.period_response_draw[a, t, s]
    return rho <= c.negligible_as_zero((r + slope * (level - a_hat)) / unit) + body


def refine_adstock(model: pyo.Block, inst: Instance, delta: np.ndarray, tol: float) -> int:
    """:func:`refine` for adstocked responses: a tangent at the plan's a[i,t] wherever ρ[i,t] over-states r_i(a[i,t])."""
    h = inst.horizon
    assert h is not None and inst.curves is not None
    a = h.effective(inst.baseline + delta)
    first = h.cell_index()[:, 0]
    unit = float(pyo.value(model.objective_unit))
    added = 0
    drawn = {p for p in model.DRAWN_PERIODS}
    for i, name in enumerate(h.activities):
        if (name, 1) in drawn:
            r_s, slope_s = inst.curves.draws_of(int(first[i]), a[i]), inst.curves.draws_of(int(first[i]), a[i], 1)
            for t in range(1, h.response_periods + 1):
                for s in model.DRAWS:
                    if (model.period_response_draw[name, t, s].value or 0.0) * unit - r_s[s, t - 1] > tol:
                        model.tangent_refinements.add(adstock_cut(model, name, t, float(a[i, t - 1]),
                                                                  float(r_s[s, t - 1]), float(slope_s[s, t - 1]), s))
                        added += 1
            continue
        r = inst.curves.curve_of(int(first[i]), a[i])
        slope = inst.curves.curve_of(int(first[i]), a[i], 1)
        for t in range(1, h.response_periods + 1):
            if (model.period_response[name, t].value or 0.0) * unit - r[t - 1] > tol and np.isfinite(slope[t - 1]):
                model.tangent_refinements.add(adstock_cut(model, name, t, float(a[i, t - 1]), float(r[t - 1]),
                                                          float(slope[t - 1])))
                added += 1
    return added
