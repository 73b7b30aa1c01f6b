"""Formulation pieces: small named functions, each adding one group of constraints.

Every formulation in this package is an ``AbstractModel`` assembled from these pieces
(see the modules ``minlp``, ``miqp``, ``perspective``, ``misocp`` and ``hull``). Equation
numbers refer to Huang, Xu & Lim, *Marketing Mix Optimization with Practical Constraints*
(arXiv 2101.03663); ``docs/mathematics.md`` restates every equation cited here. Each piece
that adds variables has a ``*_start`` companion giving their values for a plan δ (a MIP start).

**Units.** The variables are measured in the units of :mod:`mmo_pyomo.instance.units`, so that a
budget in millions and a curvature of 10⁻⁹ give the same well-scaled model as the paper's small
numbers: activity i's spend change is δ_i = s_i·d_i (``spend_unit[i]`` = s_i, |d_i| ≤ 1), and the
objective is the revenue divided by ``objective_unit`` = R. Each constraint below is the paper's,
divided through by its unit; its comment gives it in the paper's own terms.

Shared notation (all indexed by activity i):

* ``d[i]`` — the spend change in units of s_i; ``delta[i]`` = s_i·d_i is δ_i = x_i − x̄_i itself;
* ``z_dec[i], z_none[i], z_inc[i]`` — region indicators z⁻, z⁰, z⁺ (region formulations);
* ``d_dec[i], d_inc[i]`` — the parts δ⁻/s, δ⁺/s of δ/s in R⁻ and R⁺ (``delta_dec``, ``delta_inc``: δ⁻, δ⁺);
* ``changed[i]`` — 1 when activity i changes spend (z in the MINLP, y = z⁻ + z⁺ otherwise).
"""
from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.pyomo_schema import declare_data, instance_from_model
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.validate import validate

#: A rule giving, for activity i, the expression that stands for δ_i² in the objective.
CurvatureRule = Callable[[pyo.Block, str], pyo.Expression]


# --------------------------------------------------------------------------- data
#: The instance a model is being built from (set by :func:`built_from`): its data then need not
#: be read back from the Pyomo components and checked again.
_SOURCE: contextvars.ContextVar[Instance | None] = contextvars.ContextVar("mmo_source_instance", default=None)


@contextlib.contextmanager
def built_from(inst: Instance) -> Iterator[None]:
    """Within the block, models under construction take their data from ``inst`` as it is.

    The caller is responsible for ``inst`` being valid (``runner.create_model`` validates it,
    unless told not to). Without this, for instance under ``pyomo solve`` with a ``.dat`` file,
    the data are read back from the model and validated.
    """
    token = _SOURCE.set(inst)
    try:
        yield
    finally:
        _SOURCE.reset(token)


def _prepare_data(m: pyo.Block) -> None:
    """Take (or read back and validate) the instance, and compute the Table 1 region bounds once."""
    source = _SOURCE.get()
    inst = source if source is not None and len(source.activities) == len(m.ACTIVITIES) \
        else validate(instance_from_model(m))
    m._mmo_instance = inst
    m._mmo_position = {a: k for k, a in enumerate(inst.activities)}


def _region_param(field: str) -> Callable[[pyo.Block, str], float]:
    def rule(m: pyo.Block, i: str) -> float:
        return float(getattr(m._mmo_instance.regions, field)[m._mmo_position[i]])
    return rule


def _reach(m: pyo.Block, i: str, side: str) -> float:
    """The lowest or highest spend activity ``i`` can reach (``side`` "lower" or "upper")."""
    return float(getattr(m._mmo_instance.reach, side)[m._mmo_position[i]])


def _spend_unit(m: pyo.Block, i: str) -> float:
    return float(m._mmo_instance.units.spend[m._mmo_position[i]])


