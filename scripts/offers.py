#!/usr/bin/env python
"""Offer optimization: ``python scripts/offers.py generate|solve|sweep ...``."""
import sys

from mmo_pyomo.offers.cli import main

if __name__ == "__main__":
    sys.exit(main())
