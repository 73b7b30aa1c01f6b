"""Offer optimization: generate a bank, solve a campaign (exact | cluster | greedy), sweep what-ifs."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from mmo_pyomo.cli import args as args_
from mmo_pyomo.errors import MMOError
from mmo_pyomo.io_utils import atomic_write_text, output_set

HELP = "offer optimization: generate | solve | sweep"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The sub-subcommands of ``mmo offers``."""
    sub = p.add_subparsers(dest="command", required=True)
    g = sub.add_parser("generate", help="write a bank like the paper's")
    g.add_argument("--customers", type=args_.positive_int, default=2_500_000)
    g.add_argument("--seed", type=args_.seed, default=1)
    g.add_argument("--out", required=True)
    g.add_argument("--csv", action="store_true", help="write scores.csv instead of parquet (small cases)")
    g.add_argument("--policies", action="store_true",
                   help="also write contact policies: policies.json, customers.parquet (households), history.parquet")
    s = sub.add_parser("solve", help="solve a campaign")
    s.add_argument("--data", required=True)
    s.add_argument("--method", choices=["exact", "cluster", "greedy"], default="exact")
    s.add_argument("--out", required=True)
    s.add_argument("--clusters", type=args_.positive_int, default=200, help="cluster method: number of clusters")
    s.add_argument("--lp-solver", default="highs", help="cluster method: LP engine of the registry")
    s.add_argument("--partition-size", type=args_.positive_int, default=250_000, help="exact: customers per partition")
    s.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="exact: a Dask scheduler; its workers read and keep their own customer ranges of the scores")
    s.add_argument("--gap", type=args_.relative_gap, default=1e-4, metavar="G",
                   help="exact: stop once the plan is certified within (bound − profit)/bound ≤ G (default 1e-4; "
                        "0 runs to convergence)")
    s.add_argument("--warm-start", choices=["none", "sample"], default="none",
                   help="exact: start the multipliers from the LP on a 1%% sample of customers (HiGHS; not with "
                        "--scheduler, whose workers hold the scores)")
    s.add_argument("--measure-read", action="store_true",
                   help="also time a bare pyarrow read of the scores (read_baseline_s in report.json), the floor the "
                        "load is measured against; it costs that read's time and memory")
    s.add_argument("--page", default=None, metavar="FILE.html",
                   help="also write the plan page (self-contained HTML; mmo page report.json draws it again)")
    s.add_argument("--time-limit", type=args_.positive_seconds, default=None, metavar="S",
                   help="exact: stop the dual after S seconds (the plan and bound of that moment are reported)")
    w = sub.add_parser("sweep", help="profit and marginal value against the budget or a capacity")
    w.add_argument("--data", required=True)
    w.add_argument("--budget", default=None, metavar="LO:HI:STEPS", help="e.g. 0.5M:2M:10")
    w.add_argument("--capacity", default=None, metavar="CHANNEL:LO:HI:STEPS", help="e.g. call_centre:100k:900k:9")
    w.add_argument("--out", required=True)
    w.add_argument("--json", default=None, metavar="PATH", help="also write the sweeps as JSON (for mmo page)")
    w.add_argument("--page", default=None, metavar="FILE.html", help="also write the sweeps' page (self-contained HTML)")


def _read_baseline_s(folder: str) -> float | None:
    """Seconds of a bare ``pyarrow.parquet.read_table`` of the scores: the floor any load is measured against."""
    import time
    from pathlib import Path
    path = Path(folder) / "scores.parquet"
    if not path.is_file():
        return None
    import pyarrow.parquet as pq
    t = time.perf_counter()
    try:
        table = pq.read_table(path)
    except Exception:          # the loader reports a bad file with a clear error
        return None
    elapsed = time.perf_counter() - t
    del table
    return elapsed


