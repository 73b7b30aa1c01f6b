#!/usr/bin/env python
"""`mmo generate` as a script: `python scripts/generate.py --help`."""
from mmo_pyomo.cli import run_script

if __name__ == "__main__":
    run_script("generate")
