"""The minlp formulation as a Pyomo abstract model (see formulations/README.md).

Usage: pyomo solve formulations/minlp.py data/example.dat --solver=scip_direct
"""
from mmo_pyomo.model_library.minlp import build_model

model = build_model()
