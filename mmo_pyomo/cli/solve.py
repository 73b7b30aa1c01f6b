"""Solve a marketing mix instance with any formulation on any engine (``mmo solve``)."""
from __future__ import annotations

import argparse
import json

import numpy as np

from mmo_pyomo.cli import args as args_
from mmo_pyomo.errors import MMOError
from mmo_pyomo.examples import EXAMPLE_DAT
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.io_utils import atomic_path, atomic_write_text, output_set
from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.plan_table import plan_frame, read_plan_csv
from mmo_pyomo.mix.runner import Result, on_curves, solve
from mmo_pyomo.model_library import CURVE_FORMULATIONS, FORMULATIONS
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER
from mmo_pyomo.solvers.stats import Status

HELP = "solve an instance (any formulation, any engine)"


def _fmt(x: float | None, spec: str = ",.2f") -> str:
    return "unknown" if x is None else format(x, spec)


def summary(result: Result, baseline_feasible: bool = True) -> str:
    """A readable multi-line summary of a result (``baseline_feasible``: whether the baseline
    plan itself meets the budget and rules, which the lift line then says)."""
    gap = "unknown" if result.gap is None else f"{100 * result.gap:.4f}%"
    lift = result.lift
    rel = (f" ({100 * lift / abs(result.baseline_revenue):+.2f}%)"
           if lift is not None and result.baseline_revenue else "")
    lines = [
        f"formulation     {result.formulation}",
        f"solver          {result.solver} {result.solver_version or ''}".rstrip(),
        f"status          {result.status}",
        f"total revenue   {_fmt(result.objective)}",
        f"best bound      {_fmt(result.bound)}",
        f"gap             {gap}",
        f"nodes           {'unknown' if result.nodes is None else result.nodes}",
        f"time            {_fmt(result.time_s, '.2f')} s",
        f"changes         {'-' if result.n_changes is None else result.n_changes}",
        f"total spend     {_fmt(result.total_spend)}",
        f"revenue lift    {_fmt(lift)}{rel} over the baseline plan"
        + ("" if baseline_feasible else " (which breaks the budget or a rule here)"),
    ]
    if result.message.startswith("outer approximation") or result.status in (Status.UNRELIABLE, Status.FEASIBLE):
        if result.message:
            lines.append(f"note            {result.message}")
    return "\n".join(lines)


