"""The runner: any formulation on any engine, one uniform :class:`Result`, every plan checked."""
from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from mmo_pyomo.errors import (
    CertificateError,
    InfeasibleInstanceError,
    MMOError,
    NoSolutionError,
    PlanCheckError,
    SolveInterrupted,
)
from mmo_pyomo.instance.risk import Risk, risk_summary, with_risk
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.targets import Target, gross_response, with_target
from mmo_pyomo.instance.units import revenue_swing
from mmo_pyomo.mix.certificate import UNRELIABLE_FIX, certify
from mmo_pyomo.mix.checker import (
    PlanCheck,
    baseline_revenue,
    check_plan,
    objective_scale,
    regions_of,
    revenue_allowance,
    target_shortfall,
)
from mmo_pyomo.mix.model_run import ModelRun
from mmo_pyomo.model_library import Formulation, get_formulation
from mmo_pyomo.solvers import deadline
from mmo_pyomo.solvers.engines import Engine
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER, get_engine
from mmo_pyomo.solvers.stats import SolveStats, Status, objective_gap, summed_count


@dataclass
class Result:
    """The outcome of one solve, with the same fields for every engine.

    ``objective`` is the revenue of the returned plan recomputed from the raw data by the
    checker (constant terms included); ``bound`` is the engine's best bound; ``gap`` is the
    objective gap (bound − objective)/|objective| (:func:`~mmo_pyomo.solvers.stats.objective_gap`).
    ``None`` means the engine did not report the value.
    """

    formulation: str
    solver: str
    status: Status
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    time_s: float | None = None
    solver_version: str | None = None
    n_changes: int | None = None
    total_spend: float | None = None
    baseline_revenue: float | None = None
    message: str = ""
    plan: dict[str, float] | None = None
    delta: np.ndarray | None = field(default=None, repr=False)
    model_size: dict[str, int] = field(default_factory=dict)
    #: Region indicators fixed to 0 before the solve by a bound (``solve(fixed_away=...)``), or None.
    fixed_regions: int | None = None
    #: For response curves modelled by a piecewise-linear surrogate, or known only by samples: how far the
    #: model's revenue can lie below the curves for any plan (added to the bound).
    interpolation_error: float | None = None
    #: The target solved for (``"roi:2.5"``; :mod:`mmo_pyomo.instance.targets`), or None for the revenue.
    target: str | None = None
    #: "maximize", or "minimize" when the objective is the total spend (``response:V``): then ``objective`` is the
    #: plan's total spend and ``bound`` a lower bound on every plan's.
    sense: str = "maximize"
    #: Under a target: the plan's total response Σ r_i(x_i) (for ``mroi:M`` the objective is net of M × spend).
    response: float | None = None
    #: Under a target: the plan's total response / total spend.
    roi: float | None = None
    #: The risk measure solved for (``"cvar:0.1"``), or None for the mean of the curves.
    risk: str | None = None
    #: With posterior draws: the plan's and the baseline's mean response, CVaR and 5th/50th/95th percentiles over
    #: the draws (:func:`~mmo_pyomo.instance.risk.risk_summary`), as {"plan": {...}, "baseline": {...}}.
    draws: dict[str, dict[str, float]] | None = None

    @property
    def ok(self) -> bool:
        """True when a checked plan is available with a certificate (status optimal or feasible)."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE) and self.plan is not None

    @property
    def lift(self) -> float | None:
        """Revenue gain over keeping every baseline spend (None when the objective is a spend)."""
        if self.objective is None or self.baseline_revenue is None or self.sense == "minimize":
            return None
        return self.objective - self.baseline_revenue

    def raise_for_status(self) -> Result:
        """Raise the matching :class:`MMOError` unless a checked plan is available."""
        if self.ok:
            return self
        where = f"{self.formulation} on {self.solver}"
        if self.status == "infeasible" and self.target is not None:
            raise InfeasibleInstanceError(f"{self.message or f'no plan reaches the target {self.target}'} ({where})",
                                          "lower the target, or relax the bounds, the budget, the rules or max_changes")
        if self.status == "infeasible":
            raise InfeasibleInstanceError(
                f"the instance is infeasible ({where}): no plan meets the budget, the business rules and "
                "the minimum-change and maximum-change rules together",
                "relax budget_lower/budget_upper or the rule bounds, or raise max_changes")
        if self.status == "time_limit":
            raise NoSolutionError(
                f"time limit reached after {self.time_s or 0:.1f} s with no plan found ({where})",
                "start from a feasible plan (--start chord, or start= in solve()), raise --time-limit, "
                "or try another formulation (hull and misocp have the tightest relaxations)")
        if self.status == "unbounded":
            raise NoSolutionError(f"the engine reports the model unbounded ({where})",
                                  "check that every quad ≤ 0 and every activity has finite bounds")
        if self.status == Status.UNRELIABLE:
            raise CertificateError(f"{where}: {self.message}", UNRELIABLE_FIX)
        if self.status == Status.INTERRUPTED:
            raise SolveInterrupted(f"{where} was interrupted after {self.time_s or 0:.1f} s; nothing was written",
                                   "run it again; --time-limit stops a solve with its best plan")
        if self.message.startswith("plan check failed"):
            raise PlanCheckError(f"{where}: {self.message}",
                                 "tighten the engine's feasibility tolerance or report the instance")
        raise NoSolutionError(f"the solve failed ({where}): {self.message or self.status}",
                              "see the engine's log (--log FILE) for details")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``--json`` output)."""
        d = asdict(self)
        d.pop("delta")
        d["status"] = str(self.status)
        d["lift"] = self.lift
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def _check_fixing(instance: Instance, fixed_away: np.ndarray, start: np.ndarray | None) -> None:
    """Regions fixed away leave the engine's bound valid only if a plan at least as good as the one they were
    fixed against stays feasible: the start, which must keep every region it takes."""
    mask = np.asarray(fixed_away, bool)
    if mask.shape != (instance.n, 3):
        raise MMOError(f"fixed_away has shape {mask.shape}, not ({instance.n}, 3)",
                       "give one row per activity: decrease, keep, increase")
    if start is None:
        raise MMOError("fixed_away needs the plan its bound was compared with, as the start",
                       "pass start= the checked plan whose revenue the regions' bounds fell below")
    region = regions_of(instance, start)
    clash = np.flatnonzero(mask[np.arange(instance.n), region])
    if len(clash):
        raise MMOError(f"fixed_away removes the start's own region of activity '{instance.activities[clash[0]]}' "
                       f"({len(clash)} activities in all)", "fix away only regions whose bound lies below the start's "
                       "revenue (mmo_pyomo.mix.lagrangian)")


