#!/usr/bin/env python
"""`mmo pareto` as a script: `python scripts/pareto.py --help`."""
from _checkout import run

if __name__ == "__main__":
    run("pareto")
