#!/usr/bin/env python
"""`mmo solve` as a script: `python scripts/solve.py --help`."""
from mmo_pyomo.cli import run_script

if __name__ == "__main__":
    run_script("solve")