def solve(
    instance: Instance,
    formulation: str | Formulation = "misocp",
    solver: str | Engine = DEFAULT_SOLVER,
    options: SolveOptions | None = None,
    *,
    start: np.ndarray | None = None,
    validate_instance: bool = True,
    formulation_options: Mapping[str, Any] | None = None,
    cross_check: bool = True,
    fixed_away: np.ndarray | None = None,
    target: Target | str | None = None,
    risk: Risk | str | None = None,
    incumbents: Callable[[], np.ndarray | None] | None = None,
    on_plan: Callable[[np.ndarray], None] | None = None,
    **option_values: Any,
) -> Result:
    """Solve ``instance`` with ``formulation`` on ``solver`` and check the plan.

    ``options`` is a :class:`~mmo_pyomo.solvers.options.SolveOptions`; the same options may be given as
    keywords instead (``time_limit=60, mip_gap=1e-6, threads, seed, log_file, native``), and become one
    record here, checked once.

    Raises :class:`MMOError` subclasses for problems found before solving (bad data, an
    infeasible budget, a missing engine, a formulation the engine cannot take, a licence
    size limit). ``start`` (a spend change per activity, e.g. a previous plan) is passed to
    the engine as a MIP start where its interface allows. ``validate_instance=False`` skips the
    data checks (for an instance you have checked yourself; a wrong one then gives wrong models).
    Outcomes of the solve itself (infeasible, time limit, …) are returned in
    ``Result.status``; call :meth:`Result.raise_for_status` to turn them into errors.
    ``fixed_away`` (n × 3 booleans: decrease, keep, increase) fixes those region indicators to 0: regions a
    bound proved no better plan takes (:func:`~mmo_pyomo.mix.lagrangian.LagrangianBound.fixed_away`); the
    count is ``Result.fixed_regions``; ``start`` must be the plan they were fixed against.
    ``formulation_options`` go to the formulation's builder (its record's ``options``: for hull_oa
    ``tangents``, ``nonconcave`` = "pwl" | "error", ``breakpoints``).

    The certificate is checked before it is returned (:mod:`mmo_pyomo.mix.certificate`): the bound must not
    lie below the checked revenue of the plan, of the baseline, of the start, nor, with ``cross_check``
    (quadratic revenues), of the plan re-optimized within its own regions by a convex QP, which becomes
    the result where it earns more.

    An instance with response curves (:mod:`mmo_pyomo.curves`) needs a formulation that takes
    them (hull_oa). Where the formulation's model approximates the curves (a piecewise-linear
    surrogate, curves known by samples), the reported bound adds its largest possible error
    (``Result.interpolation_error``), so that it stays a bound on the true revenue.

    ``target`` (``"response:V"``, ``"roi:R"``, ``"mroi:M"`` or a :class:`~mmo_pyomo.instance.targets.Target`)
    solves for a target instead of the revenue (:mod:`mmo_pyomo.instance.targets`): the certificate is then about
    its own objective, and a target no plan reaches is status ``infeasible`` with a message naming the most the
    rules allow (:meth:`Result.raise_for_status` raises it, exit code 3). ``risk`` (``"mean"``, the default, or
    ``"cvar:ALPHA"``; :mod:`mmo_pyomo.instance.risk`) maximizes the mean of the worst ALPHA share of the curves'
    posterior draws instead of their mean (hull_oa); with draws, ``Result.draws`` reports the plan's and the
    baseline's spread over them.

    ``incumbents`` is polled during the solve where the engine asks for solutions (HiGHS: after setup, in the root
    node's cut rounds, before each dive): it returns a better plan found elsewhere (spend changes, checked, taking
    no region fixed away) or None, and the engine takes that plan as its incumbent. The concurrent solve's bound
    side gets the plan side's plans this way (:mod:`mmo_pyomo.mix.concurrent`). ``on_plan`` is the other way: it
    gets each better plan the engine finds during the solve (HiGHS), unchecked.
    """
    if not isinstance(instance, Instance):
        raise MMOError(f"solve() takes an Instance, not {type(instance).__name__}",
                       "load one first: solve(load_instance(path), ...)")
    options = deadline.started(solve_options(options, option_values))   # every step below shares the time limit
    instance = with_risk(with_target(instance, target), risk)
    form = get_formulation(formulation)
    if instance.risk is not None and not form.takes_risk:
        raise MMOError(f"the {form.name} formulation does not model the risk measure {instance.risk}",
                       "use --formulation hull_oa, which cuts every posterior draw by its own tangents")
    if instance.horizon is not None and instance.horizon.has_adstock and not form.takes_adstock:
        raise MMOError(f"the {form.name} formulation does not model adstock (spend carried over between periods)",
                       "use --formulation hull_oa, which cuts each period's response in the effective spend")
    form.check_revenue_model(instance)
    engine = solver if isinstance(solver, Engine) else get_engine(solver)
    start = _checked_start(instance, start)
    build = dict(formulation_options or {})
    unknown = sorted(set(build) - set(form.options))
    if unknown:
        raise MMOError(f"the {form.name} formulation has no option {unknown[0]!r}",
                       f"its options are {', '.join(form.options) or 'none'}")
    if start is not None and form.takes_cut_points:          # an outer approximation cut at the start is exact there
        build["cut_at"] = (*build.get("cut_at", ()), start)
    if form.check is not None:
        form.check(instance, **build)
    if instance.target is not None and instance.target.adds_row and form.error(instance, build):
        raise MMOError(f"the target {instance.target} is a row on the response, and some curves here are modelled "
                       "by a surrogate with an error (not concave over the allowed spend, or known by samples)",
                       "raise those activities' lower spend above the inflection, or use --target mroi:M")
    if fixed_away is not None:
        _check_fixing(instance, fixed_away, start)
    run = ModelRun(instance, form, engine, build_options=build, validate=validate_instance,
                   relaxed=_relaxation_is_exact(instance, form))
    fixed = run.fix_away(fixed_away) if fixed_away is not None else None
    if start is not None:
        run.start(start)
    if form.refine is not None:
        stats, delta = _solve_refining(run, options, start, incumbents, on_plan)
    else:
        stats = run.solve(options, warm=start is not None, keep_interrupted=True, incumbents=incumbents,
                          on_plan=on_plan)
        delta = run.plan() if stats.has_solution else None
        stats, delta = _keep_start(instance, start, stats, delta)
    result = Result(formulation=form.name, solver=engine.name, status=stats.status, bound=stats.bound,
                    nodes=stats.nodes, time_s=stats.time_s, solver_version=stats.version,
                    baseline_revenue=baseline_revenue(instance), message=stats.message, model_size=run.size,
                    fixed_regions=fixed, target=None if instance.target is None else str(instance.target))
    if delta is None:
        if instance.target is not None and result.status == Status.INFEASIBLE:
            from mmo_pyomo.mix.targets import unreachable
            result.message = unreachable(instance, lambda inst, t: solve(
                inst, form, engine, options, formulation_options=build, target=t).raise_for_status())
        return result
    check = check_plan(instance, instance.baseline + delta)
    if not check.feasible:
        result.status = Status.ERROR
        result.message = "plan check failed: " + check.summary()
        return result
    known = _known_plans(instance, start)
    rows = instance.target is not None and instance.target.adds_row   # the polish and the chord maximize the revenue
    if cross_check and instance.curves is None and result.status != Status.INTERRUPTED and not rows:
        try:
            delta, check, notes = _cross_check(instance, delta, check, known, options, chord=start is None)
        except SolveInterrupted as exc:         # Ctrl-C in the cross-check: the engine's plan, as an interrupted
            result.status = Status.INTERRUPTED  # solve's incumbent
            notes = [f"interrupted: {exc.cause}"]
        for note in notes:
            result.message = f"{result.message}; {note}" if result.message else note
    result.objective = check.objective
    error = form.error(instance, build)
    if error:
        result.interpolation_error = error
        result.bound = None if stats.bound is None else stats.bound + error
        result.message += (f"; curves that are not concave, or known only by samples, were interpolated (error ≤ "
                           f"{error:,.6g} over any plan, added to the bound)")
    unit, allowance = objective_scale(instance)
    cert = certify(result.status, check.objective, result.bound, target=form.gap_target(options.mip_gap),
                   unit=unit, known=known, allowance=allowance)
    if error and result.status == Status.OPTIMAL and cert.status == Status.FEASIBLE:
        cert = replace(cert, note="the plan is optimal for the piecewise-linear interpolation of the curves")
    result.status, result.gap = cert.status, cert.gap
    if cert.note:
        result.message = f"{result.message}; {cert.note}" if result.message else cert.note
    result.n_changes = check.n_changes
    result.total_spend = check.total_spend
    result.delta = delta
    result.plan = dict(zip(instance.activities, (instance.baseline + delta).tolist()))
    if instance.target is not None:
        _restate_target(result, instance, check)
    if instance.curves is not None and instance.curves.drawn:
        result.risk = None if instance.risk is None else str(instance.risk)
        result.draws = {"plan": risk_summary(instance, delta), "baseline": risk_summary(instance, np.zeros(instance.n))}
    return result


