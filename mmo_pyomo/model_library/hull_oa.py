"""Hull, outer-approximated: the hull's cones replaced by tangent cuts, a MILP any MIP engine takes.

Each region R ∈ {R⁻, R⁺} of activity i gets a variable w_R for its revenue change. With g(δ) =
r(δ) − r(0) the revenue change of a spend change δ, the hull asks w_R ≤ z_R·g(δ_R/z_R), the
perspective of g, which is concave where g is. Each tangent of g at a point d̂ of the region gives
a linear cut in perspective form (equation (OA) of docs/mathematics.md §7a):

    w_R ≤ (g(d̂) − g′(d̂)·d̂)·z_R + g′(d̂)·δ_R.

For the quadratic g(δ) = aδ² + bδ this is w_R ≤ −a·d̂²·z_R + (2a·d̂ + b)·δ_R, the hull's cone
(δ_R)² ≤ t_R·z_R cut at (d̂, 1) with w_R = a·t_R + b·δ_R. At z_R = 0 the region's δ_R is 0 and the
cut says w_R ≤ 0. The cuts over-estimate a concave g, so the MILP's bound is a valid upper bound
on the true optimum. The model starts with ``tangents`` points spread evenly over each region,
plus the tangent at δ = 0; :func:`refine` adds a cut at a plan's own δ_R wherever the cuts there
over-state the revenue, and the runner re-solves until (bound − true revenue) meets the gap target.

Response curves that are not concave over the allowed spend (an S-shaped Hill curve) cannot be
cut this way. With ``nonconcave="pwl"`` each of their regions is instead replaced by a
piecewise-linear interpolation on ``breakpoints`` segments (a multiple-choice MILP: one segment
binary per segment, summing to z_R), whose error is at most h²·max|g″|/8 per activity.
"""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.solvers.capabilities import Capability as C

#: Tangent points per region in a new model (both ends of the region included).
DEFAULT_TANGENTS = 4

#: Segments per region of a piecewise-linear surrogate of a curve that is not concave.
DEFAULT_BREAKPOINTS = 16

REGIONS = ("dec", "inc")


def build_model(tangents: int = DEFAULT_TANGENTS, nonconcave: str = "pwl",
                breakpoints: int = DEFAULT_BREAKPOINTS) -> pyo.AbstractModel:
    """The hull with tangent cuts: regions (3.8c–f), cardinality, ``tangents`` cuts per region;
    curves that are not concave get a piecewise-linear surrogate (``nonconcave="pwl"``) or are
    refused (``"error"``)."""
    if tangents < 1 or breakpoints < 1:
        raise ValueError("hull_oa needs at least one tangent and one segment per region")
    if nonconcave not in ("pwl", "error"):
        raise ValueError(f"nonconcave must be 'pwl' or 'error', not {nonconcave!r}")
    m = c.new_base_model("mmo_hull_oa")
    c.add_regions(m)
    c.add_changed_expression(m)
    c.add_cardinality(m)
    m.prepare_cut_points = pyo.BuildAction(rule=lambda m: _prepare_points(m, tangents, nonconcave, breakpoints))
    add_region_revenue(m)
    add_region_revenue_tangents(m)
    add_region_revenue_pieces(m)
    add_draw_revenue(m)
    add_adstock_response(m)
    add_cvar(m)
    add_region_revenue_objective(m)
    return m


# --------------------------------------------------------------------------- the revenue change g
def revenue_change(inst: Instance, delta: np.ndarray) -> np.ndarray:
    """g_i(δ_i) = r_i(δ_i) − r_i(0) for every activity (a·δ² + b·δ for a quadratic, without the constant,
    which would cancel to nothing a change far smaller than it)."""
    if inst.curves is None:
        delta = np.asarray(delta, dtype=float)
        return inst.quad * delta**2 + inst.lin * delta
    return inst.revenue(delta) - inst.revenue(np.zeros(inst.n))


def concave_activities(inst: Instance) -> np.ndarray:
    """Whether each activity's revenue is concave over its allowed spend (always, for quadratics)."""
    if inst.curves is None:
        return np.ones(inst.n, bool)
    return inst.curves.concave_on(inst.lower, inst.upper)


