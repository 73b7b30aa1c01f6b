"""Both cores at once: the bound side and the plan side of one solve, in two processes that exchange what they find.

* **The plan side** runs the improvement heuristic (:func:`mmo_pyomo.mix.improve.improve`) from the start, with the
  Lagrangian core (the activities the bound prices furthest from their incumbent region) among its neighbourhoods,
  and sends every better checked plan.
* **The bound side** solves the formulation (by default hull_oa on HiGHS, one thread) from the best plan so far,
  which every engine that takes a MIP start uses as its incumbent (a cutoff), with the regions that the Lagrangian
  bound rules out against that plan fixed away. Better plans that arrive during the round go to the engine where
  it asks for solutions (HiGHS, at its user-solution points: in the root node's cut rounds and before each dive),
  and become its incumbent; each better plan the engine finds goes to the driver as it is found (HiGHS). hull_oa
  gets tangents at the start and at the Lagrangian relaxation's best point of every region (its ``cut_at``), so its
  root is as tight as the hull's. By default it is one round to the deadline, since a new round would start its
  root cuts again (``first_round_s`` asks for rounds of growing length instead, each from the newest plan and
  fixings). It sends its engine's bound as it falls (where the engine reports it during the solve: HiGHS), and its
  bound and plan at the end of each round.
* **This process** checks every plan independently. On a better one it fixes more regions (the same Lagrangian
  multipliers against the better revenue, :mod:`mmo_pyomo.mix.lagrangian`) and hands the plan and the fixings to
  both sides: the plan side fixes them from its next neighbourhood on, the bound side uses both in its next
  round, if any.

The certified gap is (best valid bound − best checked revenue)/|revenue|. A round's bound holds for the plans it
did not fix away; those it fixed away earn at most the revenue the fixing was computed against, so the round
bounds every plan by the larger of the two. The Lagrangian bound itself is valid from the start. The command stops
as soon as the gap is within its target, or at its time limit for the whole command (both sides are stopped then,
an engine in mid-solve included), never later.
"""
from __future__ import annotations

import logging
import multiprocessing as mp
import queue
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.certificate import certify
from mmo_pyomo.mix.checker import check_plan, objective_scale, regions_of
from mmo_pyomo.mix.lagrangian import LagrangianBound, cut_options, solve_dual
from mmo_pyomo.mix.runner import Result
from mmo_pyomo.solvers.stats import Status, objective_gap

log = logging.getLogger(__name__)

#: Seconds kept in hand at the end for stopping the two sides and writing the result.
MARGIN_S = 2.0
#: Seconds between a bound round's time limit and the deadline (at least; 15% of what is left when there are
#: several rounds).
ROUND_MARGIN_S = 5.0


@dataclass(frozen=True)
class ConcurrentSettings:
    """The two sides: the bound side's formulation and engine, the plan side's, and its neighbourhood length."""

    bound_formulation: str = "hull_oa"
    bound_solver: str = "highs"
    plan_formulation: str = "hull"
    plan_solver: str = "scip"
    slice_s: float = 60.0
    #: The first bound round's length (s), each next one twice as long; None: one round to the deadline, which
    #: keeps the engine's root cuts (a new round starts its root again: on the planned retail case three rounds of
    #: 60, 120 and 240 s ended at a bound 4 units above one round of 400 s).
    first_round_s: float | None = None


#: Each bound engine's own options. HiGHS's presolve is off: on hull_oa it substitutes the spend change d = d⁻ + d⁺
#: away, and the longer rows it leaves make its path-aggregation cut separator (95% of its root time, sampled) about
#: three times slower per unit of bound (random retail case, 2026-12-03, one thread, no start: 148,968.25 at 168 s
#: with presolve off, 148,986.86 at 131 s and 148,975.25 at 333 s with it on).
BOUND_NATIVE: dict[str, dict[str, Any]] = {"highs": {"presolve": "off"}}


@dataclass
class ConcurrentRun:
    """The result, and what happened: every plan, bound and fixing, with its time."""

    result: Result
    events: list[dict[str, Any]] = field(default_factory=list)


def _newest(inbox: Any) -> Any:
    """The last item waiting in ``inbox`` (None if none)."""
    item = None
    while True:
        try:
            item = inbox.get_nowait()
        except queue.Empty:
            return item


def _reported(side: str, out: Any, work: Callable[[], Any]) -> None:
    """A side's ``work``, then "done"; or its failure, reported to the driver, which goes on with the other side."""
    try:
        work()
        out.put(("done", side, None, None))
    except Exception as exc:
        out.put(("error", side, f"{type(exc).__name__}: {exc}", None))