def _restate_target(result: Result, inst: Instance, check: PlanCheck) -> None:
    """A target's result in its own terms: the response and ROI of the plan, and, where the objective is the
    total spend (solved as the maximum of −spend), the spend and its lower bound."""
    x = inst.baseline + (result.delta if result.delta is not None else 0.0)
    result.response = gross_response(inst, x, check.revenue)
    result.roi = result.response / check.total_spend if check.total_spend else None
    if inst.target is not None and inst.target.minimizes:
        result.sense = "minimize"
        result.objective = None if result.objective is None else -result.objective
        result.bound = None if result.bound is None else -result.bound


def _relaxation_is_exact(inst: Instance, form: Formulation) -> bool:
    """Whether the continuous relaxation has the model's optimum: an adstocked time-phased plan (whose responses are
    cut in the spend, not in the regions) with no discrete rule — no minimum change and K at least the cells — where
    every spend in [l, u] has integral region indicators, so relaxing them changes nothing."""
    return (form.takes_adstock and inst.horizon is not None and inst.horizon.has_adstock
            and not np.any(inst.min_change > 0) and inst.max_changes >= inst.n)


def solve_options(options: SolveOptions | None, values: Mapping[str, Any]) -> SolveOptions:
    """The one options record of a call: ``options``, or one made (and checked) from keyword ``values``."""
    unknown = sorted(set(values) - set(SolveOptions.names()))
    if unknown:
        raise MMOError(f"unknown option {unknown[0]!r}", f"the options are {', '.join(SolveOptions.names())}")
    if options is not None and values:
        raise MMOError("options were given both as a SolveOptions record and as keywords",
                       "give one or the other")
    if options is not None and not isinstance(options, SolveOptions):
        raise MMOError(f"options must be a SolveOptions record, not {type(options).__name__}",
                       "pass SolveOptions(time_limit=..., mip_gap=...), or the options as keywords")
    return options if options is not None else SolveOptions(**values)


