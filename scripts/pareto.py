#!/usr/bin/env python
"""`mmo pareto` as a script: `python scripts/pareto.py --help`."""
from mmo_pyomo.cli import run_script

if __name__ == "__main__":
    run_script("pareto")
