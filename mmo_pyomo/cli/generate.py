"""Write instances of the paper's §4.1 design (one, or the whole grid), the example or the retail case."""
from __future__ import annotations

import argparse
from pathlib import Path

from mmo_pyomo.cli import args as args_
from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.dat import check_dat_output, write_dat
from mmo_pyomo.mix.instances import CORRELATIONS, example_instance, grid_instances, paper_instance, retail_instance

HELP = "write generated instances (.dat)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo generate``."""
    p.add_argument("--n", type=args_.positive_int, default=500)
    p.add_argument("--correlation", choices=CORRELATIONS, default="uncorrelated")
    p.add_argument("--min-change", type=args_.fraction, default=0.10, help="δ: minimum change as a fraction of baseline")
    p.add_argument("--max-changes", type=args_.fraction, default=0.50, help="κ: K as a fraction of n")
    p.add_argument("--seed", type=args_.seed, default=1)
    p.add_argument("--out", default=None, help="output .dat file")
    p.add_argument("--grid", default=None, metavar="DIR", help="write the whole §4.1 design into DIR")
    p.add_argument("--per-cell", type=args_.positive_int, default=1, help="seeds per grid cell (the paper used 35)")
    p.add_argument("--example", action="store_true", help="write the example instance (the shipped example.dat)")
    p.add_argument("--retail", action="store_true", help="write the §4.3-like retail case (3,000 activities)")
    p.add_argument("--baseline", choices=("planned", "random"), default="planned",
                   help="retail: the baseline is the planning model's optimum (planned) or the drawn spends (random)")


def run(args: argparse.Namespace) -> int:
    """Run ``mmo generate``."""
    if args.grid:
        args_.check_outputs(grid=str(Path(args.grid) / "x.dat"))
    elif args.out:
        args_.check_outputs(out=args.out)
        check_dat_output(args.out)                      # before the work: a name that `mmo solve` reads
    if args.grid:
        out = Path(args.grid)
        count = 0
        for inst in grid_instances(args.per_cell):
            write_dat(inst, out / f"{inst.name}.dat")
            count += 1
        print(f"wrote {count} instances to {out}")
        return 0
    if not args.out:
        raise MMOError("no output given", "pass --out FILE.dat (or --grid DIR)")
    if args.example:
        inst = example_instance()
    elif args.retail:
        inst = retail_instance(seed=args.seed, baseline=args.baseline)
    else:
        inst = paper_instance(args.n, args.correlation, args.min_change, args.max_changes, args.seed)
    write_dat(inst, args.out)
    print(f"wrote {inst.name}: {inst.n} activities, {len(inst.rules)} rules, K = {inst.max_changes} -> {args.out}")
    return 0