def _checked_start(inst: Instance, start: np.ndarray | None) -> np.ndarray | None:
    if start is None:
        return None
    start = np.asarray(start, dtype=float)
    if start.shape != (inst.n,) or not np.isfinite(start).all():
        raise MMOError(f"the start must give one finite spend change per activity ({inst.n}), "
                       f"not an array of shape {start.shape}", "pass a previous plan's delta, or start=None")
    return start


def on_curves(result: Result, curves_instance: Instance, error: float, mip_gap: float | None) -> Result:
    """``result``, solved on an approximation of ``curves_instance`` (its quadratic fit) whose revenue is within
    ``error`` of the curves for every plan, restated about the curves: the plan's revenue is recomputed on
    the curves by the checker, ``error`` is added to the bound, and the certificate is judged again."""
    if result.delta is None or result.bound is None:
        return result
    check = check_plan(curves_instance, curves_instance.baseline + result.delta)
    if not check.feasible:
        return replace(result, status=Status.ERROR, message="plan check failed on the curves: " + check.summary())
    bound = result.bound + error
    cert = certify(result.status if result.status != Status.UNRELIABLE else Status.OPTIMAL, check.revenue, bound,
                   target=mip_gap, unit=float(revenue_swing(curves_instance).max(initial=0.0)),
                   allowance=revenue_allowance(curves_instance))
    note = (f"solved on concave quadratics fitted to the curves; the plan's revenue is its revenue on the curves, and "
            f"the fit's error (≤ {error:,.6g} over any plan) is added to the bound")
    return replace(result, status=cert.status, objective=check.revenue, bound=bound, gap=cert.gap,
                   baseline_revenue=check.baseline_revenue, interpolation_error=error,
                   message="; ".join(m for m in (result.message, note, cert.note) if m))