def _plan_side(inst: Instance, start: np.ndarray, fixed: np.ndarray, lag: LagrangianBound, settings: ConcurrentSettings,
               time_limit: float, out: Any, inbox: Any, stop: Any) -> None:
    """The improvement, with the Lagrangian core among its neighbourhoods, sending each better plan, and taking
    before each neighbourhood the newest best plan and fixings sent to it."""
    from mmo_pyomo.mix.improve import improve
    _reported("improvement", out, lambda: improve(
        inst, start, formulation=settings.plan_formulation, solver=settings.plan_solver, time_limit=time_limit,
        slice_s=settings.slice_s, threads=1, fixed_away=fixed, bound=lag,
        on_plan=lambda delta, revenue: out.put(("plan", "improvement", delta, revenue)),
        exchange=lambda: _newest(inbox), stop=stop.is_set))


def _valid_bound(engine_bound: float | None, fixed_at: float, best_revenue: float) -> float | None:
    """What a bound side's bound certifies: the engine's bound holds for the plans its round did not fix away, and
    those it fixed away earn at most ``fixed_at``. A bound below a checked plan is no certificate (the runner calls
    it unreliable): None."""
    if engine_bound is None or float(engine_bound) < best_revenue * (1 - 1e-9):
        return None
    return max(float(engine_bound), fixed_at)


class _BoundReport:
    """The engine's bound as it moves during a round (``SolveOptions.on_bound``), sent on when it has fallen."""

    def __init__(self, out: Any, fixed_at: float) -> None:
        self.out, self.fixed_at, self.last = out, fixed_at, np.inf

    def __call__(self, bound: float) -> None:
        if bound < self.last:
            self.last = bound
            self.out.put(("live", "bound", (bound, self.fixed_at), None))


def _bound_side(inst: Instance, settings: ConcurrentSettings, gap: float, deadline: float, cut_at: tuple[np.ndarray, ...],
                out: Any, inbox: Any, stop: Any) -> None:
    """:func:`_bound_rounds`, its failure reported to the driver, which goes on with the plan side."""
    _reported("bound", out, lambda: _bound_rounds(inst, settings, gap, deadline, cut_at, out, inbox, stop))


def _bound_rounds(inst: Instance, settings: ConcurrentSettings, gap: float, deadline: float,
                  cut_at: tuple[np.ndarray, ...], out: Any, inbox: Any, stop: Any) -> None:
    """Rounds of the bound formulation, each from the newest (plan, fixings, revenue they were fixed against), with
    tangents at ``cut_at`` where the formulation takes them."""
    from mmo_pyomo.mix.runner import solve
    from mmo_pyomo.model_library import get_formulation
    latest = [inbox.get()]                       # the newest (plan, fixings, revenue they were fixed against)

    def incumbents() -> np.ndarray | None:
        """A plan newer than the engine has, mid-round: it takes no region of the newer fixings, which include the
        round's own, so it is feasible in the round's model."""
        item = _newest(inbox)
        if item is None:
            return None
        latest[0] = item
        return np.asarray(item[0], float)
    length = settings.first_round_s if settings.first_round_s is not None else np.inf
    build = cut_options(get_formulation(settings.bound_formulation), cut_at)
    while not stop.is_set():
        latest[0] = _newest(inbox) or latest[0]
        plan, mask, fixed_at = latest[0]
        # a round of several must end, with its bound, before the deadline: the model's build and the engine's last
        # checks of its clock come on top of its time limit (a 240 s round of hull_oa on HiGHS at 3,000 activities,
        # started 274 s before the deadline, had not returned by it). One round to the deadline keeps only the small
        # margin: its engine's bound reaches the driver as it falls, so stopping it at the deadline loses little.
        left = deadline - time.time()
        limit = min(length, left - (ROUND_MARGIN_S if np.isinf(length) else max(ROUND_MARGIN_S, 0.15 * left)))
        if limit < 5.0:
            break
        moving = _BoundReport(out, fixed_at)
        r = solve(inst, settings.bound_formulation, settings.bound_solver, mip_gap=gap, time_limit=limit,
                  threads=1, start=plan, fixed_away=mask, formulation_options=build, on_bound=moving,
                  incumbents=incumbents, on_plan=lambda delta: out.put(("plan", "bound", delta, None)),
                  native=BOUND_NATIVE.get(settings.bound_solver, {}))
        out.put(("bound", "bound", (r.bound, fixed_at, str(r.status), r.nodes), r.delta))
        if r.status == Status.OPTIMAL:           # proved within the gap on its model: nothing more to learn
            break
        length *= 2


