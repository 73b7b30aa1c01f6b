"""Scale invariance: the same answer at any magnitude of spend and revenue, on every formulation and engine.

Users' budgets are in millions and their curvatures near 10⁻⁹; the paper's instances are in the tens.
Hypothesis draws a small instance at unit scale (spends near 1, where the brute-force reference of
``helpers`` is well conditioned), then scales every spend by λ and every revenue by μ, with spends
from 10⁻² to 10⁸ and curvatures from 10⁻¹⁴ to 1:

    x' = λ·x,  a' = μ·a/λ²,  b' = μ·b/λ,  c' = μ·c,

which maps plans to plans (δ' = λ·δ) and revenues to revenues (r' = μ·r). Every formulation on every
installed engine must then find μ times the reference optimum, within the gap, with a bound that
brackets it, and a status that says what the checked gap certifies.

A second property mixes the ranges within one instance (issue 44): activities of 10⁻² beside activities
of 10⁸, and upper bounds up to 10¹² that the budget makes unreachable (``MIXED_EXAMPLES``, default 6
per engine).
"""
from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmo_pyomo import solve
from mmo_pyomo.errors import InfeasibleInstanceError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.units import revenue_swing
from mmo_pyomo.mix.certificate import BOUND_TOLERANCE
from mmo_pyomo.mix.checker import revenue_allowance
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.engines import ENGINES

from engine_matrix import EXPECTED_FAILURES, engine_state
from helpers import brute_force_optimum, scaled

EXAMPLES = int(os.environ.get("SCALE_EXAMPLES", "12"))
SCALE = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                 derandomize=True)

#: Engines of the property test (Bonmin through CasADi; its AMPL .nl path reports no bound).
ENGINE_NAMES = ("scip", "gurobi", "cplex", "xpress", "highs", "bonmin")

#: The gap asked for, and the gap every certificate must reach: engines' feasibility tolerances (10⁻⁶ on
#: rows of order 1) can leave a bound that much above the plan, and then the status is "feasible".
GAP = 1e-6
CERTIFIED = 1e-4


def _formulations_on(engine: str) -> list[str]:
    """The formulations ``engine`` takes; skips the test if it is missing or unlicensed here."""
    installed, licence = engine_state(engine)
    if not installed or licence.startswith("missing"):
        pytest.skip(f"{engine} is not available here ({licence or 'not installed'})")
    return [f for f in FORMULATIONS if (engine, f) not in EXPECTED_FAILURES]


def _heuristic(engine: str, formulation: str) -> bool:
    return bool(ENGINES[engine].handover(FORMULATIONS[formulation].needs).heuristic)


@st.composite
def unit_instances(draw) -> Instance:
    """An instance with spends near 1: n ∈ [2, 4], an optional group rule, some absent regions."""
    n = draw(st.integers(2, 4))
    floats = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    base = np.array([draw(floats(0.5, 2.0)) for _ in range(n)])
    lower = base * np.array([draw(floats(0.3, 1.0)) for _ in range(n)])
    upper = base * np.array([draw(floats(1.0, 1.8)) for _ in range(n)])
    min_change = base * np.array([draw(floats(0.0, 0.3)) for _ in range(n)])
    lin = np.array([draw(floats(0.1, 3.0)) for _ in range(n)])
    quad = -lin / base * np.array([draw(floats(0.05, 2.0)) for _ in range(n)])
    const = np.array([draw(floats(1.0, 5.0)) for _ in range(n)])
    kw: dict = {}
    if draw(st.booleans()):
        members = np.arange(0, n, 2)
        level = float(base[members].sum())
        kw = dict(rules=("group",), rule_index=np.zeros(len(members), np.int64), rule_activity=members,
                  rule_coef=np.ones(len(members)), rule_lower=np.array([0.8 * level]),
                  rule_upper=np.array([level * draw(floats(0.9, 1.1))]))
    return Instance(activities=tuple(f"a{k}" for k in range(n)), baseline=base, lower=lower, upper=upper,
                    min_change=min_change, quad=quad, lin=lin, const=const, budget_lower=draw(floats(0.0, 0.9)),
                    budget_upper=draw(floats(0.9, 1.05)), max_changes=draw(st.integers(1, n)), name="unit", **kw)


@st.composite
def magnitudes(draw, inst: Instance) -> tuple[float, float]:
    """(λ, μ): spends from 10⁻² to 10⁸ and, where the revenue stays in [10⁻⁶, 10¹²], curvatures from 10⁻¹⁴ to 1."""
    lam = 10.0 ** draw(st.floats(-2.0, 8.0))
    curvature = 10.0 ** draw(st.floats(-14.0, 0.0))          # the target |a'| of the strongest curve
    mu = curvature * lam**2 / float(np.abs(inst.quad).max())
    return lam, min(max(mu, 1e-6), 1e12)