#: Refinement rounds of an outer approximation at most.
MAX_OUTER_ROUNDS = 50

#: Under a target row (roi, response), how far, relative to the response, the cuts may over-state a plan's
#: response: the row holds on the cuts, so what they over-state the plan lacks in truth.
ROW_CUT_TOLERANCE = 1e-7


def _solve_refining(run: ModelRun, options: SolveOptions, start: np.ndarray | None,
                    incumbents: Callable[[], np.ndarray | None] | None = None,
                    on_plan: Callable[[np.ndarray], None] | None = None) -> tuple[SolveStats, np.ndarray | None]:
    """Solve an outer approximation, refine it at the plan, re-solve from that plan; repeat until
    (bound − true revenue of the best plan) ≤ target·|revenue|, with the formulation's gap target
    (:meth:`~mmo_pyomo.model_library.Formulation.gap_target`: tangents approach the curve but never reach a
    gap of exactly 0). Each round solves the MILP to half the target and cuts wherever the approximation
    is off by more than the other half spread over the changed activities.

    Returns the combined statistics (bound: the smallest of the rounds' bounds, all valid; nodes and
    time: summed; objective: the checked objective of the best plan) and that plan. Under a target row the
    cuts must also hold at the plan within :data:`ROW_CUT_TOLERANCE`, and a plan that meets the row that
    closely ranks before one that meets it only within the checker's tolerance. A feasible ``start``
    counts among the plans: the model over-states the revenue of the plans it finds, so a round may
    return a plan worse than its start. ``incumbents`` and ``on_plan`` go to every round (:func:`solve`).
    """
    form, inst = run.formulation, run.inst
    assert form.refine is not None
    target = form.gap_target(options.mip_gap)
    assert target is not None
    began = time.perf_counter()
    rows = inst.target is not None and inst.target.adds_row
    best: np.ndarray | None = None
    best_objective, bound = -math.inf, math.inf                # the best checked plan's objective (its revenue,
    #                                                            or −spend under a response target)
    scale = 0.0                                                # the size of the revenue, which the cuts approximate
    best_exact = False                                         # whether the best plan meets a target row exactly
    if start is not None:                 # a checked start is a plan too: the model's value over-states others
        checked = check_plan(inst, inst.baseline + start)
        if checked.feasible:
            best, best_objective = np.asarray(start, float), checked.objective
            best_exact = target_shortfall(inst, checked) <= 0
    last: SolveStats | None = None
    nodes: int | None = 0
    rounds = cuts = 0
    warm = start is not None
    previous: np.ndarray | None = None
    stalled = False
    while rounds < MAX_OUTER_ROUNDS:
        left = deadline.engine_limit(options)            # the rounds share the time limit
        if left is not None and left <= 0:
            break
        last = run.solve(options.with_changes(time_limit=left, mip_gap=target / 2), warm=warm, keep_interrupted=True,
                         incumbents=incumbents, on_plan=on_plan)
        rounds += 1
        nodes = summed_count(nodes, last.nodes)
        if last.bound is not None and math.isfinite(last.bound):
            bound = min(bound, last.bound)
        if not last.has_solution:
            break
        delta, check = run.checked_plan()
        scale = max(scale, abs(check.revenue))
        exact = not rows or target_shortfall(inst, check) <= ROW_CUT_TOLERANCE * max(scale, 1e-10)
        if check.feasible and (exact, check.objective) > (best_exact, best_objective):   # a plan that meets the target
            best, best_objective, best_exact = delta, check.objective, exact               # row exactly comes first
        if last.status != Status.OPTIMAL:                       # out of time: no round can follow
            break
        if _within(objective_gap(best_objective, bound), target) and exact:
            break                       # (a target row short in truth by what the cuts over-state: refine on)
        if previous is not None and np.array_equal(previous, delta):   # the cuts at this plan hold within the
            stalled = True                                             # engine's tolerance: more cannot help
            break
        previous = delta
        share = ROW_CUT_TOLERANCE if rows else target / 2
        tol = share * max(scale, 1e-10) / max(1, int(np.count_nonzero(delta)))
        added = form.refine(run.model, inst, delta, tol)
        cuts += added
        if not added:                                            # nothing left to refine at this plan
            break
        run.start(delta if best is None else best)
        warm = True
    if last is None:
        return SolveStats(Status.TIME_LIMIT, time_s=time.perf_counter() - began,
                          message="time limit reached before the first round"), None
    gap = objective_gap(best_objective, bound) if best is not None else None
    proved = _within(gap, target) and last.status != Status.INTERRUPTED
    status = Status.INTERRUPTED if last.status == Status.INTERRUPTED else Status.OPTIMAL if proved else (
        last.status if best is None else Status.TIME_LIMIT if last.status == Status.TIME_LIMIT else Status.FEASIBLE)
    message = (f"outer approximation: {rounds} round(s), {cuts} tangent(s) added, gap target {target:g}"
               + ("" if proved or best is None else "; target not reached")
               + ("; the engine returned the same plan again (its cuts there hold within the engine's feasibility "
                  "tolerance)" if stalled and not proved else "")
               + (f"; {last.message}" if last.message else ""))
    stats = replace(last, status=status, objective=best_objective if best is not None else None,
                    bound=bound if math.isfinite(bound) else None, nodes=nodes,
                    time_s=time.perf_counter() - began, message=message, has_solution=best is not None)
    return stats, best


