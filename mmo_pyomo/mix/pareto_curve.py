"""The Pareto curve of revenue against the maximum number of changes K (the paper's Figure 2)."""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mmo_pyomo import ranges
from mmo_pyomo.errors import InfeasibleInstanceError, MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.validate import validate
from mmo_pyomo.io_utils import json_records
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.runner import Result, solve
from mmo_pyomo.plotting import pyplot, save_figure
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER, get_engine

log = logging.getLogger(__name__)

#: Seconds at most for the chord heuristic's start at each K (at the smallest K that reaches the budget on the
#: retail case, its MILP found no plan in 400 s).
CHORD_S = 60.0
#: Seconds at most for the fewest-changes MILP (:func:`~mmo_pyomo.mix.chord.fewest_changes`), run once, where the
#: chord heuristic finds no plan and no earlier K gave one (on the planned retail case HiGHS proves in 77 s that a
#: plan needs 292 changes, where the budget alone needs 206).
FEWEST_S = 120.0


def k_grid(n: int, steps: int) -> list[int]:
    """K from 0 to n in about ``steps`` equal steps (distinct integers, both ends included)."""
    return sorted({int(round(v)) for v in np.linspace(0, n, steps + 1)})


def knee_index(ks: np.ndarray, revenue: np.ndarray) -> int:
    """The knee: the point farthest above the chord from the first to the last point (Kneedle),
    both axes scaled to [0, 1]."""
    x = (ks - ks[0]) / max(ks[-1] - ks[0], 1e-12)
    span = revenue[-1] - revenue[0]
    y = (revenue - revenue[0]) / (span if abs(span) > 1e-12 else 1.0)
    return int(np.argmax(y - x))


