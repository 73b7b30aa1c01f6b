"""The tightness study over instance files, formulations and engines (``mmo study``, ``scripts/compare.py``)."""
from __future__ import annotations

import argparse
import logging
from pathlib import Path

import pandas as pd

from mmo_pyomo.cli import args as args_
from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.io_utils import atomic_write_text, output_set
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.registry import get_engine
from mmo_pyomo.study.parallel import plan_workers, run_all, task_list
from mmo_pyomo.study.plots import gap_vs_time, performance_profile
from mmo_pyomo.study.report import report
from mmo_pyomo.study.runs import RunKey, RunSettings, display_names, instance_name, resolved, run_isolated
from mmo_pyomo.study.side_by_side import side_by_side
from mmo_pyomo.study.store import ResultStore

HELP = "the tightness study (results.csv, report, plots)"
log = logging.getLogger(__name__)


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo study``."""
    p.add_argument("--data", nargs="+", required=True, help=".dat files (or CSV folders)")
    p.add_argument("--formulations", nargs="+", default=["miqp", "misocp", "hull"], choices=list(FORMULATIONS))
    p.add_argument("--solvers", nargs="+", default=["scip"])
    p.add_argument("--time-limit", type=args_.positive_seconds, default=60.0, metavar="S")
    p.add_argument("--threads", type=args_.threads, default=1, help="solver threads per run")
    p.add_argument("--workers", type=args_.positive_int, default=None, help="local Dask workers (default: cores ÷ threads)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS", help="an existing Dask scheduler")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--retry-failed", action="store_true", help="run again the runs stored with status 'error'")
    p.add_argument("--gap", type=args_.relative_gap, default=None, metavar="G",
                   help="relative gap at which each run stops (default: the engine's; the paper's Table 2 used 1e-4)")
    p.add_argument("--start", choices=("none", "chord"), default="none",
                   help="MIP start of every run: 'chord' solves the chord heuristic first (its time is recorded apart)")
    p.add_argument("--start-solver", default="scip", metavar="NAME", help="MILP engine of the chord heuristic")
    p.add_argument("--start-time-limit", type=args_.positive_seconds, default=60.0, metavar="S")
    p.add_argument("--report-only", action="store_true",
                   help="run nothing: write the report and plots from the runs already in --out")
    p.add_argument("--against", default=None, metavar="DIR",
                   help="also write side_by_side.md: this study against the study in DIR (same instances, "
                        "another --gap or --start), run for run, next to the paper's Table 2")
    p.add_argument("--no-root-bound", action="store_true",
                   help="leave root_bound empty: the relaxations do not depend on --gap or --start, so one "
                        "study of the same instances measures them for all (the MISOCP's took 1–2 min at n = 1000)")
    p.add_argument("--root-solver", default="auto", metavar="NAME",
                   help="engine of the root bounds (default auto: Ipopt for the perspective where casadi is "
                        "installed, SCIP otherwise)")


def baseline_revenue_of(path: str) -> float:
    """Σ c_i: the revenue of keeping every spend (δ = 0), the base of the lift gaps."""
    return float(load_instance(path, check=False).const.sum())


def _same_settings(store: ResultStore, settings: RunSettings) -> None:
    """Refuse to mix runs made with another gap target or start in one results.csv."""
    frame = store.read()
    if frame.empty or "gap_target" not in frame:
        return
    gaps = {None if pd.isna(g) else float(g) for g in frame["gap_target"]}
    starts = {"none" if pd.isna(s) else str(s) for s in frame["start"]}
    if gaps != {settings.gap} or starts != {settings.start}:
        raise MMOError(f"{store.path} holds runs made with --gap {sorted(gaps, key=str)} and --start {sorted(starts)}, "
                       f"not --gap {settings.gap} and --start {settings.start}",
                       "use another --out for another setting (the report compares runs made alike)")


#: The report's files, per engine: (stem, extension).
REPORT_FILES = (("report", "md"), ("performance_profile", "png"), ("gap_vs_time", "png"))


def run(args: argparse.Namespace) -> int:
    """Run ``mmo study``."""
    out = Path(args.out)
    for path in args.data:
        if not Path(path).exists():
            raise MMOError(f"data file '{path}' does not exist", "pass existing .dat files to --data")
    suffixes = [""] if len(args.solvers) == 1 else [f"_{s}" for s in args.solvers]
    args_.check_outputs(results_csv=out / "results.csv", inputs=[*args.data, args.against],
                        report=[out / f"{stem}{suffix}.{ext}" for stem, ext in REPORT_FILES for suffix in suffixes])
    against = None
    if args.against is not None:
        against = ResultStore(Path(args.against) / "results.csv")
        if not against.path.is_file():
            raise MMOError(f"--against {args.against}: no results.csv there", "give the --out folder of another study")
        args_.check_outputs(side_by_side=out / "side_by_side.md", inputs=[*args.data, args.against])
    for name in [*args.solvers, *([args.start_solver] if args.start == "chord" else []),
                 *([args.root_solver] if args.root_solver != "auto" else [])]:
        get_engine(name)                    # an unknown engine is an error before any run, not a row per run
    paths = list(dict.fromkeys(resolved(p) for p in args.data))        # each file once, by resolved path
    names = display_names(paths)
    store = ResultStore(out / "results.csv")
    settings = RunSettings(args.gap, args.start, args.start_solver, args.start_time_limit,
                           root_bound=not args.no_root_bound)
    if not args.report_only:
        _same_settings(store, settings)
    tasks = task_list(paths, args.formulations, args.solvers)
    done = store.finished(retry_failed=args.retry_failed)
    pending = [t for t in tasks if RunKey(t[0], t[1], t[2]) not in done
               and RunKey(instance_name(t[0]), t[1], t[2]) not in done]   # rows written before paths were kept
    log.info("%d runs, %d already in %s, %d %s", len(tasks), len(tasks) - len(pending), store.path, len(pending),
             "not run (--report-only)" if args.report_only else "to go")
    if args.report_only:
        pending = []
    workers = plan_workers(args.workers, args.threads)
    runs = [(p, f, s, args.time_limit, args.threads, args.root_solver, names[p], settings) for p, f, s in pending]
    failures = 0 if not runs else run_all(runs, run_isolated, store.append, workers=workers,
                                          scheduler=args.scheduler, progress=not args.no_progress)
    frame = store.read()
    frame = frame[frame["path"].isin(paths) | frame["path"].isna()]   # this study's instances only
    baseline_revenue = {names[p]: baseline_revenue_of(p) for p in paths}
    with output_set():                 # the report and its plots together (results.csv grows run by run)
        for solver in args.solvers:
            suffix = "" if len(args.solvers) == 1 else f"_{solver}"
            atomic_write_text(out / f"report{suffix}.md", report(frame, solver, baseline_revenue))
            performance_profile(frame, out / f"performance_profile{suffix}.png", solver)
            gap_vs_time(frame, out / f"gap_vs_time{suffix}.png", solver)
        if against is not None:
            other = against.read()
            other = other[other["path"].isin(paths)]
            labels = (Path(args.against).name or "other", out.name or "this")
            atomic_write_text(out / "side_by_side.md",
                              side_by_side(other, frame, labels, baseline_revenue, args.solvers[0]))
    log.info("results: %s; report and plots in %s", store.path, out)
    if failures:
        log.error("%d runs crashed and were not stored: rerun the same command to retry them", failures)
        return 1
    return 0