def _assert_agrees(inst: Instance, reference: float, lam: float, mu: float, formulation: str, engine: str) -> None:
    """The plan is no better than the reference optimum, the bound is no lower, the certified gap reaches
    :data:`CERTIFIED`, and "optimal" means the plan is within the gap asked for."""
    r = solve(inst, formulation, engine, mip_gap=GAP, time_limit=60)
    where = f"{formulation} on {engine} at spend ×{lam:.3g}, revenue ×{mu:.3g}: {r.message}"
    # the certificate's own tolerance, and what a plan can gain within the checker's feasibility tolerance
    slack = BOUND_TOLERANCE * max(abs(reference), float(revenue_swing(inst).max())) + revenue_allowance(inst)
    if ENGINES[engine].interface.family == "casadi" and r.status == "error":
        # Bonmin's "infeasible" rests on Ipopt's local test, and is reported as no plan, not as a proof: seen on
        # 1 of 285 feasible draws on the hull (tests/test_bonmin.py, the closing note of the Bonmin issue)
        # or a plan the checker refused (a change below min_change, from Bonmin's integrality tolerance)
        assert ("does not prove there is none" in r.message or r.message.startswith("plan check failed")) \
            and r.bound is None, where
        return
    if _heuristic(engine, formulation):                 # a local method: a plan or none, never a certificate
        assert r.bound is None, where
        if r.status == "error":
            assert "does not prove there is none" in r.message, where
        else:
            assert r.status == "feasible", (where, r.status)
            assert r.objective <= reference + slack, (where, "plan above the optimum", r.objective, reference)
        return
    assert r.status in ("optimal", "feasible"), (where, r.status)
    assert r.objective <= reference + slack, (where, "plan above the optimum", r.objective, reference)
    assert r.bound is not None and r.bound >= reference - slack, (where, "bound below the optimum", r.bound, reference)
    assert 0 <= r.gap <= CERTIFIED, (where, r.gap)
    if r.status == "optimal":
        assert r.gap <= GAP + slack / abs(r.objective), (where, r.gap)
        assert reference - r.objective <= GAP * abs(reference) + slack, (where, r.objective, reference)


def _every_formulation_agrees(inst: Instance, reference: float | None, lam: float, mu: float, engine: str) -> None:
    """Every formulation ``engine`` takes finds the reference optimum of ``inst`` (μ times that of its unit-scale
    instance), or, where there is no plan, says so."""
    for formulation in _formulations_on(engine):
        if reference is None:                               # no plan: every formulation must say so
            try:
                status = solve(inst, formulation, engine, time_limit=60).status
            except InfeasibleInstanceError:                  # found before the solve
                status = "infeasible"
            # found before the solve, or by the engine; a local method, and Bonmin (whose NLPs' infeasibility is
            # Ipopt's local test), prove nothing: "error", no plan
            unproven = _heuristic(engine, formulation) or ENGINES[engine].interface.family == "casadi"
            assert status in (("infeasible", "error") if unproven else ("infeasible",)), formulation
        else:
            _assert_agrees(inst, mu * reference, lam, mu, formulation, engine)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@SCALE
@given(data=st.data())
def test_every_formulation_finds_the_reference_optimum_at_any_scale(engine, data):
    _formulations_on(engine)
    unit = data.draw(unit_instances())
    reference = brute_force_optimum(unit)
    lam, mu = data.draw(magnitudes(unit))
    _every_formulation_agrees(scaled(unit, lam, mu), reference, lam, mu, engine)


MIXED_EXAMPLES = int(os.environ.get("MIXED_EXAMPLES", "6"))
MIXED = settings(max_examples=MIXED_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                 derandomize=True)


