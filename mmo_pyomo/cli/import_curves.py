"""Response curves from a media-mix model, written as an instance folder that `mmo solve` reads."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from mmo_pyomo.cli import args as args_
from mmo_pyomo.errors import MMOError

HELP = "import response curves from PyMC-Marketing, Meridian, Robyn or a table (an instance folder)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo import-curves``."""
    p.add_argument("--from", dest="source", required=True, choices=("pymc-marketing", "meridian", "robyn", "table"))
    p.add_argument("--input", required=True, metavar="PATH",
                   help="pymc-marketing: a saved model (.nc, needs the [pymc] extra) or an export (.json); "
                        "meridian: an export (.json) of mmo_pyomo.curves.importers.export_meridian; "
                        "robyn: the output folder; table: a CSV activity,spend,response")
    p.add_argument("--solution", default=None, metavar="SOLID", help="robyn: the solution id")
    p.add_argument("--baseline", default=None, metavar="CSV",
                   help="table: a CSV activity,baseline (spend per period)")
    p.add_argument("--lower", type=args_.non_negative_float, default=0.5, metavar="F",
                   help="lowest spend, as a multiple of the baseline (default 0.5)")
    p.add_argument("--upper", type=args_.non_negative_float, default=2.0, metavar="F",
                   help="highest spend, as a multiple of the baseline (default 2)")
    p.add_argument("--min-change", type=args_.fraction, default=0.0, metavar="F",
                   help="minimum change, as a fraction of the baseline (default 0: none)")
    p.add_argument("--max-changes", type=args_.non_negative_int, default=None, metavar="K",
                   help="at most K activities change (default: all may)")
    p.add_argument("--budget", type=args_.non_negative_float, default=1.0, metavar="F",
                   help="total spend at most F × the baseline total (default 1)")
    p.add_argument("--draws", type=args_.positive_int, default=None, metavar="N",
                   help="keep N of the posterior draws, evenly spaced (default: all), in curve_draws.csv "
                        "(pymc-marketing) or curve_draw_points.csv (meridian, from export_meridian(mmm, draws=True)), "
                        "for --risk cvar:ALPHA")
    p.add_argument("--periods", type=args_.positive_int, default=None, metavar="T",
                   help="pymc-marketing: a plan over T periods with the model's geometric adstock (periods.csv; the "
                        "budget then bounds the whole horizon, as a fraction of T periods' baseline)")
    p.add_argument("--out", required=True, metavar="DIR")


def run(args: argparse.Namespace) -> int:
    """Run ``mmo import-curves``."""
    from mmo_pyomo.curves import importers
    from mmo_pyomo.instance.csv_folder import CSV_FILES, write_csv_dir
    args_.check_outputs(out=[Path(args.out) / name for name in CSV_FILES], inputs=[args.input, args.baseline])
    if args.lower > 1 or args.upper < 1:
        raise MMOError(f"--lower {args.lower} and --upper {args.upper} must bracket the baseline (lower ≤ 1 ≤ upper)",
                       "pass multiples of the baseline, e.g. --lower 0.5 --upper 2")
    rules = importers.PlanningRules(lower=args.lower, upper=args.upper, min_change=args.min_change,  # K counts cells
                                    max_changes=None if args.periods else args.max_changes,          # with --periods
                                    budget_upper=args.budget)
    if args.source == "pymc-marketing":
        inst = importers.from_pymc_marketing(args.input, rules)
    elif args.source == "meridian":
        inst = importers.from_meridian(args.input, rules)
    elif args.source == "robyn":
        if not args.solution:
            raise MMOError("--from robyn needs --solution SOLID", "pass the solID of the model to re-plan")
        from mmo_pyomo.curves.robyn import from_robyn
        inst = from_robyn(args.input, args.solution, rules)
    else:
        if not args.baseline:
            raise MMOError("--from table needs --baseline CSV (activity,baseline)", "give each activity's spend per period")
        inst = importers.from_table(args.input, importers.read_baselines(args.baseline), rules,
                                    baseline_source=f"--baseline '{args.baseline}'")
    if args.draws is not None:
        if inst.curves is None or not inst.curves.drawn:
            raise MMOError(f"--draws keeps posterior draws, and the {args.source} import has none (its export holds "
                           "mean response curves)", "drop --draws, import a PyMC-Marketing model, or export the "
                           "Meridian model with export_meridian(mmm, draws=True)")
        from mmo_pyomo.curves.curve_files import with_curves
        inst = with_curves(inst, inst.curves.with_draws(args.draws))
    extra = None
    if args.periods is not None:
        if args.source != "pymc-marketing":
            raise MMOError(f"--periods reads the adstock of a PyMC-Marketing model, and the {args.source} import has none",
                           "drop --periods, or import a PyMC-Marketing model")
        extra = importers.pymc_time_phased(importers.pymc_export_of(args.input), inst, args.periods, args.max_changes)
    write_csv_dir(inst, args.out, extra)
    families = sorted(set(inst.curves.family)) if inst.curves is not None else []
    print(json.dumps({"out": str(args.out), "activities": inst.n, "families": families,
                      "baseline_revenue": float(inst.const.sum())}))
    return 0
