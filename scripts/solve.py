#!/usr/bin/env python
"""Solve a marketing mix instance: ``python scripts/solve.py --formulation misocp``."""
import sys

from mmo_pyomo.cli import main

if __name__ == "__main__":
    sys.exit(main())
