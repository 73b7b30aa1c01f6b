"""hull_oa's pieces for a risk measure over posterior draws (:mod:`mmo_pyomo.instance.risk`, docs/mathematics.md
§13): per draw s, the regions' revenue changes cut by that draw's own tangents (OA per draw), and the
Rockafellar–Uryasev variables of CVaR_α (CVAR); refined at each plan."""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.adstock import adstocked, priced_spend
from mmo_pyomo.model_library.tangents import REGIONS, region_units, region_vars, tangent_cut


def add_draw_revenue(m: pyo.Block) -> None:
    """Under a risk measure ``cvar:α`` (:mod:`mmo_pyomo.instance.risk`): per posterior draw s, the regions' revenue
    changes w⁻ˢ, w⁺ˢ of each activity with draws, cut by the tangents of its own curve gˢ (OA per draw), and the
    Rockafellar–Uryasev variables η and u_s ≥ max(0, η − R_s) (CVAR). Without a risk measure the sets are empty."""
    def drawn(m: pyo.Block) -> list[str]:
        inst: Instance = m._mmo_instance
        if inst.risk is None or inst.curves is None or adstocked(inst):     # adstocked: per period, below
            return []
        return [inst.activities[k] for k in sorted(inst.curves.drawn)]
    m.DRAWN = pyo.Set(initialize=drawn, ordered=True, doc="activities whose curve has posterior draws")
    m.DRAWS = pyo.Set(initialize=lambda m: range(m._mmo_instance.curves.n_draws) if m._mmo_instance.risk is not None
                      else [], doc="joint posterior draws s")
    m.prepare_draw_points = pyo.BuildAction(rule=_prepare_draw_points)

    def bounds(part: str):
        return lambda m, i, s: (None, None) if getattr(m, f"has_{part}")[i] else (0.0, 0.0)
    m.wd_dec = pyo.Var(m.DRAWN, m.DRAWS, bounds=bounds("dec"), doc="revenue change in R⁻ in draw s")
    m.wd_inc = pyo.Var(m.DRAWN, m.DRAWS, bounds=bounds("inc"), doc="revenue change in R⁺ in draw s")

    def cut(part: str):
        def rule(m: pyo.Block, i: str, s: int, p: int):
            k = m._mmo_position[i]
            if not getattr(m, f"has_{part}")[i]:
                return pyo.Constraint.Skip
            d, g, slope = m._oa_draw_points[part][p]
            if not np.isfinite(slope[s, k]):
                return pyo.Constraint.Skip
            _, d_var, z = region_vars(m, part, i)
            return tangent_cut(getattr(m, f"wd_{part}")[i, s], d_var, z, float(g[s, k]), float(slope[s, k]),
                               float(d[k]), region_units(m, i))
        return rule
    m.tangent_draw_dec = pyo.Constraint(m.DRAWN, m.DRAWS, m.TANGENT_POINTS, rule=cut("dec"), doc="(OA) on R⁻ per draw")
    m.tangent_draw_inc = pyo.Constraint(m.DRAWN, m.DRAWS, m.TANGENT_POINTS, rule=cut("inc"), doc="(OA) on R⁺ per draw")


def add_cvar(m: pyo.Block) -> None:
    """The Rockafellar–Uryasev variables of ``cvar:α``: η and u_s ≥ max(0, η − R_s) for every draw (CVAR)."""
    m.cvar_level = pyo.Var(initialize=0.0, doc="η: the level below which the worst draws lie (units of R)")
    m.cvar_shortfall = pyo.Var(m.DRAWS, domain=pyo.NonNegativeReals, doc="u_s ≥ max(0, η − R_s)")
    m.cvar_rows = pyo.Constraint(m.DRAWS, rule=lambda m, s: m.cvar_shortfall[s] >= m.cvar_level - draw_total(m, s),
                                 doc="(CVAR) u_s ≥ η − R_s")


def _prepare_draw_points(m: pyo.Block) -> None:
    """The tangent points of :func:`_prepare_points`, with each draw's gˢ and slope there: (d (n), g (S, n), g′ (S, n))."""
    inst: Instance = m._mmo_instance
    m._oa_draw_points = {}
    if not len(m.DRAWN):
        return
    at_zero = inst.draw_revenue(np.zeros(inst.n))
    for part in REGIONS:
        m._oa_draw_points[part] = [(d, inst.draw_revenue(d) - at_zero, _draw_slope(inst, d))
                                   for d, _, _ in m._oa_points[part]]


def _draw_slope(inst: Instance, delta: np.ndarray) -> np.ndarray:
    """d r_i^s / d δ_i at δ for every draw (less the spend price), shape (S, n)."""
    assert inst.curves is not None
    return inst.curves.draw_response(inst.baseline + delta, order=1) - inst.spend_price


def draw_total(m: pyo.Block, s: int) -> pyo.Expression:
    """R_s / R: draw s's revenue at the baseline plus every activity's change in it — its own draw's w⁻ˢ + w⁺ˢ for
    an activity with draws, the one curve's w⁻ + w⁺ for the others."""
    inst: Instance = m._mmo_instance
    unit = float(pyo.value(m.objective_unit))
    if adstocked(inst):                      # Σ_(i,t) ρ[i,t,s] (ρ[i,t] for activities without draws), less a price
        drawn = {a for a, _ in m.DRAWN_PERIODS}
        total = sum(m.period_response_draw[a, t, s] if a in drawn else m.period_response[a, t]
                    for a, t in m.RESPONSE_PERIODS)
        return total - priced_spend(m, inst)
    if not hasattr(m, "_draw_base"):
        m._draw_base = inst.draw_revenue(np.zeros(inst.n)).sum(axis=1)
    drawn = set(m.DRAWN)
    change = c.region_sum("w")
    terms = []
    for i in m.ACTIVITIES:
        weight = c.negligible_as_zero(float(pyo.value(m.change_unit[i])) / unit)
        if i in drawn:
            terms.append(weight * sum(getattr(m, f"wd_{p}")[i, s] for p in REGIONS if getattr(m, f"has_{p}")[i]))
        else:
            terms.append(weight * change(m, i))
    return float(m._draw_base[s]) / unit + sum(terms)


def refine_draws(model: pyo.Block, inst: Instance, delta: np.ndarray, tol: float) -> int:
    """:func:`refine` for the draws of a risk measure: a tangent of gˢ at the plan's δ_R wherever w_R^s over-states it
    by more than ``tol``."""
    if not len(model.DRAWS):
        return 0
    g = inst.draw_revenue(delta) - inst.draw_revenue(np.zeros(inst.n))
    slope = _draw_slope(inst, delta)
    added = 0
    for a in model.DRAWN:
        k = model._mmo_position[a]
        if delta[k] == 0:
            continue
        part = "dec" if delta[k] < 0 else "inc"
        _, d_var, z = region_vars(model, part, a)
        units = region_units(model, a)
        w = getattr(model, f"wd_{part}")
        for s in model.DRAWS:
            if np.isfinite(slope[s, k]) and (w[a, s].value or 0.0) * units[1] - g[s, k] > tol:
                model.tangent_refinements.add(tangent_cut(w[a, s], d_var, z, float(g[s, k]), float(slope[s, k]),
                                                          float(delta[k]), units))
                added += 1
    return added