def check_concavity(inst: Instance, nonconcave: str = "pwl", concave: np.ndarray | None = None, **_: object) -> None:
    """With ``nonconcave="error"``, refuse curves that are not concave, naming them and their inflection
    (``concave``: :func:`concave_activities`, when the caller has it). Under a risk measure every draw must be
    concave: each is cut by its own tangents."""
    if inst.risk is not None and inst.curves is not None and not _adstocked(inst):
        ok = inst.curves.draws_concave_on(inst.lower, inst.upper)
        if not ok.all():
            k = np.flatnonzero(~ok)
            raise DataError(f"the risk measure {inst.risk} cuts every posterior draw by its tangents, and the draws of "
                            f"{', '.join(repr(inst.activities[i]) for i in k[:5])} are not all concave over the "
                            "allowed spend", "raise those activities' lower spend above their draws' inflection, or "
                            "use --risk mean")
    if _adstocked(inst):
        _check_adstock_concavity(inst)
        return
    if nonconcave != "error":
        return
    concave = concave_activities(inst) if concave is None else concave
    if concave.all():
        return
    k = np.flatnonzero(~concave)
    infl = inst.curves.inflection() if inst.curves is not None else np.zeros(inst.n)
    named = ", ".join(f"'{inst.activities[i]}' (inflection at spend {infl[i]:,.4g})" for i in k[:5])
    raise DataError(f"{len(k)} response curve(s) are not concave over the allowed spend: {named}"
                    + (" …" if len(k) > 5 else ""),
                    "use --nonconcave pwl (a piecewise-linear surrogate with a stated error), or raise "
                    "those activities' lower spend above the inflection")


def _prepare_points(m: pyo.Block, tangents: int, nonconcave: str, breakpoints: int) -> None:
    """Tangent points (concave activities) and breakpoints (the others) per region, with g and g′."""
    inst: Instance = m._mmo_instance
    reg = inst.regions
    concave = concave_activities(inst)
    check_concavity(inst, nonconcave, concave)
    m._oa_concave = concave
    m._oa_points, m._oa_pieces = {}, {}
    for part in REGIONS:
        lo, hi = getattr(reg, f"{part}_lower"), getattr(reg, f"{part}_upper")
        has = getattr(reg, f"has_{part}")
        frac = np.linspace(0.0, 1.0, tangents) if tangents > 1 else np.array([0.5])
        d = lo[None, :] + (hi - lo)[None, :] * frac[:, None]                       # (tangents, n)
        d = np.vstack([d, np.zeros(inst.n)])                                        # and the tangent at 0
        m._oa_points[part] = [(d[p], revenue_change(inst, d[p]), inst.revenue_slope(d[p])) for p in range(len(d))]
        use = has & ~concave & (not _adstocked(inst))     # adstocked responses are cut in a (add_adstock_response)
        grid = lo[None, :] + (hi - lo)[None, :] * np.linspace(0.0, 1.0, breakpoints + 1)[:, None]
        g = np.array([revenue_change(inst, row) for row in grid]) if use.any() else np.zeros_like(grid)
        m._oa_pieces[part] = (grid, g, use)


def _vars(m: pyo.Block, part: str, i: str) -> tuple[pyo.Var, pyo.Var, pyo.Var]:
    """(w_R, d_R, z_R) of activity i: the region's revenue change (in units of R), its spend change
    (in units of s_i) and its indicator."""
    return getattr(m, f"w_{part}")[i], getattr(m, f"d_{part}")[i], getattr(m, f"z_{part}")[i]


def _units(m: pyo.Block, i: str) -> tuple[float, float]:
    """(s_i, R_i): the units of activity i's spend change and of its revenue change (w_i)."""
    return float(pyo.value(m.spend_unit[i])), float(pyo.value(m.change_unit[i]))


def tangent_cut(w: pyo.Var, d: pyo.Var, z: pyo.Var, g: float, slope: float, d_hat: float,
                units: tuple[float, float] = (1.0, 1.0)) -> pyo.Expression:
    """w ≤ (g(d̂) − g′(d̂)·d̂)·z + g′(d̂)·δ: the tangent of the perspective z·g(δ/z) at (d̂, 1) (OA),
    with δ = s·d and the revenue change R_i·w (``units`` = (s, R_i))."""
    s, unit = units
    return w <= c.negligible_as_zero((g - slope * d_hat) / unit) * z + c.negligible_as_zero(slope * s / unit) * d


def add_region_revenue(m: pyo.Block) -> None:
    """w⁻, w⁺: the revenue change in each region, in units of R_i (fixed to 0 where the region is absent)."""
    def bounds(part: str):
        return lambda m, i: (None, None) if getattr(m, f"has_{part}")[i] else (0.0, 0.0)
    m.w_dec = pyo.Var(m.ACTIVITIES, bounds=bounds("dec"), doc="revenue change in R⁻")
    m.w_inc = pyo.Var(m.ACTIVITIES, bounds=bounds("inc"), doc="revenue change in R⁺")


