#!/usr/bin/env python
"""`mmo solve` as a script: `python scripts/solve.py --help`."""
from _checkout import run

if __name__ == "__main__":
    run("solve")