@st.composite
def mixed_instances(draw) -> Instance:
    """Ranges that differ by up to 10¹⁴ within one instance (issue 44): n ∈ [2, 3] activities, each at its own
    magnitude, the first with spends from 10⁻² to 1, the others from 10⁻² to 10⁸, the second with an upper bound
    of 10⁹ to 10¹² (a user's "no cap"), the others capped or not; revenue per unit spend of order 1 for every
    activity (so every one of them matters to the optimum in its own units), an optional group rule."""
    n = draw(st.integers(2, 3))
    floats = lambda lo, hi: st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    base = np.array([10.0 ** draw(floats(-2.0, 0.0))] + [10.0 ** draw(floats(-2.0, 8.0)) for _ in range(n - 1)])
    lower = base * np.array([draw(floats(0.3, 1.0)) for _ in range(n)])
    capped = base * np.array([draw(floats(1.0, 1.8)) for _ in range(n)])
    uncapped = np.array([10.0 ** draw(floats(9.0, 12.0)) for _ in range(n)])
    free = np.array([k == 1 or (k > 1 and draw(st.booleans())) for k in range(n)])
    upper = np.where(free, np.maximum(uncapped, base), capped)
    min_change = base * np.array([draw(floats(0.0, 0.3)) for _ in range(n)])
    lin = np.array([draw(floats(0.1, 3.0)) for _ in range(n)])
    quad = -lin / base * np.array([draw(floats(0.05, 2.0)) for _ in range(n)])
    const = base * np.array([draw(floats(1.0, 5.0)) for _ in range(n)])
    kw: dict = {}
    if draw(st.booleans()):
        members = np.array([0, n - 1])
        level = float(base[members].sum())
        kw = dict(rules=("group",), rule_index=np.zeros(2, np.int64), rule_activity=members, rule_coef=np.ones(2),
                  rule_lower=np.array([0.5 * level]), rule_upper=np.array([level * draw(floats(0.95, 1.2))]))
    return Instance(activities=tuple(f"a{k}" for k in range(n)), baseline=base, lower=lower, upper=upper,
                    min_change=min_change, quad=quad, lin=lin, const=const, budget_lower=draw(floats(0.0, 0.5)),
                    budget_upper=draw(floats(0.9, 1.05)), max_changes=draw(st.integers(1, n)), name="mixed", **kw)


@pytest.mark.parametrize("engine", ENGINE_NAMES)
@MIXED
@given(inst=mixed_instances())
def test_every_formulation_finds_the_reference_optimum_over_mixed_ranges(engine, inst):
    """Bounds from 10⁻² to 10¹² in one instance, against the enumeration of every region choice."""
    _formulations_on(engine)
    _every_formulation_agrees(inst, brute_force_optimum(inst), 1.0, 1.0, engine)


def test_the_case_at_a_million_dollars():
    """Two activities at $1M, curvature 1e-9: the MISOCP and the hull once certified 85,280 (optimum 2,498,000)."""
    inst = Instance(activities=("tv", "search"), baseline=np.array([1e6, 1e6]), lower=np.zeros(2),
                    upper=np.array([2e6, 2e6]), min_change=np.array([1e4, 1e4]), quad=np.array([-1e-9, -1e-9]),
                    lin=np.array([0.5, 3.0]), const=np.zeros(2), budget_upper=1.0, max_changes=2, name="million")
    for formulation in FORMULATIONS:
        for spend, revenue in ((1.0, 1.0), (10.0, 100.0)):
            r = solve(scaled(inst, spend, revenue), formulation, "scip", mip_gap=1e-6)
            assert r.status == "optimal", (formulation, spend, r.message)
            assert r.objective == pytest.approx(2_498_000.0 * revenue, rel=1e-9), (formulation, spend)
            assert r.bound == pytest.approx(2_498_000.0 * revenue, rel=1e-6), (formulation, spend)
            assert r.plan == pytest.approx({"tv": 0.0, "search": 2e6 * spend}, abs=1e-3 * spend)


@pytest.mark.parametrize("formulation", ["miqp", "misocp", "hull", "hull_oa"])
def test_scaling_spend_and_revenue_scales_the_plan(formulation):
    """The example's optimum, with every spend ×10⁶ and every revenue ×10⁻³ (curvatures near 1e-14),
    is the example's plan ×10⁶ and its revenue ×10⁻³."""
    from mmo_pyomo import load_instance
    from mmo_pyomo.data import EXAMPLE_DAT
    base = load_instance(EXAMPLE_DAT)
    lam, mu = 1e6, 1e-3
    big_inst = scaled(base, lam, mu)
    assert np.abs(big_inst.quad).max() < 1e-13
    ref = solve(base, formulation, "scip", mip_gap=1e-6)
    big = solve(big_inst, formulation, "scip", mip_gap=1e-6)
    assert big.status == ref.status == "optimal", (big.message, ref.message)
    assert big.objective == pytest.approx(mu * ref.objective, rel=2e-6)
    assert (np.sign(big.delta) == np.sign(ref.delta)).all()            # the same regions
    # within the gap the optimum is flat: the spends agree to a small share of each activity's range
    assert np.abs(big.delta / lam - ref.delta).max() <= 2e-3 * base.regions.big_m.max()
    assert big.bound >= big.objective