def add_data(m: pyo.Block) -> None:
    """The sets and parameters of the instance (docs/mathematics.md §1), validated, plus the Table 1
    region bounds and the units s_i and R (:mod:`mmo_pyomo.instance.units`)."""
    declare_data(m)
    m.prepare_data = pyo.BuildAction(rule=_prepare_data)
    for field, doc in (("dec_lower", "lower end of R⁻"), ("dec_upper", "upper end of R⁻ (−m_i)"),
                       ("inc_lower", "lower end of R⁺ (m_i)"), ("inc_upper", "upper end of R⁺")):
        m.add_component(field, pyo.Param(m.ACTIVITIES, initialize=_region_param(field), doc=doc))
    m.has_dec = pyo.Param(m.ACTIVITIES, initialize=_region_param("has_dec"), within=pyo.Boolean,
                          doc="R⁻ exists (Table 1)")
    m.has_inc = pyo.Param(m.ACTIVITIES, initialize=_region_param("has_inc"), within=pyo.Boolean,
                          doc="R⁺ exists (Table 1)")
    m.spend_unit = pyo.Param(m.ACTIVITIES, initialize=_spend_unit, doc="s_i: δ_i = s_i·d_i")
    m.objective_unit = pyo.Param(initialize=lambda m: float(m._mmo_instance.units.revenue),
                                 doc="R: the objective is revenue / R")
    m.change_unit = pyo.Param(m.ACTIVITIES, initialize=lambda m, i: float(m._mmo_instance.units.change[m._mmo_position[i]]),
                              doc="R_i: a revenue change of activity i in units of R_i")


#: A bound or coefficient smaller than this in units is written as 0: below every engine's tolerance, it means
#: nothing to an engine but trouble (Xpress's bound fell 0.25% below the optimum with a minimum change of
#: 1.6e-40 in units).
NEGLIGIBLE = 1e-12


def negligible_as_zero(x: float) -> float:
    """``x``, or 0 when it is smaller than :data:`NEGLIGIBLE` (a coefficient or bound in units)."""
    return 0.0 if abs(x) < NEGLIGIBLE else float(x)


def _scaled(value: Any, unit: Any) -> float:
    """A bound or coefficient of the paper's model in units: value / unit, as a float (0 if negligible)."""
    return negligible_as_zero(float(pyo.value(value)) / float(pyo.value(unit)))


# --------------------------------------------------------------------------- spend change, budget, rules
def add_spend_change(m: pyo.Block) -> None:
    """d_i = δ_i/s_i with the spend bounds l_i ≤ x̄_i + δ_i ≤ u_i as variable bounds (3.7b), over the range the
    budget and the rules let the activity reach (:mod:`mmo_pyomo.instance.reach`)."""
    m.d = pyo.Var(m.ACTIVITIES, bounds=lambda m, i: (_scaled(_reach(m, i, "lower") - m.baseline[i], m.spend_unit[i]),
                                                    _scaled(_reach(m, i, "upper") - m.baseline[i], m.spend_unit[i])),
                  doc="spend change δ_i / s_i")
    m.delta = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.spend_unit[i] * m.d[i], doc="spend change δ_i")
    m.new_spend = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.baseline[i] + m.delta[i])


def _linear_row(m: pyo.Block, terms: list[tuple[str, float]], lo: float, hi: float):
    """lo ≤ Σ g·δ_i ≤ hi, divided by the row's unit (a power of ten ≥ max |g|·s_i): O(1) coefficients."""
    inst: Instance = m._mmo_instance
    pos = np.array([m._mmo_position[i] for i, _ in terms], dtype=np.int64)
    unit = inst.units.row_unit(np.array([g for _, g in terms], dtype=float), pos)
    coef = [(i, negligible_as_zero(g * float(inst.units.spend[k]) / unit)) for (i, g), k in zip(terms, pos.tolist())]
    if not any(c for _, c in coef):                  # nothing left to bind (validation checks the bounds' reach)
        return pyo.Constraint.Skip
    body = sum(c * m.d[i] for i, c in coef if c)
    return (None if lo == -float("inf") else lo / unit, body, None if hi == float("inf") else hi / unit)


