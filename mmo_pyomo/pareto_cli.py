"""``scripts/pareto.py``: revenue against K, as CSV and PNG with the knee marked."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Sequence

from mmo_pyomo.cli import DEFAULT_DATA
from mmo_pyomo.data.load import load_instance
from mmo_pyomo.errors import MMOError
from mmo_pyomo.io_utils import atomic_path
from mmo_pyomo.pareto import pareto_curve, plot_pareto


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user errors print a message, not a traceback."""
    p = argparse.ArgumentParser(prog="pareto.py", description=__doc__)
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--formulation", default="misocp")
    p.add_argument("--solver", default="scip")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--time-limit", type=float, default=None, metavar="S", help="per step")
    p.add_argument("--out", required=True, metavar="DIR")
    args = p.parse_args(argv)
    try:
        inst = load_instance(args.data)
        frame = pareto_curve(inst, args.formulation, args.solver, args.steps, args.time_limit)
        out = Path(args.out)
        with atomic_path(out / "pareto.csv") as tmp:
            frame.to_csv(tmp, index=False)
        plot_pareto(frame, inst.n, out / "pareto.png", title=f"{inst.name}: revenue against K ({args.formulation})")
    except MMOError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    knee = frame[frame["knee"]].iloc[0]
    print(frame.to_string(index=False))
    print(f"knee: K = {int(knee['max_changes'])} ({100 * knee['max_changes'] / inst.n:.1f}% of n) gives "
          f"{knee['revenue_pct']:.3f}% of the maximum revenue ({knee['lift_pct']:.1f}% of the maximum lift)")
    return 0
