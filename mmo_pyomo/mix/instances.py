"""Instance generators: the paper's §4.1 design and the small example of ``data/example.dat``.

The paper (§4.1) builds its instances after Pisinger's hard knapsack instances, but the
exact distributions were lost in extraction. The ones below are ours, documented here and
seeded, so that every instance is reproducible from ``(n, correlation, δ, κ, seed)``.
All random numbers come from ``numpy.random.default_rng(seed)`` and are rounded to two
decimals, as in the paper. With R = 100 (Pisinger's coefficient range):

1. baseline spend x̄_i ~ U[10, 100];
2. bounds l_i = x̄_i·(1 − U[0.1, 0.5]) and u_i = x̄_i·(1 + U[0.1, 0.5]);
3. knapsack weights w¹_i, w²_i ~ U[1, R] (integers), and their mean w̄_i;
4. the "profit" p_i of the knapsack analogy, by correlation class:
   * ``uncorrelated``: p_i ~ U[1, R];
   * ``weak``: p_i ~ U[w̄_i − R/10, w̄_i + R/10], at least 1;
   * ``strong``: p_i = w̄_i + R/10;
   the revenue coefficients follow from p_i: marginal return at the baseline
   b_i = 2·p_i/R (so b_i ∈ (0, 2.2]), saturation spend s_i = x̄_i·(0.5 + p_i/R),
   curvature a_i = −b_i/(2·s_i) (the response peaks s_i above the baseline), and baseline
   revenue c_i = x̄_i·(1 + p_i/R);
5. the two knapsack rows Σ_i w^r_i x_i ≤ Σ_i w^r_i x̄_i (binding at the baseline);
6. the total budget within ±1% of the baseline total: β⁻ = 0.99, β⁺ = 1.01;
7. minimum change m_i = δ·x̄_i and K = ⌈κ·n⌉.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterator

import numpy as np

from mmo_pyomo.instance.schema import Instance

CORRELATIONS = ("uncorrelated", "weak", "strong")
R = 100.0

#: The §4.1 grid: n, δ (minimum change as a share of the baseline) and κ (K as a share of n).
GRID_N = (500, 750, 1000)
GRID_MIN_CHANGE = (0.05, 0.10, 0.20)
GRID_MAX_CHANGES = (0.50, 0.75, 1.00)


def _profits(rng: np.random.Generator, correlation: str, wbar: np.ndarray) -> np.ndarray:
    n = len(wbar)
    if correlation == "uncorrelated":
        return rng.uniform(1, R, n)
    if correlation == "weak":
        return np.maximum(1.0, rng.uniform(wbar - R / 10, wbar + R / 10))
    if correlation == "strong":
        return wbar + R / 10
    raise ValueError(f"correlation must be one of {CORRELATIONS}, not {correlation!r}")


def paper_instance(n: int, correlation: str = "uncorrelated", min_change: float = 0.10,
                   max_changes: float = 0.50, seed: int = 1) -> Instance:
    """One instance of the §4.1 design (see the module docstring for the distributions)."""
    if correlation not in CORRELATIONS:
        raise ValueError(f"correlation must be one of {CORRELATIONS}, not {correlation!r}")
    rng = np.random.default_rng([seed, n, CORRELATIONS.index(correlation)])
    def r2(x: np.ndarray) -> np.ndarray:
        return np.asarray(np.round(x, 2))
    baseline = r2(rng.uniform(10, 100, n))
    lower = r2(baseline * (1 - rng.uniform(0.1, 0.5, n)))
    upper = r2(baseline * (1 + rng.uniform(0.1, 0.5, n)))
    w = rng.integers(1, int(R) + 1, size=(2, n)).astype(float)
    p = _profits(rng, correlation, w.mean(axis=0))
    lin = r2(2 * p / R)
    saturation = baseline * (0.5 + p / R)
    quad = np.round(-lin / (2 * saturation), 6)
    const = r2(baseline * (1 + p / R))
    names = tuple(f"a{k + 1}" for k in range(n))
    rules = ("knapsack1", "knapsack2")
    return Instance(
        activities=names, baseline=baseline, lower=lower, upper=upper, min_change=r2(min_change * baseline),
        quad=quad, lin=lin, const=const, budget_lower=0.99, budget_upper=1.01,
        max_changes=int(math.ceil(max_changes * n)), rules=rules,
        rule_lower=np.full(2, -np.inf), rule_upper=r2(w @ baseline),
        rule_index=np.repeat(np.arange(2), n), rule_activity=np.tile(np.arange(n), 2), rule_coef=w.ravel(),
        name=f"{correlation}_n{n}_d{int(round(100 * min_change))}_k{int(round(100 * max_changes))}_s{seed}",
    )


#: Channels of the example: (name, marginal ROI at baseline, typical weekly spend in $k).
EXAMPLE_CHANNELS = (("tv", 1.3, 120.0), ("radio", 0.9, 30.0), ("print", 0.6, 25.0), ("ooh", 0.8, 40.0),
                    ("search", 2.4, 60.0), ("social", 1.8, 50.0), ("display", 1.1, 35.0), ("email", 2.0, 10.0))
EXAMPLE_REGIONS = ("north", "south", "east", "west", "central")
OFFLINE = ("tv", "radio", "print", "ooh")


def grid_instances(per_cell: int = 1) -> Iterator[Instance]:
    """Every instance of the §4.1 grid (3 classes × n × δ × κ), ``per_cell`` seeds each (the paper used 35)."""
    for corr, n, d, k in itertools.product(CORRELATIONS, GRID_N, GRID_MIN_CHANGE, GRID_MAX_CHANGES):
        for seed in range(1, per_cell + 1):
            yield paper_instance(n, corr, d, k, seed)


def example_instance(seed: int = 7) -> Instance:
    """The small realistic instance of ``data/example.dat``: 8 channels × 5 regions, 3 group rules.

    Spend is in $k per period. K = 12 of 40 activities may change, each by at least 10% of
    its baseline; the total budget is 95–100% of the baseline; offline spend stays within
    90–105% of its baseline, digital within 100–125%, and the north region within ±10%.
    """
    rng = np.random.default_rng(seed)
    names: list[str] = []
    spends: list[float] = []
    roi: list[float] = []
    for ch, ch_roi, spend in EXAMPLE_CHANNELS:
        for reg in EXAMPLE_REGIONS:
            names.append(f"{ch}_{reg}")
            spends.append(round(spend * rng.uniform(0.6, 1.4), 2))
            roi.append(round(ch_roi * rng.uniform(0.7, 1.3), 3))
    base, lin = np.array(spends), np.array(roi)
    saturation = base * rng.uniform(0.4, 1.2, len(base))     # spend above baseline where the return peaks
    quad = np.round(-lin / (2 * saturation), 6)
    const = np.round(base * lin * rng.uniform(1.5, 3.0, len(base)), 2)
    lower = np.round(base * 0.5, 2)
    upper = np.round(base * 1.6, 2)
    groups = {
        "offline": [k for k, a in enumerate(names) if a.split("_")[0] in OFFLINE],
        "digital": [k for k, a in enumerate(names) if a.split("_")[0] not in OFFLINE],
        "north": [k for k, a in enumerate(names) if a.endswith("_north")],
    }
    bounds = {"offline": (0.90, 1.05), "digital": (1.00, 1.25), "north": (0.90, 1.10)}
    rule_index, rule_activity = [], []
    for r, (_g, members) in enumerate(groups.items()):
        rule_index += [r] * len(members)
        rule_activity += members
    level = {g: base[members].sum() for g, members in groups.items()}
    return Instance(
        activities=tuple(names), baseline=base, lower=lower, upper=upper, min_change=np.round(0.10 * base, 2),
        quad=quad, lin=lin, const=const, budget_lower=0.95, budget_upper=1.0, max_changes=12,
        rules=tuple(groups), rule_lower=np.array([round(bounds[g][0] * level[g], 2) for g in groups]),
        rule_upper=np.array([round(bounds[g][1] * level[g], 2) for g in groups]),
        rule_index=np.array(rule_index), rule_activity=np.array(rule_activity),
        rule_coef=np.ones(len(rule_index)), name="example",
    )


def retail_instance(subgroups: int = 50, store_groups: int = 6, weeks: int = 10, seed: int = 1,
                    baseline: str = "planned", planning_solver: str = "auto") -> Instance:
    """A case shaped like the paper's §4.3 retail application (about 3,000 activities).

    Activities are (instrument subgroup × store group × week): 50 × 6 × 10 = 3,000 by default.
    Subgroups belong to 10 instrument groups and weeks to two halves. Group rules keep the spend
    of every (subgroup, store group), (subgroup, week), (subgroup, store group, half),
    (instrument group, store group, week), (instrument group, week), (instrument group, store
    group, half), (store group, week), (subgroup, half) and (subgroup, fortnight) within
    80–120% of its baseline: 2,630 rules by default. K = 25% of n, minimum change 10% of baseline, total budget ≤ 90% of
    baseline. Responses: marginal return at baseline b ~ U[0.3, 2.5] scaled by a subgroup factor,
    saturation s = x̄·U[0.3, 1.5], a = −b/(2s), baseline revenue c = x̄·b·U[1.5, 3].

    ``baseline="planned"`` (the default) makes the baseline what an annual planning model chose,
    as in §4.3: the spends drawn above are a draft, and the baseline is the optimum of the
    planning model (:func:`planned_baseline`), around which the curves are re-expressed and the
    rule levels recomputed. ``baseline="random"`` keeps the drawn spends as the baseline, so that
    marginal returns there are not balanced against the rules.
    """
    if baseline not in ("planned", "random"):
        raise ValueError(f"baseline must be 'planned' or 'random', not {baseline!r}")
    draft = _retail_draft(subgroups, store_groups, weeks, seed)
    return draft if baseline == "random" else planned_baseline(draft, planning_solver)


def _retail_draft(subgroups: int, store_groups: int, weeks: int, seed: int) -> Instance:
    """The retail case around its randomly drawn spends (``retail_instance(baseline="random")``)."""
    rng = np.random.default_rng([seed, 43])
    groups = 10
    sub_factor = rng.uniform(0.6, 1.4, subgroups)
    sub_group = np.arange(subgroups) % groups
    n = subgroups * store_groups * weeks
    sg, st, wk = np.unravel_index(np.arange(n), (subgroups, store_groups, weeks))
    half = (wk >= weeks // 2).astype(int)
    base = np.round(rng.lognormal(mean=2.5, sigma=0.6, size=n), 2) + 1.0
    lin = np.round(rng.uniform(0.3, 2.5, n) * sub_factor[sg], 3)
    quad = np.round(-lin / (2 * base * rng.uniform(0.3, 1.5, n)), 6)
    const = np.round(base * lin * rng.uniform(1.5, 3.0, n), 2)
    names = tuple(f"sg{s:02d}_st{t}_w{w:02d}" for s, t, w in zip(sg, st, wk))
    keys = {
        "sub_store": (sg, st), "sub_week": (sg, wk), "sub_store_half": (sg, st, half),
        "grp_store_week": (sub_group[sg], st, wk), "grp_week": (sub_group[sg], wk),
        "grp_store_half": (sub_group[sg], st, half), "store_week": (st, wk), "sub_half": (sg, half),
        "sub_fortnight": (sg, wk // 2),
    }
    rule_names: list[str] = []
    rule_index, rule_activity = [], []
    for label, cols in keys.items():
        codes = np.stack(cols, axis=1)
        uniq, inverse = np.unique(codes, axis=0, return_inverse=True)
        offset = len(rule_names)
        rule_names += [f"{label}_" + "_".join(map(str, u)) for u in uniq]
        rule_index.append(offset + inverse.ravel())
        rule_activity.append(np.arange(n))
    ri, ai = np.concatenate(rule_index), np.concatenate(rule_activity)
    level = np.bincount(ri, weights=base[ai], minlength=len(rule_names))
    return Instance(
        activities=names, baseline=base, lower=np.round(base * 0.5, 2), upper=np.round(base * 1.5, 2),
        min_change=np.round(0.10 * base, 2), quad=quad, lin=lin, const=const, budget_lower=0.0,
        budget_upper=0.90, max_changes=int(math.ceil(0.25 * n)), rules=tuple(rule_names),
        rule_lower=np.round(0.80 * level, 2), rule_upper=np.round(1.20 * level, 2),
        rule_index=ri, rule_activity=ai, rule_coef=np.ones(len(ri)), name=f"retail_s{seed}",
    )


def planning_engine(solver: str = "auto") -> str:
    """The engine of the retail planning QP: ``auto`` is Ipopt (CasADi) where it is installed, else HiGHS.

    SCIP, which took the QP's quadratic objective by cuts (its NLP solver is off for relaxations), had not
    closed it after 12 minutes at 3,000 activities (2026-12-01); Ipopt solved it in 11.6 s to the value
    SCIP's dual bound had reached (158,096.59), HiGHS's QP solver in about 170 s.
    """
    if solver != "auto":
        return solver
    from mmo_pyomo.solvers.registry import get_engine
    return "ipopt" if get_engine("ipopt").installed() else "highs"


def planned_baseline(draft: Instance, solver: str = "auto") -> Instance:
    """``draft`` re-based on the optimum of its planning model.

    The planning model has the same curves, spend bounds and group rules (at their stipulated
    80–120% of the draft's levels), a total budget equal to the draft's total, and no minimum
    change or limit on changes: a concave QP over δ alone, on :func:`planning_engine`. Its optimum x* becomes
    the baseline; each curve
    r(x) = a(x − x̄)² + b(x − x̄) + c is re-expressed around x* (b' = b + 2a(x* − x̄), c' = r(x*)),
    the spend bounds and minimum changes are recomputed from x* as in the draft, and the rule levels too. At the new baseline
    the marginal returns are balanced against the planning rules (they differ only where a rule
    or bound binds).
    """
    from mmo_pyomo.errors import NoSolutionError
    from mmo_pyomo.mix.relaxation import relaxed_run
    from mmo_pyomo.solvers.options import SolveOptions
    plan = draft.with_changes(min_change=np.zeros(draft.n), max_changes=draft.n, budget_lower=0.0, budget_upper=1.0,
                              name=draft.name + "_planning")
    run = relaxed_run(plan, "miqp", planning_engine(solver))
    stats = run.solve(SolveOptions(mip_gap=1e-8), what="the retail planning QP")
    if not stats.has_solution:
        raise NoSolutionError(f"the retail planning QP did not solve ({stats.status}: {stats.message})",
                              "try another --planning solver, or report the seed")
    delta = run.plan()
    x = np.round(draft.baseline + delta, 2)
    shift = x - draft.baseline
    lin = np.round(draft.lin + 2 * draft.quad * shift, 6)
    const = np.round(draft.revenue(shift), 2)
    level = np.bincount(draft.rule_index, weights=x[draft.rule_activity], minlength=len(draft.rules))
    return draft.with_changes(
        baseline=x, lower=np.round(x * 0.5, 2), upper=np.round(x * 1.5, 2), min_change=np.round(0.10 * x, 2),
        lin=lin, const=const, rule_lower=np.round(0.80 * level, 2), rule_upper=np.round(1.20 * level, 2),
        name=draft.name.replace("retail", "retail_planned"))