def add_region_revenue_tangents(m: pyo.Block) -> None:
    """A tangent cut (OA) on w⁻, w⁺ at each prepared point of a concave activity, and an empty
    list ``tangent_refinements`` for :func:`refine`."""
    m.TANGENT_POINTS = pyo.Set(initialize=lambda m: range(len(m._oa_points["dec"])))

    def cut(part: str):
        def rule(m: pyo.Block, i: str, p: int):
            k = m._mmo_position[i]
            if not m._oa_concave[k] or not getattr(m, f"has_{part}")[i] or _adstocked(m._mmo_instance):
                return pyo.Constraint.Skip
            d, g, s = (arr[k] for arr in m._oa_points[part][p])
            if not np.isfinite(s):                      # e.g. a Hill curve with s < 1 at zero spend
                return pyo.Constraint.Skip
            return tangent_cut(*_vars(m, part, i), float(g), float(s), float(d), _units(m, i))
        return rule
    m.tangent_dec = pyo.Constraint(m.ACTIVITIES, m.TANGENT_POINTS, rule=cut("dec"), doc="(OA) on R⁻")
    m.tangent_inc = pyo.Constraint(m.ACTIVITIES, m.TANGENT_POINTS, rule=cut("inc"), doc="(OA) on R⁺")
    m.tangent_refinements = pyo.ConstraintList(doc="cuts added at plans by refine()")


def add_region_revenue_pieces(m: pyo.Block) -> None:
    """For activities whose curve is not concave: w_R ≤ the piecewise-linear interpolation of g on
    the region, by one binary per segment (Σ_s u_s = z_R, δ_R = Σ_s v_s, d_s·u_s ≤ v_s ≤ d_{s+1}·u_s)."""
    def segments(m: pyo.Block):
        for part in REGIONS:
            grid, _, use = m._oa_pieces[part]
            for k in np.flatnonzero(use):
                for s in range(grid.shape[0] - 1):
                    yield (m._mmo_instance.activities[k], part, s)
    m.PIECES = pyo.Set(dimen=3, initialize=segments, ordered=True)
    m.piece_on = pyo.Var(m.PIECES, domain=pyo.Binary, doc="u: the segment holding δ_R")
    m.piece_delta = pyo.Var(m.PIECES, doc="v: δ_R/s on that segment")

    def grid_at(m: pyo.Block, i: str, part: str, s: int) -> tuple[float, float, float, float]:
        """The segment's ends (in units of s_i) and g at them (in units of R)."""
        grid, g, _ = m._oa_pieces[part]
        k = m._mmo_position[i]
        unit, r = _units(m, i)
        return float(grid[s, k]) / unit, float(grid[s + 1, k]) / unit, float(g[s, k]) / r, float(g[s + 1, k]) / r

    m.piece_lower = pyo.Constraint(m.PIECES, rule=lambda m, i, p, s: grid_at(m, i, p, s)[0] * m.piece_on[i, p, s]
                                   <= m.piece_delta[i, p, s])
    m.piece_upper = pyo.Constraint(m.PIECES, rule=lambda m, i, p, s: m.piece_delta[i, p, s]
                                   <= grid_at(m, i, p, s)[1] * m.piece_on[i, p, s])
    m.PIECE_REGIONS = pyo.Set(dimen=2, ordered=True,
                              initialize=lambda m: list(dict.fromkeys((i, p) for i, p, _ in m.PIECES)))

    def of(m: pyo.Block, i: str, p: str) -> list[int]:
        return [s for (a, q, s) in m.PIECES if a == i and q == p]

    m.piece_choice = pyo.Constraint(m.PIECE_REGIONS, rule=lambda m, i, p: sum(m.piece_on[i, p, s] for s in of(m, i, p))
                                    == getattr(m, f"z_{p}")[i])
    m.piece_split = pyo.Constraint(m.PIECE_REGIONS, rule=lambda m, i, p: sum(m.piece_delta[i, p, s] for s in of(m, i, p))
                                   == getattr(m, f"d_{p}")[i])

    def interpolation(m: pyo.Block, i: str, p: str):
        terms = []
        for s in of(m, i, p):
            d0, d1, g0, g1 = grid_at(m, i, p, s)
            slope = (g1 - g0) / (d1 - d0) if d1 > d0 else 0.0
            terms.append((g0 - slope * d0) * m.piece_on[i, p, s] + slope * m.piece_delta[i, p, s])
        return getattr(m, f"w_{p}")[i] <= sum(terms)
    m.piece_revenue = pyo.Constraint(m.PIECE_REGIONS, rule=interpolation, doc="w_R ≤ interpolation of g")


