#!/usr/bin/env python
"""The tightness study: ``python scripts/compare.py --data X.dat ... --out DIR``."""
import sys
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

from mmo_pyomo.study.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
