"""mmo-pyomo: marketing mix optimization with practical constraints, on Pyomo.

The public API::

    from mmo_pyomo import load_instance, solve, check_plan
"""
from mmo_pyomo.checker import PlanCheck, check_plan
from mmo_pyomo.errors import MMOError
from mmo_pyomo.formulations import FORMULATIONS, build_model
from mmo_pyomo.instance import Instance, load_instance, read_dat, write_dat
from mmo_pyomo.runner import Result, solve

__version__ = "0.1.0"

__all__ = ["Instance", "load_instance", "read_dat", "write_dat", "solve", "Result", "check_plan", "PlanCheck",
           "FORMULATIONS", "build_model", "MMOError", "__version__"]
