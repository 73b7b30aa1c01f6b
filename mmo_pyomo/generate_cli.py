"""``scripts/generate.py``: instances of the paper's §4.1 design (one, or the whole grid)."""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path
from typing import Sequence

from mmo_pyomo.data.dat import write_dat
from mmo_pyomo.errors import MMOError
from mmo_pyomo.generator import CORRELATIONS, example_instance, paper_instance, retail_instance

GRID_N = (500, 750, 1000)
GRID_MIN_CHANGE = (0.05, 0.10, 0.20)
GRID_MAX_CHANGES = (0.50, 0.75, 1.00)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="generate.py", description=__doc__)
    p.add_argument("--n", type=int, default=500)
    p.add_argument("--correlation", choices=CORRELATIONS, default="uncorrelated")
    p.add_argument("--min-change", type=float, default=0.10, help="δ: minimum change as a fraction of baseline")
    p.add_argument("--max-changes", type=float, default=0.50, help="κ: K as a fraction of n")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="output .dat file")
    p.add_argument("--grid", default=None, metavar="DIR", help="write the whole §4.1 design into DIR")
    p.add_argument("--per-cell", type=int, default=1, help="seeds per grid cell (the paper used 35)")
    p.add_argument("--example", action="store_true", help="write the example instance (data/example.dat)")
    p.add_argument("--retail", action="store_true", help="write the §4.3-like retail case (3,000 activities)")
    return p


def run(args: argparse.Namespace) -> int:
    if args.grid:
        out = Path(args.grid)
        count = 0
        for corr, n, d, k in itertools.product(CORRELATIONS, GRID_N, GRID_MIN_CHANGE, GRID_MAX_CHANGES):
            for seed in range(1, args.per_cell + 1):
                inst = paper_instance(n, corr, d, k, seed)
                write_dat(inst, out / f"{inst.name}.dat")
                count += 1
        print(f"wrote {count} instances to {out}")
        return 0
    if not args.out:
        raise MMOError("no output given", "pass --out FILE.dat (or --grid DIR)")
    if args.example:
        inst = example_instance()
    elif args.retail:
        inst = retail_instance(seed=args.seed)
    else:
        inst = paper_instance(args.n, args.correlation, args.min_change, args.max_changes, args.seed)
    write_dat(inst, args.out)
    print(f"wrote {inst.name}: {inst.n} activities, {len(inst.rules)} rules, K = {inst.max_changes} -> {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; user errors print a message, not a traceback."""
    try:
        return run(build_parser().parse_args(argv))
    except MMOError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