def smallest_budget_feasible_k(inst: Instance) -> int:
    """The smallest K for which the budget can be reached with K changes (the validator's
    reachability bound; group rules may still rule out some larger K)."""
    lo, hi = 0, inst.n
    if not _reachable(inst, hi):
        return inst.n + 1
    while lo < hi:
        mid = (lo + hi) // 2
        if _reachable(inst, mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _reachable(inst: Instance, k: int) -> bool:
    try:
        validate(inst.with_changes(max_changes=k))
    except InfeasibleInstanceError:
        return False
    return True


def pareto_curve(inst: Instance, formulation: str = "misocp", solver: str = "scip", steps: int = 20,
                 time_limit: float | None = None, gap: float | None = None, concurrent: bool = False,
                 ks: Sequence[int] | None = None) -> pd.DataFrame:
    """Solve for each K of :func:`k_grid` (plus the smallest K that can reach the budget), or for each of ``ks``
    when given, upwards.

    ``gap`` is each point's relative gap target (the engine's default if None). With ``concurrent``, each point
    is the concurrent solve (:func:`mmo_pyomo.mix.concurrent.solve_concurrent`: ``formulation`` on ``solver`` as
    the bound side beside the improvement, two processes, ``time_limit`` per point, gap 1e-4 if None), which stops
    as soon as the point is certified within ``gap``; a point with no start yet (the chord heuristic found none in
    :data:`CHORD_S` seconds) is solved by the formulation alone. Otherwise a formulation that takes tangent points (hull_oa)
    also gets them at the Lagrangian relaxation's best point of every region (quadratic revenues), as the
    concurrent solve's bound side does.

    K values with no plan are recorded with status ``infeasible`` and no revenue: those below the fewest changes
    that reach the budget, and, where the chord heuristic finds no plan, those below the fewest changes that any
    plan needs (:func:`~mmo_pyomo.mix.chord.fewest_changes`, whose plan is then the start from the first K it
    meets). Those where the solve found no plan within ``time_limit`` are recorded with status ``time_limit``. The first
    feasible step starts from the chord heuristic's plan; each later step from the previous plan,
    or from the chord plan where that is better. The previous plan stays feasible when K grows,
    so with a MIP start the curve never goes down. Columns: max_changes, status, revenue, bound,
    gap, n_changes, time_s, revenue_pct (of the revenue at K = n, as in the paper) and lift_pct
    (share of the largest lift over the baseline).
    """
    from mmo_pyomo.mix.chord import FewestChanges, chord_start, fewest_changes
    steps = ranges.whole(steps, "steps", 1)
    time_limit = ranges.optional(ranges.seconds, time_limit, "time_limit")

    k_min = smallest_budget_feasible_k(inst)
    if ks is None:
        ks = sorted(set(k_grid(inst.n, steps)) | ({k_min} if k_min <= inst.n else set()))
    else:
        ks = sorted({ranges.whole(k, "K", 0, inst.n) for k in ks})
        if not ks:
            raise MMOError("no value of K was given", f"give K values from 0 to {inst.n}, or leave ks out")
    rows: list[dict] = []
    start = None
    fewest: FewestChanges | None = None
    for k in ks:
        at_k = inst.with_changes(max_changes=k)
        if k < k_min:
            rows.append({"max_changes": k, "status": "infeasible"})
            continue
        try:
            chord = chord_start(at_k, time_limit=min(time_limit or CHORD_S, CHORD_S))
        except InfeasibleInstanceError:
            rows.append({"max_changes": k, "status": "infeasible"})
            continue
        except MMOError:
            chord = None
        if chord is None and start is None:      # no plan yet: how many changes does any plan need?
            fewest = fewest or fewest_changes(inst, _milp_engine(solver),
                                              time_limit=min(time_limit or FEWEST_S, FEWEST_S))
            log.info("K = %d: the chord heuristic found no plan; a plan needs at least %d changes%s", k,
                     fewest.lower_bound, "" if fewest.n_changes is None else f", and one has {fewest.n_changes}")
            if k < fewest.lower_bound:
                rows.append({"max_changes": k, "status": "infeasible"})
                continue
            if fewest.n_changes is not None and fewest.n_changes <= k:
                start = fewest.delta
        if chord is not None and (start is None or chord.revenue > check_plan(at_k, at_k.baseline + start).revenue):
            start = chord.delta
        r = _solve_point(at_k, formulation, solver, time_limit, gap, start, concurrent)
        if r.status == "infeasible" or (r.status == "time_limit" and r.delta is None):
            log.info("K = %d: %s, no plan, %.1f s", k, r.status, r.time_s or 0.0)
            rows.append({"max_changes": k, "status": str(r.status), "time_s": r.time_s})
            continue
        r.raise_for_status()
        start = r.delta
        log.info("K = %d: %s, revenue %.2f, bound %s, gap %s, %.1f s", k, r.status, r.objective,
                 "none" if r.bound is None else f"{r.bound:.2f}", "none" if r.gap is None else f"{r.gap:.3g}", r.time_s or 0.0)
        rows.append({"max_changes": k, "status": str(r.status), "revenue": r.objective, "bound": r.bound, "gap": r.gap,
                     "n_changes": r.n_changes, "time_s": r.time_s})
    frame = pd.DataFrame(rows, columns=["max_changes", "status", "revenue", "bound", "gap", "n_changes", "time_s"])
    feasible = frame["revenue"].notna()
    if not feasible.any():
        raise InfeasibleInstanceError("no K from 0 to n admits a plan under the budget and the group rules",
                                      "relax the budget or the group rules")
    top = frame.loc[feasible, "revenue"].iloc[-1]
    base = float(inst.const.sum())
    frame["revenue_pct"] = 100 * frame["revenue"] / top
    frame["lift_pct"] = 100 * (frame["revenue"] - base) / (top - base) if top != base else 100.0
    frame["knee"] = False
    ok = frame[feasible]
    knee = ok.index[knee_index(ok["max_changes"].to_numpy(float), ok["revenue"].to_numpy(float))]
    frame.loc[knee, "knee"] = True
    return frame


def _milp_engine(solver: str) -> str:
    """``solver`` where it is installed and solves MILPs (HiGHS proves the retail case's fewest changes in 77 s,
    where SCIP has 287 ≤ 293 after 150 s), else the default engine."""
    from mmo_pyomo.mix.chord import MILP_NEEDS
    try:
        engine = get_engine(solver)
    except MMOError:
        return DEFAULT_SOLVER
    return solver if engine.installed() and not engine.missing(MILP_NEEDS) else DEFAULT_SOLVER


def _solve_point(inst: Instance, formulation: str, solver: str, time_limit: float | None, gap: float | None,
                 start: np.ndarray | None, concurrent: bool) -> Result:
    """One point of the curve (see :func:`pareto_curve`)."""
    from mmo_pyomo.mix.lagrangian import cut_options, solve_dual
    from mmo_pyomo.model_library import get_formulation
    if concurrent and start is not None:          # (without a start, the formulation alone looks for a plan)
        from mmo_pyomo.mix.concurrent import ConcurrentSettings, solve_concurrent
        return solve_concurrent(inst, start, gap=1e-4 if gap is None else gap, time_limit=time_limit or 600.0,
                                settings=ConcurrentSettings(bound_formulation=formulation, bound_solver=solver)).result
    form = get_formulation(formulation)
    build = cut_options(form, solve_dual(inst).cut_points()) if form.takes_cut_points and inst.curves is None else {}
    return solve(inst, form, solver, time_limit=time_limit, mip_gap=gap, start=start, formulation_options=build)


def pareto_record(frame: pd.DataFrame, inst: Instance, formulation: str, solver: str) -> dict[str, Any]:
    """The JSON of ``mmo pareto --json`` (kind ``pareto``): one point per K, NaN as null."""
    points = json_records(frame)
    for p in points:
        p["max_changes"] = int(p["max_changes"])
        p["knee"] = bool(p["knee"])
        if p.get("n_changes") is not None:
            p["n_changes"] = int(p["n_changes"])
    return {"kind": "pareto", "instance": inst.name, "n": inst.n, "formulation": formulation, "solver": solver,
            "baseline_revenue": float(inst.revenue(np.zeros(inst.n)).sum()), "points": points}


def plot_pareto(frame: pd.DataFrame, n: int, path: str | Path, title: str = "") -> Path:
    """Revenue (% of the maximum) against K (% of n), with the knee marked."""
    plt = pyplot()

    ok = frame[frame["revenue"].notna()]
    x = 100 * ok["max_changes"] / n
    fig, ax = plt.subplots(figsize=(6, 4))
    infeasible = frame.loc[frame["revenue"].isna(), "max_changes"]
    if len(infeasible):
        ax.axvspan(0, 100 * (ok["max_changes"].min()) / n, color="0.85", zorder=0,
                   label=f"no plan for K ≤ {int(infeasible.max())}")
    ax.plot(x, ok["revenue_pct"], marker="o", ms=3)
    knee = frame[frame["knee"]].iloc[0]
    ax.scatter([100 * knee["max_changes"] / n], [knee["revenue_pct"]], color="red", zorder=3,
               label=f"knee: K = {int(knee['max_changes'])} ({100 * knee['max_changes'] / n:.0f}% of n), "
                     f"{knee['revenue_pct']:.2f}% of max")
    ax.set_xlabel("maximum number of changes K (% of activities)")
    ax.set_ylabel("revenue (% of the maximum)")
    ax.set_title(title or "Revenue against K")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    return Path(path)
