"""Response curves of media-mix models (Hill, Michaelis–Menten, logistic, tables) as MMO revenues."""
from mmo_pyomo.curves.families import FAMILIES, ResponseCurves

__all__ = ["FAMILIES", "ResponseCurves"]
