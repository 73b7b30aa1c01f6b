"""Solve a marketing mix instance with any formulation on any engine (``mmo solve``)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from mmo_pyomo.cli import args as args_
from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.errors import MMOError
from mmo_pyomo.formatting import amount, gap_percent, objective_words, seconds, signed_percent
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.targets import describe_target
from mmo_pyomo.io_utils import atomic_write_text, output_set
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.pipeline import ImproveSettings, Planned, checked_start, plan, prepare
from mmo_pyomo.mix.plan_table import read_plan_csv, write_plan_csv
from mmo_pyomo.mix.runner import Result
from mmo_pyomo.model_library import CURVE_FORMULATIONS, FORMULATIONS
from mmo_pyomo.solvers.options import SolveOptions
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER
from mmo_pyomo.solvers.stats import Status

HELP = "solve an instance (any formulation, any engine)"


def summary(result: Result, baseline_feasible: bool = True, response: bool = False) -> str:
    """A readable multi-line summary of a result (``baseline_feasible``: whether the baseline
    plan itself meets the budget and rules, which the lift line then says). ``response``: the instance's
    revenues are response curves (an MMM's contribution, in the model's units), so the lines say
    "response", not "revenue"."""
    word = "response" if response else "revenue"
    gap = gap_percent(result.gap)
    lift = result.lift
    rel = signed_percent(lift, result.baseline_revenue)
    rel = f" ({rel})" if rel else ""
    labels = objective_words(result.target, result.risk, word)
    objective = labels["objective"]
    lines = [
        f"formulation     {result.formulation}",
        f"solver          {result.solver} {result.solver_version or ''}".rstrip(),
        f"status          {result.status}",
        *([f"target          {describe_target(result.target)}"] if result.target else []),
        *([f"risk            {result.risk} (the mean {word} of the worst {result.risk.partition(':')[2]} share of "
           "the posterior draws)"] if result.risk else []),
        f"{objective:<15} {amount(result.objective)}",
        f"best bound      {amount(result.bound)}",
        f"gap             {gap}",
        f"nodes           {'unknown' if result.nodes is None else result.nodes}",
        f"time            {seconds(result.time_s)}",
        f"changes         {'-' if result.n_changes is None else result.n_changes}",
        f"total spend     {amount(result.total_spend)}",
    ]
    if result.target:
        roi = "-" if result.roi is None else f"{result.roi:.6g}"
        lines.append(f"{labels['response']:<15} {amount(result.response)}, ROI {roi}")
    if result.draws:
        lines.extend(_draw_lines(result, word))
    if lift is not None:
        lines.append(f"{labels['lift']:<15} {amount(lift)}{rel} over the baseline plan"
                     + ("" if baseline_feasible else " (which breaks the budget, a rule or the target here)"
                        if result.target else " (which breaks the budget or a rule here)"))
    if result.message.startswith("outer approximation") or result.status in (Status.UNRELIABLE, Status.FEASIBLE):
        if result.message:
            lines.append(f"note            {result.message}")
    return "\n".join(lines)


def _draw_lines(result: Result, word: str) -> list[str]:
    """The plan's and the baseline's spread over the posterior draws."""
    assert result.draws is not None
    out = []
    for label, d in (("plan", result.draws["plan"]), ("baseline", result.draws["baseline"])):
        out.append(f"{'draws ' + label:<15} mean {amount(d['mean'])}, CVaR {d['alpha']:g} {amount(d['cvar'])}, "
                   f"p5/p50/p95 {amount(d['p5'])} / {amount(d['p50'])} / {amount(d['p95'])} "
                   f"({d['draws']} draws of the {word})")
    return out


def _start_from_file(inst: Instance, path: str) -> np.ndarray:
    """The spend change of a plan file (``--start-plan``), checked."""
    delta = checked_start(inst, read_plan_csv(inst, path) - inst.baseline)
    checked = check_plan(inst, inst.baseline + delta)
    print(f"start plan      revenue {checked.revenue:,.2f} ({checked.n_changes} changes) from {path}")
    return delta


def _progress(start_solver: str):
    """What each stage of the pipeline printed as it finished."""
    def show(stage: str, value) -> None:
        if stage == "approximation":
            print(f"approximation   concave quadratics; largest error {value.errors.max():,.6g}, "
                  f"sum of the K largest {value.error_k:,.6g} (bounds the revenue error of any plan)")
        elif stage == "start":
            print(f"chord start     revenue {value.revenue:,.2f} ({value.n_changes} changes; chord MILP plan "
                  f"{value.chord_revenue:,.2f} in {value.milp_time_s:.1f} s on {start_solver}, "
                  f"polish {value.polish_time_s:.1f} s)")
        elif stage == "fixing":
            rec = value[-1]
            print(f"fixing          {rec['fixed']:,} of {rec['regions']:,} regions fixed away against the "
                  f"{rec['after']}'s {rec['plan_revenue']:,.2f} (Lagrangian bound {rec['lagrangian_bound']:,.2f}; "
                  f"{rec['activities_decided']:,} activities decided; {rec['time_s']:.1f} s)")
        elif stage == "improvement":
            print(f"improvement     revenue {value.revenue:,.2f} from {value.start_revenue:,.2f} in {value.time_s:.1f} s "
                  f"({len(value.slices)} neighbourhoods)")
    return show


def _concurrent(args: argparse.Namespace, inst: Instance, options: SolveOptions, stages: dict) -> Planned:
    """The start, then :func:`mmo_pyomo.mix.concurrent.solve_concurrent` within what is left of --time-limit."""
    import time

    from mmo_pyomo.mix.concurrent import ConcurrentSettings, solve_concurrent
    t0 = time.time()
    prepared = prepare(inst, args.formulation, args.solver, options, needs_start=True, **stages)
    assert prepared.start is not None
    left = (args.time_limit if args.time_limit is not None else 600.0) - (time.time() - t0)
    if left < 5.0:
        raise MMOError(f"the start took {time.time() - t0:.1f} s of --time-limit, and the concurrent solve needs time "
                       "left", "raise --time-limit or lower --start-time-limit")
    for note in prepared.notes:
        print(f"start           {note}")
    run = solve_concurrent(prepared.instance, prepared.start, gap=args.gap if args.gap is not None else 1e-4,
                           time_limit=left, threads=args.threads if args.threads is not None else 2,
                           settings=ConcurrentSettings(bound_formulation=args.formulation, bound_solver=args.solver,
                                                       slice_s=args.improve_slice))
    prepared.concurrent = run.events
    run.result.time_s = time.time() - t0
    run.result.message = "; ".join(m for m in (*prepared.notes, run.result.message) if m)
    return Planned(run.result, prepared.instance, prepared)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo solve``."""
    p.add_argument("--formulation", default="misocp",
                   help=f"one of {', '.join(FORMULATIONS)}, or 'all'; for Michaelis–Menten curves also "
                        f"{', '.join(CURVE_FORMULATIONS)}")
    p.add_argument("--data", default=str(EXAMPLE_DAT), help=".dat file or CSV folder (default: the shipped example)")
    p.add_argument("--solver", default=DEFAULT_SOLVER, help="engine name, 'all', or pyomo:NAME")
    p.add_argument("--time-limit", type=args_.positive_seconds, default=None, metavar="S",
                   help="seconds (> 0) for the whole command: every step (start, improvement, solve, cross-checks) "
                        "takes a share of it")
    p.add_argument("--gap", type=args_.relative_gap, default=None, metavar="G",
                   help="relative MIP gap to stop at, in [0, 1)")
    p.add_argument("--threads", type=args_.threads, default=None, metavar="N")
    p.add_argument("--seed", type=args_.seed, default=None, metavar="N")
    p.add_argument("--log", default=None, metavar="FILE", help="append the engine's log to FILE")
    p.add_argument("--json", default=None, metavar="PATH", help="write the result as JSON")
    p.add_argument("--plan", default=None, metavar="PATH", help="write the plan as CSV")
    p.add_argument("--page", default=None, metavar="FILE.html",
                   help="write the plan page: one self-contained HTML file (mmo page RESULT.json draws it again)")
    p.add_argument("--start", choices=("none", "chord"), default="none",
                   help="MIP start: 'chord' finds a feasible plan first with the chord heuristic "
                        "(mmo_pyomo.mix.chord), for large cases where the engine finds none")
    p.add_argument("--start-plan", default=None, metavar="PATH",
                   help="MIP start from a plan CSV (columns activity,new_spend, as --plan writes it), e.g. last "
                        "cycle's plan or one improved before; it must pass the checker")
    p.add_argument("--start-solver", default=DEFAULT_SOLVER, metavar="NAME",
                   help="MILP engine of the chord heuristic (e.g. highs; default scip)")
    p.add_argument("--start-time-limit", type=args_.positive_seconds, default=None, metavar="S",
                   help="time limit of the chord heuristic (default: 20%% of --time-limit, or 60 s without one); a "
                        "chord MILP out of time falls back to the fewest-changes plan")
    p.add_argument("--improve", action="store_true",
                   help="before the full solve, improve the start by neighbourhood search (mmo_pyomo.mix.improve): "
                        "local branching and fix-and-optimize over rule groups, each a sub-MIP with its own slice")
    p.add_argument("--improve-time-limit", type=args_.positive_seconds, default=300.0, metavar="S",
                   help="time for the improvement heuristic in all (default 300 s)")
    p.add_argument("--improve-slice", type=args_.positive_seconds, default=60.0, metavar="S",
                   help="time limit of each neighbourhood's sub-MIP (default 60 s)")
    p.add_argument("--fix", action="store_true",
                   help="Lagrangian region fixing: drop every (activity, region) whose bound lies below the start's "
                        "revenue before the improvement and the solve (mmo_pyomo.mix.lagrangian; needs a start)")
    p.add_argument("--concurrent", action="store_true",
                   help="both cores at once (mmo_pyomo.mix.concurrent): --formulation on --solver as the bound side "
                        "(e.g. hull_oa on highs) and the improvement (hull on scip) as the plan side, exchanging plans "
                        "and region fixings; stops at --gap (default 1e-4) or at --time-limit for the whole command; "
                        "needs a start and --threads 2")
    p.add_argument("--nonconcave", choices=("pwl", "error"), default="pwl",
                   help="response curves that are not concave over the allowed spend: a piecewise-linear "
                        "surrogate with a stated error (pwl), or an error naming them (hull_oa)")
    p.add_argument("--breakpoints", type=args_.breakpoint_count, default=None, metavar="N",
                   help="segments per region of the piecewise-linear surrogate (default 16)")
    p.add_argument("--approximate", choices=("none", "quadratic"), default="none",
                   help="'quadratic': replace response curves by fitted concave quadratics, so that every "
                        "formulation takes them; the fit's error is reported")
    p.add_argument("--target", type=args_.target, default=None, metavar="KIND:VALUE",
                   help="solve for a target instead of the revenue: response:V (the least spend whose response is at "
                        "least V), roi:R (the most response with response ≥ R × spend) or mroi:M (the most "
                        "response − M × spend)")
    p.add_argument("--risk", type=args_.risk, default=None, metavar="MEASURE",
                   help="over the curves' posterior draws (curve_draws.csv): mean (the default) or cvar:ALPHA, the "
                        "mean response of the worst ALPHA share of the draws (hull_oa)")
    p.add_argument("--list-solvers", action="store_true", help="print the engine table and exit")


