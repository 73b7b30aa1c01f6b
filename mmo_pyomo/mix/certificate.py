"""The status rule: a certificate is checked before it is shown.

An engine's "optimal" is a statement about its own model, in its own tolerances. What a user is
told is a statement about the plan: its revenue, recomputed from the raw data by the checker, and
the engine's best bound. This module decides, in one place for every solve, what those two numbers
certify:

* a bound below the checked revenue of a plan (the engine's own, or any other known plan such as
  the start) by more than the tolerance cannot be a bound: the status is ``unreliable``, the gap is
  reported as it is (negative), and the message says so with the fix;
* a bound below the revenue within the tolerance counts as equal to it (gap 0);
* "optimal" stands only when the checked gap meets the gap target (the engine's default target,
  :data:`DEFAULT_GAP_TARGET`, when none was asked for) up to the same tolerance; otherwise the plan
  is ``feasible``, and so it is when there is no bound at all.

Every path that reports a status on a plan goes through :func:`certify`: the runner (every formulation
and engine, hull_oa's rounds, Bonmin, the time-phased LPs), the restatement on the curves
(:func:`~mmo_pyomo.mix.runner.on_curves`) and the concurrent solve. The tolerance is relative to the
revenue and to the revenue unit, which is measured over the spend the activities can reach
(:mod:`mmo_pyomo.instance.reach`), never over a range no plan can use.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from mmo_pyomo.solvers.stats import Status, objective_gap

#: How far, relative to max(|revenue|, the revenue unit), a bound may lie below a checked revenue and
#: still count as equal to it: the revenue is exact, the bound carries the engine's tolerances.
BOUND_TOLERANCE = 1e-6

#: The gap target "optimal" is held to when none was asked for: the engines' own default (Gurobi,
#: CPLEX, Xpress and HiGHS stop at a relative gap of 10⁻⁴; SCIP at 0).
DEFAULT_GAP_TARGET = 1e-4

#: The fix printed with an unreliable certificate.
UNRELIABLE_FIX = ("solve again with another formulation or engine (hull_oa refines its cuts at the plan and "
                  "checks them exactly), or with a tighter gap; report the instance if it persists")


@dataclass(frozen=True)
class Certificate:
    """What a (revenue, bound) pair certifies: the status, the gap, and a note for the message ("" if none)."""

    status: Status
    gap: float | None
    note: str = ""


def certify(status: Status, objective: float | None, bound: float | None, *, target: float | None,
            unit: float = 1.0, known: Iterable[tuple[str, float]] = (), allowance: float = 0.0) -> Certificate:
    """The status and gap a checked plan of revenue ``objective`` and an engine bound ``bound`` deserve.

    ``target`` is the gap asked for (``None``: :data:`DEFAULT_GAP_TARGET`); ``unit`` the revenue unit
    of the instance (the size of one activity's revenue change); ``known`` (label, revenue) of other
    checked plans, which the bound must not fall below either; ``allowance`` how much more than the optimum
    a plan can earn by using the checker's feasibility tolerance (:func:`mmo_pyomo.mix.checker.revenue_allowance`).
    """
    if objective is None:
        return Certificate(status, None)
    if bound is None or not math.isfinite(bound):
        if status == Status.OPTIMAL:                # nothing to hold the plan to: a plan, not a proof
            return Certificate(Status.FEASIBLE, None, "the engine reported optimal but gave no bound to check the "
                                                      "plan against, so the plan is not certified")
        return Certificate(status, None)
    if status == Status.INTERRUPTED:                # the incumbent of that moment: its gap, and nothing claimed
        return Certificate(status, objective_gap(objective, bound))
    tol = BOUND_TOLERANCE * max(abs(objective), unit) + allowance
    for label, revenue in [("the engine's own plan", objective), *known]:
        if revenue - bound > tol:
            return Certificate(Status.UNRELIABLE, objective_gap(objective, bound),
                               f"the engine's bound {bound:,.10g} is below the checked revenue {revenue:,.10g} of "
                               f"{label}: the certificate is numerically unreliable")
    gap = max(0.0, objective_gap(objective, bound) or 0.0)
    goal = DEFAULT_GAP_TARGET if target is None else target
    if status == Status.OPTIMAL and gap > (goal + tol / max(abs(objective), 1e-300)) * (1 + 1e-6):  # engines' gaps
        # are measured against the bound or the larger of the two, ours against the plan: allow for the difference
        return Certificate(Status.FEASIBLE, gap,
                           f"the engine reported optimal, but the gap between its bound and the checked revenue is "
                           f"{gap:.3g}, above the gap target {goal:g}")
    return Certificate(status, gap)