def run(args: argparse.Namespace) -> int:
    """Run ``mmo offers``."""
    import time
    started = time.perf_counter()                                    # the run's time is measured from here
    from mmo_pyomo.offers.problem import load_problem
    out = Path(args.out)                                             # every offers command writes into --out
    if args.command == "generate":
        from mmo_pyomo.offers.bank import campaign_files
        args_.check_outputs(out=[out / name for name in campaign_files(csv=args.csv, policies=args.policies)])
    elif args.command == "solve":
        from mmo_pyomo.offers.outputs import OUTPUT_FILES
        args_.check_outputs(out=[out / name for name in OUTPUT_FILES], page=args.page, inputs=[args.data])
    else:
        from mmo_pyomo.offers.sweep import sweep_files
        args_.check_outputs(out=[out / name for name in sweep_files(args.budget, args.capacity)], json=args.json,
                            page=args.page, inputs=[args.data])
    if args.command == "generate":
        from mmo_pyomo.offers.bank import example_policy, generate_problem, write_generated, write_problem
        if args.csv:
            prob = generate_problem(args.customers, args.seed)
            if args.policies:
                prob.policy = example_policy(prob, args.seed)
            write_problem(prob, args.out, csv=True)
            rows = int(prob.eligible.sum())
        else:                                       # chunk by chunk: a bank larger than memory can be written
            write_generated(args.customers, args.out, args.seed, policies=args.policies)
            import pyarrow.parquet as pq
            rows = pq.ParquetFile(out / "scores.parquet").metadata.num_rows
        print(f"wrote {args.out}: {args.customers:,} customers, {rows:,} score rows")
        return 0
    timings: dict[str, float | None] = {}
    if args.command == "solve" and args.measure_read and not args.scheduler:   # with a scheduler: never read here
        timings["read_baseline_s"] = _read_baseline_s(args.data)
    if args.command == "solve" and args.method == "exact" and args.scheduler:
        # the workers read the scores: this process never holds them until the final repair
        from mmo_pyomo.offers.exact import solve_exact
        t = time.perf_counter()
        result = solve_exact(args.data, executor="workers", scheduler=args.scheduler, partition_size=args.partition_size,
                             gap=args.gap or None, time_limit=args.time_limit, warm_start=args.warm_start)
        timings["time_load_s"], timings["time_solve_s"] = None, time.perf_counter() - t
        assert result.problem is not None
        return _print_report(args, _write(args, result.problem, result, timings, started))
    t = time.perf_counter()
    prob = load_problem(args.data)
    timings["time_load_s"] = time.perf_counter() - t
    if args.command == "solve":
        t = time.perf_counter()
        if args.method == "exact":
            from mmo_pyomo.offers.exact import solve_exact
            result = solve_exact(prob, partition_size=args.partition_size, gap=args.gap or None,
                                 time_limit=args.time_limit, warm_start=args.warm_start)
        elif args.method == "cluster":
            from mmo_pyomo.offers.cluster import solve_cluster
            result = solve_cluster(prob, args.clusters, args.lp_solver)
        else:
            from mmo_pyomo.offers.greedy import solve_greedy
            result = solve_greedy(prob)
        timings["time_solve_s"] = time.perf_counter() - t
        return _print_report(args, _write(args, prob, result, timings, started))
    from mmo_pyomo.offers.sweep import channel_position, parse_range, sweep, sweep_record, write_sweep
    if not (args.budget or args.capacity):
        raise MMOError("nothing to sweep", "give --budget LO:HI:STEPS or --capacity CHANNEL:LO:HI:STEPS")
    # every range is read and checked before the first solve, and both sweeps' files are written
    # only after both have run
    jobs = []
    if args.budget:
        jobs.append(("budget", parse_range(args.budget), None, "sweep_budget"))
    if args.capacity:
        channel, _, spec = args.capacity.partition(":")
        channel_position(prob, channel)
        jobs.append(("capacity", parse_range(spec), channel, f"sweep_capacity_{channel}"))
    frames = [(sweep(prob, what, values, channel=channel), stem) for what, values, channel, stem in jobs]
    with output_set():
        for frame, stem in frames:
            write_sweep(frame, args.out, stem)
        record = sweep_record(args.data, [frame for frame, _ in frames])
        if args.json:
            atomic_write_text(args.json, json.dumps(record, indent=2, allow_nan=False) + "\n")
        if args.page:
            from mmo_pyomo.page import write_page
            write_page(record, args.page, source=Path(args.data).name)
    for frame, _ in frames:
        print(frame.to_string(index=False))
    return 0


def _write(args: argparse.Namespace, prob, result, timings: dict, started: float) -> dict:
    """The campaign's outputs and, with --page, its page: all of them or none (``started``: the command's start)."""
    from mmo_pyomo.offers.outputs import write_outputs
    with output_set():
        report = write_outputs(prob, result, args.out, timings, started)
        if args.page:
            from mmo_pyomo.page import write_page
            write_page(report, args.page, source=Path(args.data).name)
    return report


def _print_report(args: argparse.Namespace, report: dict) -> int:
    """The solve's summary and constraint report on the terminal."""
    gap = "n/a" if report["bound_gap"] is None else f"{100 * report['bound_gap']:.4f}%"
    roi = "n/a: no contact" if report["roi"] is None else f"{report['roi']:.1%}"
    algorithm = report.get("algorithm")
    how = f"{args.method} ({algorithm})" if algorithm and algorithm != args.method else args.method
    print(f"{how}: profit ${report['profit']:,.2f} on ${report['cost']:,.2f} (ROI {roi}), "
          f"bound {'n/a' if report['bound'] is None else format(report['bound'], ',.2f')}, "
          f"gap (bound − profit)/bound {gap}, "
          f"{report['time_s']:.1f} s in all, peak memory {report['peak_memory_mb']:,.0f} MB")
    def sec(key: str) -> str:
        return "-" if report.get(key) is None else f"{report[key]:.2f} s"
    evaluations = "" if report.get("evaluations") is None else \
        f"; {report['evaluations']} evaluations of {report['oracle_pass_s']:.3f} s (median)"
    bare = f" (a bare read of the scores: {sec('read_baseline_s')})" if report.get("read_baseline_s") else ""
    dual = report["info"].get("dual_s")
    method = f" (the {args.method} method {sec('time_method_s')}" + ("" if dual is None else f", its dual {dual:.2f} s") + ")"
    print(f"  load {sec('time_load_s')}{bare}, "
          f"solve {sec('time_solve_s')}{method}, write {sec('time_write_s')}{evaluations}")
    for row in report["constraints"]:
        mv = "-" if row["marginal_value"] is None else f"{row['marginal_value']:.4f}"
        print(f"  {row['name']:<28} level {row['level']:>14,.2f}  bound {row['bound']:>14,.2f}  "
              f"slack {row['slack']:>14,.2f}  marginal {mv}")
    for row in report.get("policies", []):
        limit = "" if row["limit"] is None else f" = {row['limit']:g}"
        print(f"  policy {row['name']}{limit}: bound {row['bound']:,} ({row['what']})")
    return 0
