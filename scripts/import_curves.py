#!/usr/bin/env python
"""`mmo import-curves` as a script: `python scripts/import_curves.py --help`."""
from _checkout import run

if __name__ == "__main__":
    run("import-curves")
