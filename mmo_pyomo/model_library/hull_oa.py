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

Under a risk measure each posterior draw gets its own cuts (:mod:`mmo_pyomo.model_library.draws`); for a
time-phased plan with adstock each period's response is cut in the effective spend instead
(:mod:`mmo_pyomo.model_library.adstock`). The cut itself lives in :mod:`mmo_pyomo.model_library.tangents`.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.curves.families import ResponseCurves
from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.model_library import components as c
from mmo_pyomo.model_library.adstock import (
    add_adstock_response,
    adstocked,
    check_adstock_concavity,
    priced_spend,
    refine_adstock,
)
from mmo_pyomo.model_library.draws import add_cvar, add_draw_revenue, refine_draws
from mmo_pyomo.model_library.record import Formulation
from mmo_pyomo.model_library.tangents import REGIONS, region_units, region_vars, tangent_cut
from mmo_pyomo.solvers.capabilities import Capability as C

#: Tangent points per region in a new model (both ends of the region included).
DEFAULT_TANGENTS = 4

#: Segments per region of a piecewise-linear surrogate of a curve that is not concave.
DEFAULT_BREAKPOINTS = 16



def build_model(tangents: int = DEFAULT_TANGENTS, nonconcave: str = "pwl",
                breakpoints: int = DEFAULT_BREAKPOINTS, cut_at: Sequence[np.ndarray] = ()) -> pyo.AbstractModel:
    """The hull with tangent cuts: regions (3.8c–f), cardinality, ``tangents`` cuts per region, and one more
    at each spend change of every plan in ``cut_at`` (per activity, in the region holding it: a start, or the
    Lagrangian relaxation's choice per region, where the cuts then make the model's relaxation as tight as the
    hull's); curves that are not concave get a piecewise-linear surrogate (``nonconcave="pwl"``) or are
    refused (``"error"``)."""
    if tangents < 1 or breakpoints < 1:
        raise ValueError("hull_oa needs at least one tangent and one segment per region")
    if nonconcave not in ("pwl", "error"):
        raise ValueError(f"nonconcave must be 'pwl' or 'error', not {nonconcave!r}")
    m = c.new_base_model("mmo_hull_oa")
    c.add_regions(m)
    c.add_changed_expression(m)
    c.add_cardinality(m)
    points = tuple(np.asarray(p, float) for p in cut_at)
    m.prepare_cut_points = pyo.BuildAction(rule=lambda m: _prepare_points(m, tangents, nonconcave, breakpoints,
                                                                          points))
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
    if inst.risk is not None and inst.curves is not None and not adstocked(inst):
        ok = inst.curves.draws_concave_on(inst.lower, inst.upper)
        if not ok.all():
            k = np.flatnonzero(~ok)
            raise DataError(f"the risk measure {inst.risk} cuts every posterior draw by its tangents, and the draws of "
                            f"{', '.join(repr(inst.activities[i]) for i in k[:5])} are not all concave over the "
                            "allowed spend", "raise those activities' lower spend above their draws' inflection, or "
                            "use --risk mean")
    if adstocked(inst):
        check_adstock_concavity(inst)
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


def _prepare_points(m: pyo.Block, tangents: int, nonconcave: str, breakpoints: int,
                    cut_at: tuple[np.ndarray, ...] = ()) -> None:
    """Tangent points (concave activities) and breakpoints (the others) per region, with g and g′; the
    points of ``cut_at`` count only in the region that holds them (g′ is NaN elsewhere: no cut)."""
    inst: Instance = m._mmo_instance
    for at in cut_at:
        if at.shape != (inst.n,) or not np.isfinite(at).all():
            raise DataError(f"a hull_oa cut point needs a finite spend change for each of the {inst.n} activities",
                            "give plans of this instance (spend changes, in its activities' order)")
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
        for at in cut_at:                    # every list has the same length: a point outside the region cuts nothing
            inside = has & (at >= lo) & (at <= hi) & (at != 0)
            p = np.where(inside, at, lo)
            m._oa_points[part].append((p, revenue_change(inst, p), np.where(inside, inst.revenue_slope(p), np.nan)))
        use = has & ~concave & (not adstocked(inst))     # adstocked responses are cut in a (add_adstock_response)
        grid = lo[None, :] + (hi - lo)[None, :] * np.linspace(0.0, 1.0, breakpoints + 1)[:, None]
        g = np.array([revenue_change(inst, row) for row in grid]) if use.any() else np.zeros_like(grid)
        m._oa_pieces[part] = (grid, g, use)


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
            if not m._oa_concave[k] or not getattr(m, f"has_{part}")[i] or adstocked(m._mmo_instance):
                return pyo.Constraint.Skip
            d, g, s = (arr[k] for arr in m._oa_points[part][p])
            if not np.isfinite(s):                      # e.g. a Hill curve with s < 1 at zero spend
                return pyo.Constraint.Skip
            return tangent_cut(*region_vars(m, part, i), float(g), float(s), float(d), region_units(m, i))
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
        unit, r = region_units(m, i)
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
            return sum(m.period_response[p] for p in m.RESPONSE_PERIODS) - priced_spend(m, inst)
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
    if adstocked(inst):
        return refine_adstock(model, inst, delta, tol)
    added = refine_draws(model, inst, delta, tol)
    g, slope = revenue_change(inst, delta), inst.revenue_slope(delta)
    by_draw = set(model.DRAWN)                       # their revenue is their draws' (refine_draws), not the mean's
    for k in np.flatnonzero((delta != 0) & model._oa_concave & np.isfinite(slope)):
        a = inst.activities[k]
        if a in by_draw:
            continue
        part = "dec" if delta[k] < 0 else "inc"
        w, d_var, z = region_vars(model, part, a)
        units = region_units(model, a)
        if (w.value or 0.0) * units[1] - g[k] > tol:
            model.tangent_refinements.add(tangent_cut(w, d_var, z, float(g[k]), float(slope[k]), float(delta[k]), units))
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
    if inst.curves is None or adstocked(inst):           # adstocked responses are cut exactly, never interpolated
        return 0.0
    per = pwl_error_bounds(inst, int(breakpoints))
    curves = inst.curves
    if inst.risk is not None and curves.table_draws:    # each draw's samples have their own error, and the CVaR is
        return max(_samples_error(inst, curves.with_draw(s), per)    # off by at most the largest draw's
                   for s in range(curves.n_draws))
    return _samples_error(inst, curves, per)


def _samples_error(inst: Instance, curves: ResponseCurves, per: np.ndarray) -> float:
    """Σ_i e_i(x̄) plus the K largest range errors (:func:`curve_error_bound`) of ``curves``' samples."""
    at_baseline, over_range = curves.sample_error(inst.lower, inst.upper, inst.baseline)
    changed = np.sort(per + over_range)[::-1][:max(inst.max_changes, 0)]
    return float(at_baseline.sum() + changed.sum())


FORMULATION = Formulation(
    name="hull_oa", builder=build_model, equations="(3.8) with tangent cuts per region (beyond the paper)",
    needs=frozenset({C.LINEAR, C.INTEGER}),
    start_pieces=(c.spend_change_start, c.regions_start, region_revenue_start),
    description="the hull's cones as tangent cuts, refined at each plan: a MILP",
    refine=refine, takes_curves=True, takes_risk=True, takes_adstock=True, check=check_concavity,
    options={"tangents": DEFAULT_TANGENTS, "nonconcave": "pwl", "breakpoints": DEFAULT_BREAKPOINTS, "cut_at": ()},
    curve_options=("nonconcave", "breakpoints"), error_bound=curve_error_bound,
)
