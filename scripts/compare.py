#!/usr/bin/env python
"""`mmo study` as a script (the tightness study): `python scripts/compare.py --help`."""
from mmo_pyomo.cli import run_script

if __name__ == "__main__":
    run_script("study")
