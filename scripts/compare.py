#!/usr/bin/env python
"""`mmo study` as a script (the tightness study): `python scripts/compare.py --help`."""
from _checkout import run

if __name__ == "__main__":
    run("study")
