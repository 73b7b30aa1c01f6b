"""The misocp formulation as a Pyomo abstract model (see formulations/README.md).

Usage: pyomo solve formulations/misocp.py data/example.dat --solver=scip_direct
"""
from mmo_pyomo.model_library.misocp import build_model

model = build_model()