def _adstocked(inst: Instance) -> bool:
    """Whether the instance is a time-phased plan whose spend carries over (its responses are cut in a[i,t])."""
    return inst.horizon is not None and inst.horizon.has_adstock


def _effective_bounds(inst: Instance) -> tuple[np.ndarray, np.ndarray]:
    """The least and most effective spend a[i,t] (A, T + carry)."""
    assert inst.horizon is not None
    return inst.horizon.effective_range(inst.lower, inst.upper)


def _check_adstock_concavity(inst: Instance) -> None:
    """Adstocked curves are cut by tangents in the effective spend: each must be concave over its range."""
    h, curves = inst.horizon, inst.curves
    assert h is not None and curves is not None
    lo, hi = _effective_bounds(inst)
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
    lo, hi = _effective_bounds(inst)
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
            if inst.risk is not None and int(first[i]) in curves.draws:
                m._ad_draw_points[a, t] = (pts, curves.draws_of(int(first[i]), pts), curves.draws_of(int(first[i]), pts, 1))
                both = curves.draws_of(int(first[i]), np.array([lo[i, t - 1], hi[i, t - 1]]))
                m._ad_draw_range[a, t] = (both.min(axis=1), both.max(axis=1))


def _priced_spend(m: pyo.Block, inst: Instance) -> pyo.Expression | float:
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


def add_draw_revenue(m: pyo.Block) -> None:
    """Under a risk measure ``cvar:α`` (:mod:`mmo_pyomo.instance.risk`): per posterior draw s, the regions' revenue
    changes w⁻ˢ, w⁺ˢ of each activity with draws, cut by the tangents of its own curve gˢ (OA per draw), and the
    Rockafellar–Uryasev variables η and u_s ≥ max(0, η − R_s) (CVAR). Without a risk measure the sets are empty."""
    def drawn(m: pyo.Block) -> list[str]:
        inst: Instance = m._mmo_instance
        if inst.risk is None or inst.curves is None or _adstocked(inst):     # adstocked: per period, below
            return []
        return [inst.activities[k] for k in sorted(inst.curves.draws)]
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
            _, d_var, z = _vars(m, part, i)
            return tangent_cut(getattr(m, f"wd_{part}")[i, s], d_var, z, float(g[s, k]), float(slope[s, k]),
                               float(d[k]), _units(m, i))
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
    if _adstocked(inst):                      # Σ_(i,t) ρ[i,t,s] (ρ[i,t] for activities without draws), less a price
        drawn = {a for a, _ in m.DRAWN_PERIODS}
        total = sum(m.period_response_draw[a, t, s] if a in drawn else m.period_response[a, t]
                    for a, t in m.RESPONSE_PERIODS)
        return total - _priced_spend(m, inst)
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


def add_region_revenue_objective(m: pyo.Block) -> None:
    """maximize Σ_i r_i(0) + R_i·(w⁻_i + w⁺_i): the revenue at the baseline plus the regions' changes (in units of R);
    under a risk measure ``cvar:α``, maximize η − Σ_s u_s / (α·S) (CVAR)."""
    def rule(m: pyo.Block):
        inst: Instance = m._mmo_instance
        periods, draws = m.component("RESPONSE_PERIODS"), m.component("DRAWS")    # (mm_cone has neither)
        if periods is not None and len(periods):            # (ADSTOCK): Σ_t Σ_i ρ[i,t], less a price on spend (mroi)
            if len(draws):
                assert inst.risk is not None
                return m.cvar_level - sum(m.cvar_shortfall[s] for s in m.DRAWS) / (inst.risk.alpha * len(m.DRAWS))
            return sum(m.period_response[p] for p in m.RESPONSE_PERIODS) - _priced_spend(m, inst)
        if draws is not None and len(draws):
            assert inst.risk is not None
            return m.cvar_level - sum(m.cvar_shortfall[s] for s in m.DRAWS) / (inst.risk.alpha * len(m.DRAWS))
        base = float(inst.revenue(np.zeros(len(m.ACTIVITIES))).sum())
        unit = float(pyo.value(m.objective_unit))
        change = c.region_sum("w")
        return base / unit + sum(c.negligible_as_zero(float(pyo.value(m.change_unit[i])) / unit) * change(m, i)
                                 for i in m.ACTIVITIES)
    m.revenue = pyo.Objective(sense=pyo.maximize, rule=rule)


