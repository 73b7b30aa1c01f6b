"""Revenue against the maximum number of changes K, as CSV and PNG with the knee marked."""
from __future__ import annotations

import argparse
from pathlib import Path

from mmo_pyomo.cli import args as args_
from mmo_pyomo.data import EXAMPLE_DAT
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.io_utils import atomic_path, output_set
from mmo_pyomo.mix.pareto_curve import pareto_curve, plot_pareto

HELP = "revenue against K (CSV and PNG)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo pareto``."""
    p.add_argument("--data", default=str(EXAMPLE_DAT), help=".dat file or CSV folder (default: the shipped example)")
    p.add_argument("--formulation", default="misocp")
    p.add_argument("--solver", default="scip")
    p.add_argument("--steps", type=args_.positive_int, default=20)
    p.add_argument("--time-limit", type=args_.seconds, default=None, metavar="S", help="per step")
    p.add_argument("--out", required=True, metavar="DIR")


def run(args: argparse.Namespace) -> int:
    """Run ``mmo pareto``."""
    args_.check_outputs(out=[Path(args.out) / "pareto.csv", Path(args.out) / "pareto.png"], inputs=[args.data])
    inst = load_instance(args.data)
    frame = pareto_curve(inst, args.formulation, args.solver, args.steps, args.time_limit)
    out = Path(args.out)
    with output_set():                 # the CSV and the PNG together, or neither
        with atomic_path(out / "pareto.csv") as tmp:
            frame.to_csv(tmp, index=False)
        plot_pareto(frame, inst.n, out / "pareto.png", title=f"{inst.name}: revenue against K ({args.formulation})")
    knee = frame[frame["knee"]].iloc[0]
    print(frame.to_string(index=False, na_rep="-"))
    print(f"knee: K = {int(knee['max_changes'])} ({100 * knee['max_changes'] / inst.n:.1f}% of n) gives "
          f"{knee['revenue_pct']:.3f}% of the maximum revenue ({knee['lift_pct']:.1f}% of the maximum lift)")
    return 0
