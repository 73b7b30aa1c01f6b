"""Revenue against the maximum number of changes K, as CSV and PNG with the knee marked."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from mmo_pyomo.cli import args as args_
from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.io_utils import atomic_path, atomic_write_text, output_set
from mmo_pyomo.mix.pareto_curve import pareto_curve, pareto_record, plot_pareto

HELP = "revenue against K (CSV and PNG)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo pareto``."""
    p.add_argument("--data", default=str(EXAMPLE_DAT), help=".dat file or CSV folder (default: the shipped example)")
    p.add_argument("--formulation", default="misocp")
    p.add_argument("--solver", default="scip")
    p.add_argument("--steps", type=args_.positive_int, default=20)
    p.add_argument("--time-limit", type=args_.positive_seconds, default=None, metavar="S", help="per step (> 0)")
    p.add_argument("--k", type=args_.non_negative_int, nargs="+", default=None, metavar="K",
                   help="solve these values of K instead of --steps equal steps from 0 to n")
    p.add_argument("--gap", type=args_.relative_gap, default=None, metavar="G",
                   help="each point's relative gap target (default: the engine's; 1e-4 with --concurrent)")
    p.add_argument("--concurrent", action="store_true",
                   help="certify each point by the concurrent solve (both cores: --formulation on --solver as the "
                        "bound side, e.g. hull_oa on highs, beside the improvement), stopping at --gap")
    p.add_argument("--out", required=True, metavar="DIR")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the curve as JSON (for mmo page)")
    p.add_argument("--page", default=None, metavar="FILE.html", help="also write the curve's page (self-contained HTML)")


def run(args: argparse.Namespace) -> int:
    """Run ``mmo pareto``."""
    args_.check_outputs(out=[Path(args.out) / "pareto.csv", Path(args.out) / "pareto.png"], json=args.json,
                        page=args.page, inputs=[args.data])
    inst = load_instance(args.data)
    frame = pareto_curve(inst, args.formulation, args.solver, args.steps, args.time_limit, gap=args.gap,
                         concurrent=args.concurrent, ks=args.k)
    out = Path(args.out)
    with output_set():                 # every file together, or none
        with atomic_path(out / "pareto.csv") as tmp:
            frame.to_csv(tmp, index=False)
        plot_pareto(frame, inst.n, out / "pareto.png", title=f"{inst.name}: revenue against K ({args.formulation})")
        record = pareto_record(frame, inst, args.formulation, args.solver)
        if args.json:
            atomic_write_text(args.json, json.dumps(record, indent=2, allow_nan=False) + "\n")
        if args.page:
            from mmo_pyomo.page import write_page
            write_page(record, args.page, source=Path(args.data).name)
    knee = frame[frame["knee"]].iloc[0]
    print(frame.to_string(index=False, na_rep="-"))
    print(f"knee: K = {int(knee['max_changes'])} ({100 * knee['max_changes'] / inst.n:.1f}% of n) gives "
          f"{knee['revenue_pct']:.3f}% of the maximum revenue ({knee['lift_pct']:.1f}% of the maximum lift)")
    return 0
