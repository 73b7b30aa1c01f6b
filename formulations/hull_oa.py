"""The hull, outer-approximated by tangent cuts: a MILP (see formulations/README.md).

Usage: pyomo solve formulations/hull_oa.py data/example.dat --solver=scip_direct
(one solve of the initial cuts; `mmo solve --formulation hull_oa` also refines them).
"""
from mmo_pyomo.model_library.hull_oa import build_model

model = build_model()
