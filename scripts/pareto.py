#!/usr/bin/env python
"""Revenue against K: ``python scripts/pareto.py --data X.dat --formulation misocp --steps 20 --out DIR``."""
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

from mmo_pyomo.pareto_cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