def add_budget(m: pyo.Block) -> None:
    """β⁻·Σx̄ ≤ Σ_i (x̄_i + δ_i) ≤ β⁺·Σx̄ (3.7c, 3.8b, 3.9b), written as bounds on Σ_i δ_i.

    Constants are moved into the bounds: Pyomo 6.10's ``scip_direct`` mistranslates a
    ranged row whose body holds a constant (it subtracts the constant from one side only).
    """
    def rule(m: pyo.Block):
        total = float(sum(pyo.value(m.baseline[i]) for i in m.ACTIVITIES))
        return _linear_row(m, [(i, 1.0) for i in m.ACTIVITIES], (pyo.value(m.budget_lower) - 1) * total,
                           (pyo.value(m.budget_upper) - 1) * total)
    m.budget = pyo.Constraint(rule=rule)


def add_business_rules(m: pyo.Block) -> None:
    """L_r ≤ Σ_i g_ri (x̄_i + δ_i) ≤ U_r for every rule r (group budgets, §4.1 knapsack rows).

    Written as L_r − Σ g x̄ ≤ Σ_i g_ri δ_i ≤ U_r − Σ g x̄ (see :func:`add_budget`).
    """
    def rule(m: pyo.Block, r: str):
        if not hasattr(m, "_mmo_rule_terms"):  # once per constructed instance
            m._mmo_rule_terms = m._mmo_instance.rule_terms()
        terms = m._mmo_rule_terms[r]
        if not terms:  # a rule with no coefficient binds nothing
            return pyo.Constraint.Skip
        at_baseline = sum(g * pyo.value(m.baseline[i]) for i, g in terms)   # constant moved to the bounds
        lo, hi = pyo.value(m.rule_lower[r]), pyo.value(m.rule_upper[r])
        if lo == -float("inf") and hi == float("inf"):  # no bound given: nothing to enforce
            return pyo.Constraint.Skip
        return _linear_row(m, terms, lo - at_baseline, hi - at_baseline)
    m.business_rules = pyo.Constraint(m.RULES, rule=rule)


# --------------------------------------------------------------------------- minimum change
def add_change_indicator_binary(m: pyo.Block) -> None:
    """The MINLP's binary z_i (1 = changed) (3.7f); it is the ``changed`` indicator."""
    m.z = pyo.Var(m.ACTIVITIES, domain=pyo.Binary, doc="1 if activity i changes spend")
    m.changed = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.z[i])


def add_min_change_absolute(m: pyo.Block, form: str = "square") -> None:
    """The MINLP's minimum-change constraints (3.7d) with M_i = max(x̄_i − l_i, u_i − x̄_i).

    ``|δ_i| ≥ m_i z_i`` is nonconvex. ``form="abs"`` writes it literally; ``form="square"``
    writes the equivalent ``δ_i² ≥ m_i² z_i`` (a nonconvex quadratic constraint) for engines
    that reject ``abs``. The upper part ``|δ_i| ≤ M_i z_i`` is two linear rows. In units:
    |d_i| ≥ (m_i/s_i) z_i and |d_i| ≤ (M_i/s_i) z_i.
    """
    if form not in ("abs", "square"):
        raise ValueError(f"form must be 'abs' or 'square', not {form!r}")
    m.big_m = pyo.Param(m.ACTIVITIES, initialize=_region_param("big_m"), doc="M_i")

    def lower_rule(m: pyo.Block, i: str):
        if m.min_change[i] == 0:
            return pyo.Constraint.Skip
        least = _scaled(m.min_change[i], m.spend_unit[i])
        if form == "abs":
            return abs(m.d[i]) >= least * m.z[i]
        return m.d[i] ** 2 >= least ** 2 * m.z[i]
    m.min_change_lower = pyo.Constraint(m.ACTIVITIES, rule=lower_rule, doc="(3.7d) |δ| ≥ m z")
    m.change_upper = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.d[i] <= _scaled(m.big_m[i], m.spend_unit[i]) * m.z[i],
                                    doc="(3.7d) δ ≤ M z")
    m.change_lower = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: -_scaled(m.big_m[i], m.spend_unit[i]) * m.z[i] <= m.d[i],
                                    doc="(3.7d) −M z ≤ δ")