def solve_concurrent(inst: Instance, start: np.ndarray, *, gap: float = 1e-4, time_limit: float = 600.0,
                     threads: int = 2, settings: ConcurrentSettings | None = None,
                     bound: LagrangianBound | None = None) -> ConcurrentRun:
    """The bound side and the plan side at once from the checked plan ``start`` (see the module docstring); stops
    once the certified gap is within ``gap`` or at ``time_limit`` seconds for the whole call. ``threads`` counts all
    of its threads: it needs 2, one per side."""
    settings = settings or ConcurrentSettings()
    t0 = time.time()
    if threads is not None and threads < 2:
        raise MMOError(f"the concurrent solve runs two sides on a thread each, and --threads is {threads}",
                       "give --threads 2 (or more), or solve without --concurrent")
    start = np.asarray(start, float)
    first = check_plan(inst, inst.baseline + start)
    if not first.feasible:
        raise MMOError("the concurrent solve needs a feasible start: " + first.summary(), "add --start chord")
    deadline = t0 + time_limit - MARGIN_S
    events: list[dict[str, Any]] = []

    def note(side: str, what: str, **values: Any) -> None:
        events.append({"t_s": round(time.time() - t0, 3), "side": side, "what": what, **values})
    note("start", "plan", revenue=first.revenue)
    lag = bound or solve_dual(inst)
    best, best_revenue = start.copy(), first.revenue
    best_bound = lag.value
    mask = lag.fixed_away(best_revenue, keep=regions_of(inst, best))
    note("lagrangian", "bound", bound=lag.value, fixed=int(mask.sum()))
    ctx = mp.get_context("spawn")
    out, to_plan, to_bound, stop = ctx.Queue(), ctx.Queue(), ctx.Queue(), ctx.Event()
    to_bound.put((best, mask, best_revenue))
    sides = [ctx.Process(target=_plan_side, args=(inst, best, mask, lag, settings, max(deadline - time.time(), 1.0), out,
                                                  to_plan, stop), daemon=True, name="mmo-plan-side"),
             ctx.Process(target=_bound_side, args=(inst, settings, gap, deadline, lag.cut_points(), out, to_bound, stop),
                         daemon=True, name="mmo-bound-side")]
    for p in sides:
        p.start()
    running = {"improvement", "bound"}
    errors: list[str] = []
    try:
        while running and time.time() < deadline:
            now_gap = objective_gap(best_revenue, best_bound)
            if now_gap is not None and now_gap <= gap:
                break
            try:
                kind, side, payload, extra = out.get(timeout=min(0.5, max(deadline - time.time(), 0.01)))
            except queue.Empty:
                continue
            if kind in ("done", "error"):
                running.discard(side)
                if kind == "error":
                    errors.append(f"{side}: {payload}")
                    note(side, "error", message=payload)
                continue
            if kind == "live":                   # the round's engine bound so far: valid, as its final one is
                engine_bound, fixed_at = payload
                valid = _valid_bound(engine_bound, fixed_at, best_revenue)
                if valid is not None and valid < best_bound:
                    best_bound = valid
                    note(side, "live bound", bound=engine_bound, valid_bound=best_bound)
                continue
            if kind == "bound":
                engine_bound, fixed_at, status, nodes = payload
                valid = None if status == str(Status.UNRELIABLE) else _valid_bound(engine_bound, fixed_at, best_revenue)
                if valid is not None:
                    best_bound = min(best_bound, valid)
                note(side, "bound", bound=engine_bound, valid_bound=best_bound, status=status, nodes=nodes,
                     used=valid is not None)
                plan = extra
            else:
                plan = payload
            if plan is None:
                continue
            check = check_plan(inst, inst.baseline + plan)          # every plan, checked here independently
            if check.feasible and check.revenue > best_revenue * (1 + 1e-12):
                best, best_revenue = np.asarray(plan, float).copy(), check.revenue
                mask = mask | lag.fixed_away(best_revenue, keep=regions_of(inst, best))
                to_plan.put((best, best_revenue, mask))
                to_bound.put((best, mask, best_revenue))
                note(side, "plan", revenue=best_revenue, fixed=int(mask.sum()))
    finally:
        stop.set()
        for p in sides:
            p.join(timeout=1.0)
            if p.is_alive():
                p.terminate()
                p.join(timeout=2.0)
        # what the sides did not read stays unsent: without this, the queues' feeder threads wait at exit for a
        # reader that is gone (a plan and fixings of 3,000 activities fill the pipe), and the command never ends
        for q in (to_plan, to_bound, out):
            q.cancel_join_thread()
            q.close()
    elapsed = time.time() - t0
    g = objective_gap(best_revenue, best_bound)
    proved = g is not None and g <= gap
    note("driver", "stop", revenue=best_revenue, bound=best_bound, gap=g, reason="gap" if proved else
         "time limit" if time.time() >= deadline else "both sides done")
    final = check_plan(inst, inst.baseline + best)
    unit, allowance = objective_scale(inst)
    cert = certify(Status.OPTIMAL if proved else Status.FEASIBLE, final.revenue, best_bound, target=gap, unit=unit,
                   known=[("the start", first.revenue)], allowance=allowance)
    if cert.note:
        errors.append(cert.note)
    result = Result(f"{settings.bound_formulation} bound + {settings.plan_formulation} plan",
                    f"{settings.bound_solver} + {settings.plan_solver}", cert.status,
                    objective=final.revenue, bound=best_bound, gap=cert.gap, time_s=elapsed,
                    n_changes=int((np.abs(best) > 0).sum()), total_spend=float((inst.baseline + best).sum()),
                    baseline_revenue=float(inst.revenue(np.zeros(inst.n)).sum()),
                    message="; ".join(errors), plan=dict(zip(inst.activities, (inst.baseline + best).tolist())),
                    delta=best, fixed_regions=int(mask.sum()))
    return ConcurrentRun(result, events)