def run(args: argparse.Namespace) -> int:
    """Run ``mmo solve``."""
    if args.list_solvers:
        from mmo_pyomo.cli.engine_listing import solver_table
        print(solver_table())
        return 0
    args_.check_outputs(json=args.json, plan=args.plan, page=args.page, log=args.log,
                        inputs=[args.data, args.start_plan])
    if (args.formulation == "all" or args.solver == "all") and (args.json or args.plan or args.page):
        raise MMOError("--json, --plan and --page write one solve's result; --formulation all / --solver all "
                       "compare many", "choose one formulation and one solver to write a result, or drop them")
    inst = load_instance(args.data)
    h = inst.horizon
    size = f"{inst.n} activities" if h is None else \
        f"{len(h.activities)} activities × {h.periods} periods = {inst.n} cells, adstock up to L = {h.lag}" \
        + (", with carry-out" if h.carry_out else "")
    print(f"instance        {inst.name} ({size}, {len(inst.rules)} rules, K = {inst.max_changes})"
          + ("" if inst.curves is None else ", response curves"))
    options = SolveOptions(time_limit=args.time_limit, mip_gap=args.gap, threads=args.threads, seed=args.seed,
                           log_file=args.log)
    if args.start_plan is not None and args.start == "chord":
        raise MMOError("--start chord and --start-plan both give a start", "choose one of them")
    start = _start_from_file(inst, args.start_plan) if args.start_plan is not None else args.start
    compare = args.formulation == "all" or args.solver == "all"
    improve = ImproveSettings(args.improve_time_limit, args.improve_slice, "hull" if args.formulation == "all" else None,
                              "scip" if args.solver == "all" else None) if args.improve else None
    stages = dict(approximate=args.approximate, start=start, start_solver=args.start_solver,
                  start_time_limit=args.start_time_limit, improve=improve, fix=args.fix,
                  progress=_progress(args.start_solver))
    if args.concurrent and (compare or args.improve or args.fix or args.approximate != "none"):
        raise MMOError("--concurrent runs the improvement and the fixing itself, beside one bound solve",
                       "drop --improve, --fix and --approximate, and choose one formulation and one solver")
    if args.concurrent and start == "none":
        raise MMOError("--concurrent starts both sides from a plan", "add --start chord or --start-plan PATH")
    if (args.target is not None or args.risk is not None) and (compare or args.concurrent):
        raise MMOError("--target and --risk solve one formulation on one engine", "drop --concurrent and --formulation all / "
                       "--solver all")
    if compare and args.fix:
        raise MMOError("--fix applies to one solve, and --formulation all / --solver all compare many",
                       "choose one formulation and one solver, or drop --fix")
    if compare:
        from mmo_pyomo.mix.compare import compare_table
        prepared = prepare(inst, "hull" if args.formulation == "all" else args.formulation, "scip" if args.solver
                           == "all" else args.solver, options, **stages)
        print(compare_table(prepared.instance, args.formulation, args.solver, options, start=prepared.start))
        return 0
    if args.concurrent:
        planned = _concurrent(args, inst, options, stages)
    else:
        planned = plan(inst, args.formulation, args.solver, options, target=args.target, risk=args.risk,
                       curve_options={"nonconcave": args.nonconcave, "breakpoints": args.breakpoints}, **stages)
    result, inst = planned.result, planned.instance
    print(summary(result, baseline_feasible=check_plan(inst, inst.baseline).feasible, response=inst.has_curves))
    if result.status != Status.UNRELIABLE:     # an unreliable certificate still has a checked plan: write it, then fail
        result.raise_for_status()
    with output_set():                  # every file, or none: moved into place once all are written
        record = planned.to_dict() if args.json or args.page else {}
        if args.json:
            atomic_write_text(args.json, json.dumps(record, indent=2, allow_nan=False) + "\n")
        if args.plan and result.delta is not None:
            write_plan_csv(inst, result.delta, args.plan)
        if args.page:
            from mmo_pyomo.page import write_page
            write_page(record, args.page, source=Path(args.data).name)
    result.raise_for_status()
    return 0
