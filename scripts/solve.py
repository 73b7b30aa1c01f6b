#!/usr/bin/env python
"""Solve a marketing mix instance: ``python scripts/solve.py --formulation misocp``."""
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)  # engines' notices at import time

from mmo_pyomo.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
