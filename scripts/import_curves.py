#!/usr/bin/env python
"""`mmo import-curves` as a script: `python scripts/import_curves.py --help`."""
import sys
from pathlib import Path

try:
    from mmo_pyomo.cli import run_script
except ModuleNotFoundError as exc:     # run from a checkout that was not pip-installed: use the checkout
    if exc.name != "mmo_pyomo":
        raise
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from mmo_pyomo.cli import run_script

if __name__ == "__main__":
    run_script("import-curves")
