"""mmo-pyomo: marketing mix optimization with practical constraints, on Pyomo."""
__version__ = "0.1.0"
