"""The whole re-planning pipeline as one library call: approximate → start → improve → solve.

``mmo solve`` parses its options into these calls and prints what they return; a Python user gets the
same by calling :func:`plan`. Each stage is optional:

1. **approximate** (``"quadratic"``): response curves replaced by fitted concave quadratics, so that every
   formulation takes them; the result is restated on the curves (:func:`~mmo_pyomo.mix.runner.on_curves`);
2. **start**: ``"chord"`` (the chord heuristic, :func:`~mmo_pyomo.mix.chord.chord_start`) or a plan
   (a spend change per activity, checked: an infeasible one is an error naming what it breaks). A chord MILP
   out of time with no plan does not end the call: the start is then the fewest-changes plan, or, where a stage
   needs a start, the formulation's own first plan, or none; a note in the result and the log says which;
3. **fix** (``fix=True``): Lagrangian region fixing against the start's revenue, again after the
   improvement (:mod:`mmo_pyomo.mix.lagrangian`); the fixed regions stay fixed in the improvement's
   neighbourhoods and in the solve, and hull_oa gets tangents at the Lagrangian relaxation's points;
   **improve**: neighbourhood search from the start (:func:`~mmo_pyomo.mix.improve.improve`), with the
   Lagrangian core among its neighbourhoods when ``fix=True``;
4. **solve**: the formulation on the engine, from the start, with its certificate checked.

``options.time_limit`` is for the whole call: its clock starts at the call (:mod:`mmo_pyomo.solvers.deadline`);
the start takes :data:`START_SHARE` of it (unless ``start_time_limit`` says otherwise), the improvement at most
:data:`IMPROVE_SHARE` of what is left, and the solve the rest.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.risk import Risk, with_risk
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.targets import Target, with_target
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.lagrangian import cut_options
from mmo_pyomo.mix.runner import Result, on_curves, solve
from mmo_pyomo.mix.start_fallback import START_S, START_SHARE, chord_or_fallback  # noqa: F401  (START_*: re-exported)
from mmo_pyomo.model_library import Formulation, get_formulation
from mmo_pyomo.solvers import deadline
from mmo_pyomo.solvers.options import DEFAULTS, SolveOptions
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER

#: A progress callback: (stage, what it produced) for "approximation", "start", "fixing" (the list of fixing
#: records so far) and "improvement".
Progress = Callable[[str, Any], None]

#: The share of what is left of the time limit that the improvement takes at most.
IMPROVE_SHARE = 0.5


@dataclass(frozen=True)
class ImproveSettings:
    """The improvement stage: ``time_limit`` in all, ``slice_s`` per neighbourhood, on ``formulation``
    (default: the solve's) and ``solver`` (default: the solve's)."""

    time_limit: float = 300.0
    slice_s: float = 60.0
    formulation: str | None = None
    solver: str | None = None


@dataclass
class Prepared:
    """What the stages before the solve produced: the instance to solve (the fit, when approximated), the
    start (a spend change per activity, or None), and each stage's own result."""

    instance: Instance
    curves_instance: Instance | None = None      # the user's instance, when ``instance`` is its fit
    start: np.ndarray | None = None
    fit: Any = None                             # mmo_pyomo.curves.quadratic.QuadraticFit
    start_plan: Any = None                      # mmo_pyomo.mix.chord.StartPlan, for a chord start
    improvement: Any = None                     # mmo_pyomo.mix.improve.Improvement
    bound: Any = None                           # mmo_pyomo.mix.lagrangian.LagrangianBound, with --fix
    fixed_away: np.ndarray | None = None        # (n, 3) regions fixed away, with --fix
    fixing: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # what the stages did otherwise than asked (a fallback start)
    concurrent: list[dict[str, Any]] | None = None   # the plans, bounds and fixings of a concurrent solve

    def extras(self) -> dict[str, Any]:
        """The stages' records for a result file (``approximation``, ``improvement``)."""
        out: dict[str, Any] = {}
        if self.fit is not None and self.curves_instance is not None:
            out["approximation"] = {"kind": "quadratic", "error_sum_k_largest": self.fit.error_k,
                                    "errors": dict(zip(self.curves_instance.activities, self.fit.errors.tolist()))}
        if self.fixing:
            out["fixing"] = self.fixing
        if self.notes:
            out["notes"] = self.notes
        if self.concurrent is not None:
            out["concurrent"] = self.concurrent
        if self.improvement is not None:
            imp = self.improvement
            out["improvement"] = {"start_revenue": imp.start_revenue, "revenue": imp.revenue, "time_s": imp.time_s,
                                  "slices": imp.slices}
        return out


