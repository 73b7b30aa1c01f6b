#!/usr/bin/env python
"""`mmo generate` as a script: `python scripts/generate.py --help`."""
from _checkout import run

if __name__ == "__main__":
    run("generate")
