#!/usr/bin/env python
"""`mmo offers` as a script: `python scripts/offers.py --help`."""
from mmo_pyomo.cli import run_script

if __name__ == "__main__":
    run_script("offers")