def add_regions(m: pyo.Block) -> None:
    """Region indicators and region-bounded parts of δ (3.8c, 3.8d, 3.8f).

    δ_i = δ⁻_i + δ⁺_i; z⁻_i + z⁰_i + z⁺_i = 1; L⁻z⁻ ≤ δ⁻ ≤ U⁻z⁻ and L⁺z⁺ ≤ δ⁺ ≤ U⁺z⁺ (each divided by s_i).
    The indicator of a region that Table 1 says is absent has upper bound 0 (3.8f).
    """
    def unit(field: str):
        return lambda m, i: _scaled(getattr(m, field)[i], m.spend_unit[i])
    m.z_dec = pyo.Var(m.ACTIVITIES, domain=pyo.Binary, bounds=lambda m, i: (0, int(m.has_dec[i])), doc="z⁻")
    m.z_none = pyo.Var(m.ACTIVITIES, domain=pyo.Binary, doc="z⁰")
    m.z_inc = pyo.Var(m.ACTIVITIES, domain=pyo.Binary, bounds=lambda m, i: (0, int(m.has_inc[i])), doc="z⁺")
    m.d_dec = pyo.Var(m.ACTIVITIES, bounds=lambda m, i: (unit("dec_lower")(m, i), 0), doc="δ⁻/s ∈ R⁻/s ∪ {0}")
    m.d_inc = pyo.Var(m.ACTIVITIES, bounds=lambda m, i: (0, unit("inc_upper")(m, i)), doc="δ⁺/s ∈ R⁺/s ∪ {0}")
    m.delta_dec = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.spend_unit[i] * m.d_dec[i], doc="δ⁻")
    m.delta_inc = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.spend_unit[i] * m.d_inc[i], doc="δ⁺")
    m.delta_split = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.d[i] == m.d_dec[i] + m.d_inc[i],
                                   doc="δ = δ⁻ + δ⁺")
    m.region_choice = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.z_dec[i] + m.z_none[i] + m.z_inc[i] == 1,
                                     doc="(3.8d) one region")
    m.dec_region_lower = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: unit("dec_lower")(m, i) * m.z_dec[i] <= m.d_dec[i],
                                        doc="(3.8c) L⁻ z⁻ ≤ δ⁻")
    m.dec_region_upper = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.d_dec[i] <= unit("dec_upper")(m, i) * m.z_dec[i],
                                        doc="(3.8c) δ⁻ ≤ U⁻ z⁻")
    m.inc_region_lower = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: unit("inc_lower")(m, i) * m.z_inc[i] <= m.d_inc[i],
                                        doc="(3.8c) L⁺ z⁺ ≤ δ⁺")
    m.inc_region_upper = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.d_inc[i] <= unit("inc_upper")(m, i) * m.z_inc[i],
                                        doc="(3.8c) δ⁺ ≤ U⁺ z⁺")


def add_changed_expression(m: pyo.Block) -> None:
    """``changed[i] = z⁻_i + z⁺_i`` as an expression (the MIQP needs no extra variable)."""
    m.changed = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.z_dec[i] + m.z_inc[i])


def add_changed_variable(m: pyo.Block) -> None:
    """y_i ∈ [0, 1] with y_i = z⁻_i + z⁺_i (3.9f): a single variable for the cone to use."""
    m.y = pyo.Var(m.ACTIVITIES, bounds=(0, 1), doc="y_i = 1 if activity i changes spend")
    m.changed_link = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.y[i] == m.z_dec[i] + m.z_inc[i],
                                    doc="(3.9f) y = z⁻ + z⁺")
    m.changed = pyo.Expression(m.ACTIVITIES, rule=lambda m, i: m.y[i])


