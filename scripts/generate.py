#!/usr/bin/env python
"""Generate instances of the paper's §4.1 design: ``python scripts/generate.py --n 500 --out x.dat``."""
import sys

from mmo_pyomo.generate_cli import main

if __name__ == "__main__":
    sys.exit(main())