def _start_from_file(inst: Instance, path: str) -> np.ndarray:
    """The spend change of a checked plan file (``--start-plan``)."""
    spend = read_plan_csv(inst, path)
    checked = check_plan(inst, spend)
    if not checked.feasible:
        raise MMOError(f"the start plan {path} is not feasible for this instance: {checked.summary()}",
                       "give a plan that passes the checker (one this instance's solve wrote with --plan), "
                       "or use --start chord")
    print(f"start plan      revenue {checked.revenue:,.2f} ({checked.n_changes} changes) from {path}")
    return spend - inst.baseline


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo solve``."""
    p.add_argument("--formulation", default="misocp",
                   help=f"one of {', '.join(FORMULATIONS)}, or 'all'; for Michaelis–Menten curves also "
                        f"{', '.join(CURVE_FORMULATIONS)}")
    p.add_argument("--data", default=str(EXAMPLE_DAT), help=".dat file or CSV folder (default: the shipped example)")
    p.add_argument("--solver", default=DEFAULT_SOLVER, help="engine name, 'all', or pyomo:NAME")
    p.add_argument("--time-limit", type=args_.seconds, default=None, metavar="S")
    p.add_argument("--gap", type=args_.relative_gap, default=None, metavar="G",
                   help="relative MIP gap to stop at, in [0, 1)")
    p.add_argument("--threads", type=args_.threads, default=None, metavar="N")
    p.add_argument("--seed", type=args_.seed, default=None, metavar="N")
    p.add_argument("--log", default=None, metavar="FILE", help="append the engine's log to FILE")
    p.add_argument("--json", default=None, metavar="PATH", help="write the result as JSON")
    p.add_argument("--plan", default=None, metavar="PATH", help="write the plan as CSV")
    p.add_argument("--start", choices=("none", "chord"), default="none",
                   help="MIP start: 'chord' finds a feasible plan first with the chord heuristic "
                        "(mmo_pyomo.mix.chord), for large cases where the engine finds none")
    p.add_argument("--start-plan", default=None, metavar="PATH",
                   help="MIP start from a plan CSV (columns activity,new_spend, as --plan writes it), e.g. last "
                        "cycle's plan or one improved before; it must pass the checker")
    p.add_argument("--start-solver", default=DEFAULT_SOLVER, metavar="NAME",
                   help="MILP engine of the chord heuristic (e.g. highs; default scip)")
    p.add_argument("--start-time-limit", type=args_.positive_seconds, default=60.0, metavar="S",
                   help="time limit of the chord MILP (default 60 s)")
    p.add_argument("--improve", action="store_true",
                   help="before the full solve, improve the start by neighbourhood search (mmo_pyomo.mix.improve): "
                        "local branching and fix-and-optimize over rule groups, each a sub-MIP with its own slice")
    p.add_argument("--improve-time-limit", type=args_.positive_seconds, default=300.0, metavar="S",
                   help="time for the improvement heuristic in all (default 300 s)")
    p.add_argument("--improve-slice", type=args_.positive_seconds, default=60.0, metavar="S",
                   help="time limit of each neighbourhood's sub-MIP (default 60 s)")
    p.add_argument("--nonconcave", choices=("pwl", "error"), default="pwl",
                   help="response curves that are not concave over the allowed spend: a piecewise-linear "
                        "surrogate with a stated error (pwl), or an error naming them (hull_oa)")
    p.add_argument("--breakpoints", type=args_.breakpoint_count, default=None, metavar="N",
                   help="segments per region of the piecewise-linear surrogate (default 16)")
    p.add_argument("--approximate", choices=("none", "quadratic"), default="none",
                   help="'quadratic': replace response curves by fitted concave quadratics, so that every "
                        "formulation takes them; the fit's error is reported")
    p.add_argument("--list-solvers", action="store_true", help="print the engine table and exit")


def run(args: argparse.Namespace) -> int:
    """Run ``mmo solve``."""
    if args.list_solvers:
        from mmo_pyomo.cli.engine_listing import solver_table
        print(solver_table())
        return 0
    args_.check_outputs(json=args.json, plan=args.plan, log=args.log, inputs=[args.data, args.start_plan])
    if (args.formulation == "all" or args.solver == "all") and (args.json or args.plan):
        raise MMOError("--json and --plan write one solve's result; --formulation all / --solver all compare many",
                       "choose one formulation and one solver to write a result, or drop --json/--plan")
    inst = load_instance(args.data)
    print(f"instance        {inst.name} ({inst.n} activities, {len(inst.rules)} rules, K = {inst.max_changes})"
          + ("" if inst.curves is None else ", response curves"))
    approximation = None
    improvement: dict | None = None
    if args.approximate == "quadratic" and inst.curves is None:
        raise MMOError("--approximate quadratic fits quadratics to response curves, and this instance has "
                       "quadratic revenues already", "drop --approximate")
    if args.approximate == "quadratic" and inst.curves is not None:
        from mmo_pyomo.curves.quadratic import fit_quadratics
        fit = fit_quadratics(inst)
        approximation = {"kind": "quadratic", "error_sum_k_largest": fit.error_k,
                         "errors": dict(zip(inst.activities, fit.errors.tolist()))}
        curves_instance, inst = inst, fit.instance
        print(f"approximation   concave quadratics; largest error {fit.errors.max():,.6g}, "
              f"sum of the K largest {fit.error_k:,.6g} (bounds the revenue error of any plan)")
    options = {"nonconcave": args.nonconcave, **({"breakpoints": args.breakpoints} if args.breakpoints else {})} \
        if inst.curves is not None and args.formulation == "hull_oa" else None
    start = None
    if args.start_plan is not None:
        if args.start == "chord":
            raise MMOError("--start chord and --start-plan both give a start", "choose one of them")
        start = _start_from_file(inst, args.start_plan)
    if args.start == "chord":
        from mmo_pyomo.mix.chord import chord_start
        plan = chord_start(inst, milp_solver=args.start_solver, time_limit=args.start_time_limit)
        start = plan.delta
        print(f"chord start     revenue {plan.revenue:,.2f} ({plan.n_changes} changes; chord MILP plan "
              f"{plan.chord_revenue:,.2f} in {plan.milp_time_s:.1f} s on {args.start_solver}, "
              f"polish {plan.polish_time_s:.1f} s)")
    if args.improve:
        if start is None:
            raise MMOError("--improve needs a start plan to improve", "add --start chord or --start-plan PATH")
        from mmo_pyomo.mix.improve import improve
        found = improve(inst, start, formulation="hull" if args.formulation == "all" else args.formulation,
                        solver=args.solver if args.solver != "all" else "scip", time_limit=args.improve_time_limit,
                        slice_s=args.improve_slice, threads=args.threads)
        start = found.delta
        improvement = {"start_revenue": found.start_revenue, "revenue": found.revenue, "time_s": found.time_s,
                       "slices": found.slices}
        print(f"improvement     revenue {found.revenue:,.2f} from {found.start_revenue:,.2f} in {found.time_s:.1f} s "
              f"({len(found.slices)} neighbourhoods)")
    if args.formulation == "all" or args.solver == "all":
        from mmo_pyomo.mix.compare import compare_table
        print(compare_table(inst, args.formulation, args.solver, time_limit=args.time_limit, mip_gap=args.gap,
                            threads=args.threads, seed=args.seed, start=start))
        return 0
    result = solve(inst, args.formulation, args.solver, time_limit=args.time_limit, mip_gap=args.gap,
                   threads=args.threads, seed=args.seed, log_file=args.log, start=start,
                   formulation_options=options)
    if approximation is not None:              # the certificate is about the user's curves, not the fit
        result = on_curves(result, curves_instance, fit.error_k, args.gap)
        inst = curves_instance
    print(summary(result, baseline_feasible=check_plan(inst, inst.baseline).feasible))
    if result.status != Status.UNRELIABLE:     # an unreliable certificate still has a checked plan: write it, then fail
        result.raise_for_status()
    with output_set():                  # both files, or neither: moved into place once both are written
        if args.json:
            extra = {"approximation": approximation} if approximation else {}
            if improvement:
                extra["improvement"] = improvement
            atomic_write_text(args.json, json.dumps({**result.to_dict(), "instance": inst.name, **extra}, indent=2,
                                                    allow_nan=False) + "\n")
        if args.plan and result.delta is not None:
            with atomic_path(args.plan) as tmp:
                plan_frame(inst, result.delta).to_csv(tmp, index=False)
    result.raise_for_status()
    return 0