# --------------------------------------------------------------------------- cardinality
def add_cardinality(m: pyo.Block) -> None:
    """Σ_i changed_i ≤ K (3.7e, 3.8e, 3.9e)."""
    m.cardinality = pyo.Constraint(rule=lambda m: sum(m.changed[i] for i in m.ACTIVITIES) <= m.max_changes)


# --------------------------------------------------------------------------- cones
def add_perspective_cone(m: pyo.Block) -> None:
    """t_i ≥ 0 and the rotated cone d_i² ≤ t_i·y_i over single variables (3.9g, 3.9h); t_i = (δ_i²/y_i)/s_i²."""
    m.t = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc="t_i ≥ d_i²/y_i (3.9h)")
    m.cone = pyo.Constraint(m.ACTIVITIES, rule=lambda m, i: m.d[i] ** 2 <= m.t[i] * m.y[i]
                            if m.quad[i] != 0 else pyo.Constraint.Skip, doc="(3.9g) δ² ≤ t y")


def add_hull_cones(m: pyo.Block) -> None:
    """One rotated cone per region: (d⁻)² ≤ t⁻ z⁻ and (d⁺)² ≤ t⁺ z⁺ (beyond the paper)."""
    m.t_dec = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc="t⁻ ≥ (d⁻)²/z⁻")
    m.t_inc = pyo.Var(m.ACTIVITIES, domain=pyo.NonNegativeReals, doc="t⁺ ≥ (d⁺)²/z⁺")

    def cone(part: str):
        def rule(m: pyo.Block, i: str):
            if m.quad[i] == 0 or not getattr(m, f"has_{part}")[i]:
                return pyo.Constraint.Skip
            return getattr(m, f"d_{part}")[i] ** 2 <= getattr(m, f"t_{part}")[i] * getattr(m, f"z_{part}")[i]
        return rule
    m.cone_dec = pyo.Constraint(m.ACTIVITIES, rule=cone("dec"), doc="(δ⁻)² ≤ t⁻ z⁻")
    m.cone_inc = pyo.Constraint(m.ACTIVITIES, rule=cone("inc"), doc="(δ⁺)² ≤ t⁺ z⁺")


def region_sum(prefix: str) -> CurvatureRule:
    """i ↦ Σ of ``prefix_dec[i]`` and ``prefix_inc[i]`` over the regions activity i has (Table 1): a variable
    of an absent region appears nowhere, so no engine is asked for a value it presolved away."""
    def rule(m: pyo.Block, i: str):
        return sum(getattr(m, f"{prefix}_{part}")[i] for part in ("dec", "inc") if getattr(m, f"has_{part}")[i])
    return rule


# --------------------------------------------------------------------------- objective
def add_revenue_objective(m: pyo.Block, curvature: CurvatureRule) -> None:
    """maximize Σ_i a_i·curvature_i + b_i δ_i + c_i (3.7a, 3.8a, 3.9a), in units of R.

    ``curvature(m, i)`` stands for d_i² = δ_i²/s_i²: d_i² itself (MINLP, MIQP), d_i²/y_i
    (perspective), t_i (MISOCP) or t⁻_i + t⁺_i (hull); its coefficient is a_i·s_i²/R. Terms with
    a_i = 0 are left out.
    """
    def rule(m: pyo.Block):
        unit = float(pyo.value(m.objective_unit))

        def term(i: str):
            s = float(pyo.value(m.spend_unit[i]))
            a, b, c = (float(pyo.value(p[i])) for p in (m.quad, m.lin, m.const))
            curve, slope = negligible_as_zero(a * s * s / unit), negligible_as_zero(b * s / unit)
            return (curve * curvature(m, i) if curve else 0) + (slope * m.d[i] if slope else 0) + c / unit
        return sum(term(i) for i in m.ACTIVITIES)
    m.revenue = pyo.Objective(rule=rule, sense=pyo.maximize, doc="revenue / R")


