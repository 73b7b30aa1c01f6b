#!/usr/bin/env python
"""`mmo offers` as a script: `python scripts/offers.py --help`."""
from _checkout import run

if __name__ == "__main__":
    run("offers")