#: Relative gain below which the plan re-optimized within its own regions is not taken instead of the engine's.
POLISH_GAIN = 1e-9

#: Relative gain above which taking the re-optimized plan is worth a note in the message.
NOTED_GAIN = 1e-6


#: Activities up to which a solve without a start is cross-checked against the chord heuristic's plan too
#: (its MILP and QP take well under a second there: 0.19 s on the 40-activity example, 0.33 s at n = 200).
CHORD_CHECK_MAX_N = 200


#: The share of what is left of the time limit that the cross-check's QP takes (its fallback without a limit:
#: :data:`CROSS_CHECK_S`), and the chord heuristic's plan after it; each at least
#: :data:`~mmo_pyomo.solvers.deadline.MIN_STEP_S`.
CROSS_CHECK_SHARE = 0.5
CROSS_CHECK_S = 60.0
CHORD_CHECK_S = 10.0


def _cross_check(inst: Instance, delta: np.ndarray, check: PlanCheck, known: list[tuple[str, float]],
                 options: SolveOptions, chord: bool = True) -> tuple[np.ndarray, PlanCheck, list[str]]:
    """Second, cheap views of the engine's answer, each a checked plan that joins the ``known`` plans no
    bound may fall below, and that is the result where it earns more than the engine's own (a note says
    so): the engine's plan re-optimized within its own regions (a convex QP on SCIP), and, on instances of
    up to :data:`CHORD_CHECK_MAX_N` activities solved without a start (``chord``), the chord heuristic's
    plan, found by another model in possibly other regions. Each takes a share of what is left of ``options``'s
    deadline (:mod:`mmo_pyomo.solvers.deadline`); an interrupt of either raises :class:`SolveInterrupted`."""
    from mmo_pyomo.mix.chord import chord_start, polish
    candidates: list[tuple[str, np.ndarray, PlanCheck]] = []
    try:
        polished, pcheck = polish(inst, delta, "scip", options=deadline.step(options, CROSS_CHECK_SHARE, CROSS_CHECK_S))
        candidates.append(("re-optimized within its regions", polished, pcheck))
    except MMOError:                                  # the check could not run: the answer stands as it is
        pass
    if chord and inst.n <= CHORD_CHECK_MAX_N:
        try:
            plan = chord_start(inst, "scip", "scip",
                               options=deadline.step(options, CROSS_CHECK_SHARE, CHORD_CHECK_S))
            candidates.append(("the chord heuristic's plan", plan.delta,
                               check_plan(inst, inst.baseline + plan.delta)))
        except MMOError:
            pass
    notes = []
    for label, other, ocheck in candidates:
        if not ocheck.feasible:
            continue
        known.append((label if label.startswith("the") else f"the plan {label}", ocheck.revenue))
        gain = ocheck.revenue - check.revenue
        if gain > POLISH_GAIN * max(abs(check.revenue), 1.0):
            if gain > NOTED_GAIN * abs(check.revenue):
                notes.append(f"the engine's plan earned {check.revenue:,.10g}; {label} earns "
                             f"{ocheck.revenue:,.10g}, and that plan is the result")
            delta, check = other, ocheck
    return delta, check, notes