def add_target(m: pyo.Block) -> None:
    """The row of a ``roi:R`` or ``response:V`` target (:mod:`mmo_pyomo.instance.targets`, docs/mathematics.md §12),
    on the formulation's own revenue expression (in units of R, constants included):

    * ``roi:R``:      revenue ≥ R·Σ_i (x̄_i + δ_i)            (T-ROI)
    * ``response:V``: revenue ≥ V, and the objective becomes   (T-RESP)
      maximize −Σ_i (x̄_i + δ_i), the least total spend.

    The expression over-states no plan's revenue in the cone formulations (their t ≥ δ² is tight at the
    optimum and loose only downwards) and over-states it in hull_oa's cuts, which keeps the row a relaxation
    there; the checker verifies the row on every plan. A ``mroi:M`` target is a price on the instance, not a
    row. Only formulations whose revenue is linear in their variables take the row (it stays a linear one)."""
    inst: Instance = m._mmo_instance
    target = inst.target
    if target is None or not target.adds_row:
        return
    revenue = m.revenue.expr
    if revenue.polynomial_degree() != 1:
        raise MMOError(f"the target {target} is a row on the revenue, and this formulation's revenue is not linear "
                       "in its variables", "use hull, misocp or hull_oa (their revenue is linear, in cones or cuts), "
                       "or --target mroi:M, which every formulation takes")
    unit = float(pyo.value(m.objective_unit))
    total = float(inst.total_baseline) / unit + sum(negligible_as_zero(float(pyo.value(m.spend_unit[i])) / unit) * m.d[i]
                                                   for i in m.ACTIVITIES)
    if target.kind == "roi":
        m.target_row = pyo.Constraint(expr=revenue - target.value * total >= 0, doc="(T-ROI) revenue ≥ R × spend")
        return
    m.target_row = pyo.Constraint(expr=revenue >= target.value / unit, doc="(T-RESP) revenue ≥ V")
    m.revenue.deactivate()
    m.least_spend = pyo.Objective(expr=-total, sense=pyo.maximize, doc="(T-RESP) −total spend / R")


def new_base_model(name: str) -> pyo.AbstractModel:
    """The part every formulation shares: data, δ with its bounds, budget and business rules."""
    m = pyo.AbstractModel(name=name)
    add_data(m)
    add_spend_change(m)
    add_budget(m)
    add_business_rules(m)
    return m


def spend_changes(m: pyo.Block, inst: Instance) -> np.ndarray:
    """The spend changes δ = s·d of a solved model, in activity order (0 where the engine gave no value)."""
    d = np.array([m.d[a].value if m.d[a].value is not None else 0.0 for a in inst.activities])
    return d * inst.units.spend


# --------------------------------------------------------------------------- start values (MIP starts)
def spend_change_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """d = δ/s (:func:`add_spend_change`)."""
    return {"d": delta / inst.units.spend}


def change_indicator_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """The MINLP's z = 1 where δ ≠ 0 (:func:`add_change_indicator_binary`)."""
    return {"z": (delta != 0).astype(float)}


def regions_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """z⁻, z⁰, z⁺ and d⁻, d⁺ of the region δ falls in (:func:`add_regions`)."""
    d = delta / inst.units.spend
    return {"d_dec": np.minimum(d, 0.0), "d_inc": np.maximum(d, 0.0),
            "z_dec": (delta < 0).astype(float), "z_none": (delta == 0).astype(float),
            "z_inc": (delta > 0).astype(float)}


def changed_variable_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """y = z⁻ + z⁺ (:func:`add_changed_variable`)."""
    return {"y": (delta != 0).astype(float)}


def perspective_cone_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """t = d²/y, which is d² at y = 1 and 0 at d = y = 0 (:func:`add_perspective_cone`)."""
    d = delta / inst.units.spend
    return {"t": d * d}


def hull_cones_start(inst: Instance, delta: np.ndarray) -> dict[str, np.ndarray]:
    """t⁻ = (d⁻)², t⁺ = (d⁺)² (:func:`add_hull_cones`)."""
    d = delta / inst.units.spend
    dec, inc = np.minimum(d, 0.0), np.maximum(d, 0.0)
    return {"t_dec": dec * dec, "t_inc": inc * inc}