@dataclass
class Planned:
    """The result of :func:`plan`: the checked result about the user's instance, and the stages before it."""

    result: Result
    instance: Instance                           # the user's instance (with its curves, if approximated)
    prepared: Prepared = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``mmo solve --json``: the result, the instance's name, the stages' records and the plan's
        details (:func:`~mmo_pyomo.mix.plan_details.plan_details`, from which ``mmo page`` draws the page)."""
        from mmo_pyomo.mix.plan_details import plan_details
        out = {"kind": "mix", **self.result.to_dict(), "instance": self.instance.name, **self.prepared.extras()}
        if self.result.delta is not None:
            out["details"] = plan_details(self.instance, self.instance.baseline + self.result.delta)
        return out


def prepare(inst: Instance, formulation: str | Formulation = "misocp", solver: str = DEFAULT_SOLVER,
            options: SolveOptions = DEFAULTS, *, approximate: str = "none", start: str | np.ndarray | None = None,
            start_solver: str = DEFAULT_SOLVER, start_time_limit: float | None = None,
            improve: ImproveSettings | None = None, fix: bool = False, progress: Progress | None = None,
            needs_start: bool = False) -> Prepared:
    """The stages before the solve (see the module docstring), within ``options``'s time limit (its clock started
    here, unless started before). ``needs_start``: a chord start that finds no plan must still end in one (the
    concurrent solve's)."""
    say = progress or (lambda stage, value: None)
    options = deadline.started(options)
    if approximate not in ("none", "quadratic"):
        raise MMOError(f"approximate = {approximate!r} is not 'none' or 'quadratic'", "use 'none' or 'quadratic'")
    prepared = Prepared(inst)
    if approximate == "quadratic":
        if inst.curves is None:
            raise MMOError("--approximate quadratic fits quadratics to response curves, and this instance has "
                           "quadratic revenues already", "drop --approximate")
        from mmo_pyomo.curves.quadratic import fit_quadratics
        prepared.fit = fit_quadratics(inst)
        prepared.curves_instance, prepared.instance = inst, prepared.fit.instance
        say("approximation", prepared.fit)
    work = prepared.instance
    if isinstance(start, str):
        if start == "chord":
            chord_or_fallback(prepared, formulation, solver, start_solver, start_time_limit, options,
                              needs_start=needs_start or improve is not None or fix, say=say)
        elif start != "none":
            raise MMOError(f"start = {start!r} is not 'none', 'chord' or a plan", "give 'chord' or a spend change per "
                           "activity")
    elif start is not None:
        prepared.start = checked_start(work, start)
    if fix:
        _fix(prepared, "start")
        say("fixing", prepared.fixing)
    if improve is not None:
        if prepared.start is None:
            raise MMOError("--improve needs a start plan to improve", "add --start chord or --start-plan PATH")
        from mmo_pyomo.mix.improve import improve as run_improve
        share = deadline.share(options, IMPROVE_SHARE, improve.time_limit)
        prepared.improvement = run_improve(
            work, prepared.start, formulation=improve.formulation or formulation, solver=improve.solver or solver,
            time_limit=improve.time_limit if share is None else min(improve.time_limit, share),
            slice_s=improve.slice_s, threads=options.threads,
            fixed_away=prepared.fixed_away, bound=prepared.bound)
        prepared.start = prepared.improvement.delta
        say("improvement", prepared.improvement)
        if fix:
            _fix(prepared, "improvement")         # the same bounds against the better plan: more regions go
            say("fixing", prepared.fixing)
    return prepared


def _fix(prepared: Prepared, after: str) -> None:
    """Lagrangian region fixing against the current start (:mod:`mmo_pyomo.mix.lagrangian`), recorded."""
    import time

    from mmo_pyomo.mix.checker import regions_of
    from mmo_pyomo.mix.lagrangian import solve_dual
    if prepared.start is None:
        raise MMOError("--fix fixes regions whose bound lies below a plan's revenue, and there is no plan yet",
                       "add --start chord or --start-plan PATH")
    work = prepared.instance
    t0 = time.perf_counter()
    if prepared.bound is None:
        prepared.bound = solve_dual(work)
    revenue = check_plan(work, work.baseline + prepared.start).revenue
    prepared.fixed_away = prepared.bound.fixed_away(revenue, keep=regions_of(work, prepared.start))
    present = np.isfinite(prepared.bound.region_bound)
    prepared.fixing.append({"after": after, "lagrangian_bound": prepared.bound.value, "plan_revenue": revenue,
                            "fixed": int(prepared.fixed_away.sum()), "regions": int(present.sum()),
                            "activities_decided": int((present.sum(axis=1) - prepared.fixed_away.sum(axis=1) == 1).sum()),
                            "time_s": time.perf_counter() - t0})


def checked_start(inst: Instance, delta: np.ndarray) -> np.ndarray:
    """A start plan given as a spend change per activity: it must pass the checker."""
    delta = np.asarray(delta, dtype=float)
    if delta.shape != (inst.n,) or not np.isfinite(delta).all():
        raise MMOError(f"the start must give one finite spend change per activity ({inst.n}), not an array of shape "
                       f"{delta.shape}", "pass a previous plan's delta (new spend − baseline), in activity order")
    checked = check_plan(inst, inst.baseline + delta)
    if not checked.feasible:
        raise MMOError(f"the start plan is not feasible for this instance: {checked.summary()}",
                       "give a plan that passes the checker (one this instance's solve wrote with --plan), "
                       "or use --start chord")
    return delta


def plan(inst: Instance, formulation: str | Formulation = "misocp", solver: str = DEFAULT_SOLVER,
         options: SolveOptions = DEFAULTS, *, approximate: str = "none", start: str | np.ndarray | None = None,
         start_solver: str = DEFAULT_SOLVER, start_time_limit: float | None = None,
         improve: ImproveSettings | None = None, curve_options: Mapping[str, Any] | None = None,
         fix: bool = False, target: Target | str | None = None, risk: Risk | str | None = None,
         progress: Progress | None = None) -> Planned:
    """Approximate, start, improve and solve (see the module docstring); the result is about ``inst``.

    ``curve_options`` are the formulation's options that concern response curves (hull_oa's
    ``nonconcave`` and ``breakpoints``); they apply when the instance solved has curves. ``target``
    (``"response:V"``, ``"roi:R"``, ``"mroi:M"``; :mod:`mmo_pyomo.instance.targets`) solves for it instead of
    the revenue; ``mroi`` prices the instance and takes every stage, the others a start but no improvement,
    fixing or approximation (those maximize the revenue). ``risk`` (``"mean"`` or ``"cvar:ALPHA"``;
    :mod:`mmo_pyomo.instance.risk`) is solved by hull_oa; its start, if any, comes from the mean curves.
    ``options.time_limit`` is for the whole call, every stage included (see the module docstring).
    """
    options = deadline.started(options)
    form = get_formulation(formulation)
    inst = with_target(inst, target)
    risky = with_risk(inst, risk)
    if risky.risk is not None and (improve is not None or fix or approximate != "none"):
        raise MMOError(f"the risk measure {risky.risk} is solved by hull_oa alone, and --improve, --fix and "
                       "--approximate work on the mean curves", "drop them, or use --risk mean")
    if inst.target is not None and inst.target.adds_row and (improve is not None or fix or approximate != "none"):
        raise MMOError(f"the target {inst.target} is a row on the response, and --improve, --fix and --approximate "
                       "maximize the response itself", "drop them, or use --target mroi:M, which takes every stage")
    prepared = prepare(inst, form, solver, options, approximate=approximate, start=start, start_solver=start_solver,
                       start_time_limit=start_time_limit, improve=improve, fix=fix, progress=progress)
    work = prepared.instance
    build = {k: v for k, v in (curve_options or {}).items() if v is not None and k in form.curve_options} \
        if work.curves is not None else {}
    if prepared.bound is not None:            # --fix: the Lagrangian relaxation's points cut hull_oa as the hull
        build.update(cut_options(form, prepared.bound.cut_points()))
    result = solve(work, form, solver, options, start=prepared.start, formulation_options=build,
                   fixed_away=prepared.fixed_away, risk=risky.risk)
    if prepared.curves_instance is not None:          # the certificate is about the user's curves, not the fit
        result = on_curves(result, prepared.curves_instance, prepared.fit.error_k, options.mip_gap)
        work = prepared.curves_instance
    for note in prepared.notes:
        result.message = f"{note}; {result.message}" if result.message else note
    return Planned(result, work, prepared)