# --------------------------------------------------------------------------- refinement and starts
def refine(model: pyo.Block, inst: Instance, delta: np.ndarray, tol: float) -> int:
    """Add a tangent at the plan's δ_R to each region of a concave activity whose cuts over-state
    its revenue change, w_R − g(δ_R), by more than ``tol``. Returns how many cuts were added."""
    if _adstocked(inst):
        return refine_adstock(model, inst, delta, tol)
    added = refine_draws(model, inst, delta, tol)
    g, slope = revenue_change(inst, delta), inst.revenue_slope(delta)
    by_draw = set(model.DRAWN)                       # their revenue is their draws' (refine_draws), not the mean's
    for k in np.flatnonzero((delta != 0) & model._oa_concave & np.isfinite(slope)):
        a = inst.activities[k]
        if a in by_draw:
            continue
        part = "dec" if delta[k] < 0 else "inc"
        w, d_var, z = _vars(model, part, a)
        units = _units(model, a)
        if (w.value or 0.0) * units[1] - g[k] > tol:
            model.tangent_refinements.add(tangent_cut(w, d_var, z, float(g[k]), float(slope[k]), float(delta[k]), units))
            added += 1
    return added


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
        _, d_var, z = _vars(model, part, a)
        units = _units(model, a)
        w = getattr(model, f"wd_{part}")
        for s in model.DRAWS:
            if np.isfinite(slope[s, k]) and (w[a, s].value or 0.0) * units[1] - g[s, k] > tol:
                model.tangent_refinements.add(tangent_cut(w[a, s], d_var, z, float(g[s, k]), float(slope[s, k]),
                                                          float(delta[k]), units))
                added += 1
    return added


def region_revenue_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """w⁻ = g(δ⁻)/R_i, w⁺ = g(δ⁺)/R_i (:func:`add_region_revenue_tangents`)."""
    g = revenue_change(inst, delta) / inst.units.change
    return {"w_dec": np.where(delta < 0, g, 0.0), "w_inc": np.where(delta > 0, g, 0.0)}


def pwl_error_bounds(inst: Instance, breakpoints: int = DEFAULT_BREAKPOINTS) -> np.ndarray:
    """Per activity, the largest error of its piecewise-linear surrogate on each region
    (:meth:`~mmo_pyomo.curves.families.ResponseCurves.interpolation_error`; 0 for activities cut by
    tangents, which are exact at the plan)."""
    out = np.zeros(inst.n)
    if inst.curves is None:
        return out
    reg = inst.regions
    concave = concave_activities(inst)
    for part in REGIONS:
        lo, hi = getattr(reg, f"{part}_lower"), getattr(reg, f"{part}_upper")
        for k in np.flatnonzero(getattr(reg, f"has_{part}") & ~concave):
            x0 = float(inst.baseline[k])
            out[k] = max(out[k], inst.curves.interpolation_error(int(k), x0 + lo[k], x0 + hi[k], breakpoints))
    return out


def curve_error_bound(inst: Instance, breakpoints: int = DEFAULT_BREAKPOINTS, **_: object) -> float:
    """How far the model's revenue can lie below the instance's curves for any plan: the piecewise-linear
    surrogates of curves that are not concave, and curves known only by samples. Each activity that changes
    can be off by its largest error over its range, each that does not by its error at the baseline:
    Σ_i e_i(x̄) plus the K largest of the range errors bounds every plan."""
    if inst.curves is None or _adstocked(inst):           # adstocked responses are cut exactly, never interpolated
        return 0.0
    per = pwl_error_bounds(inst, int(breakpoints))
    at_baseline, over_range = inst.curves.sample_error(inst.lower, inst.upper, inst.baseline)
    changed = np.sort(per + over_range)[::-1][:max(inst.max_changes, 0)]
    return float(at_baseline.sum() + changed.sum())


FORMULATION = Formulation(
    name="hull_oa", builder=build_model, equations="(3.8) with tangent cuts per region (beyond the paper)",
    needs=frozenset({C.LINEAR, C.INTEGER}),
    start_pieces=(c.spend_change_start, c.regions_start, region_revenue_start),
    description="the hull's cones as tangent cuts, refined at each plan: a MILP",
    refine=refine, takes_curves=True, takes_risk=True, takes_adstock=True, check=check_concavity,
    options={"tangents": DEFAULT_TANGENTS, "nonconcave": "pwl", "breakpoints": DEFAULT_BREAKPOINTS},
    curve_options=("nonconcave", "breakpoints"), error_bound=curve_error_bound,
)
