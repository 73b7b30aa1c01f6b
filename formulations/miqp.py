"""The miqp formulation as a Pyomo abstract model (see formulations/README.md).

Usage: pyomo solve formulations/miqp.py data/example.dat --solver=scip_direct
"""
from mmo_pyomo.model_library.miqp import build_model

model = build_model()