def _known_plans(inst: Instance, start: np.ndarray | None) -> list[tuple[str, float]]:
    """(label, checked revenue) of the plans known before the solve: the baseline and the start, where
    feasible. No bound may lie below them (:func:`mmo_pyomo.mix.certificate.certify`)."""
    known = []
    for label, delta in (("the baseline plan", np.zeros(inst.n)), ("the start", start)):
        if delta is not None:
            checked = check_plan(inst, inst.baseline + delta)
            if checked.feasible:
                known.append((label, checked.objective))
    return known


def _keep_start(inst: Instance, start: np.ndarray | None, stats: SolveStats,
                delta: np.ndarray | None) -> tuple[SolveStats, np.ndarray | None]:
    """A checked start is a plan: when the engine returns none (stopped before it read the MIP start,
    say) or a worse one, the start is the result, so a solve from a start never ends below it."""
    if start is None:
        return stats, delta
    began = check_plan(inst, inst.baseline + start)
    if not began.feasible:
        return stats, delta
    if delta is not None:
        found = check_plan(inst, inst.baseline + delta)
        if found.feasible and found.objective >= began.objective:
            return stats, delta
    status = stats.status if stats.status in (Status.OPTIMAL, Status.FEASIBLE, Status.INTERRUPTED) else Status.FEASIBLE
    note = "the engine returned no plan better than the start, so the plan is the checked start"
    return replace(stats, status=status, has_solution=True,
                   message=f"{stats.message}; {note}" if stats.message else note), np.asarray(start, float)


def _within(gap: float | None, target: float) -> bool:
    """``gap`` ≤ ``target``, up to round-off (an engine stopping at exactly the target)."""
    return gap is not None and gap <= target + 1e-12


