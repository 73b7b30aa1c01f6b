"""Draw the plan page again from a saved result (``mmo page RESULT.json``)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from mmo_pyomo.cli import args as args_
from mmo_pyomo.errors import MMOError

HELP = "draw the plan page (one self-contained HTML file) from a result saved with --json"


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``mmo page``."""
    p.add_argument("result", metavar="RESULT.json",
                   help="a result of mmo solve --json, mmo pareto --json, mmo offers sweep --json, or an offers "
                        "report.json")
    p.add_argument("--out", default=None, metavar="FILE.html", help="the page (default: RESULT.html beside the result)")


def read_result(path: str | Path) -> dict:
    """The result record in ``path``, or an error naming what is wrong with the file."""
    path = Path(path)
    if not path.is_file():
        raise MMOError(f"result file '{path}' does not exist", "give a file written with --json (or report.json)")
    try:
        record = json.loads(path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MMOError(f"'{path}' is not a JSON result ({exc})", "give a file written with --json (or report.json)") \
            from None
    except RecursionError:
        raise MMOError(f"'{path}' nests its JSON deeper than any result does", "give a file written with --json "
                       "(or report.json)") from None
    if not isinstance(record, dict):
        raise MMOError(f"'{path}' holds a JSON {type(record).__name__}, not a result", "give a file written with --json")
    if "kind" not in record and "constraints" in record and "method" in record:
        record["kind"] = "offers"                 # report.json written before results carried their kind
    return record


def run(args: argparse.Namespace) -> int:
    """Run ``mmo page``."""
    out = Path(args.out) if args.out else Path(args.result).with_suffix(".html")
    args_.check_outputs(out=out, inputs=[args.result])
    record = read_result(args.result)
    from mmo_pyomo.page import write_page
    write_page(record, out, source=Path(args.result).name)
    print(f"page            {out}")
    return 0
