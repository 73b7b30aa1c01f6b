"""The worked one-activity example of formulations/README.md, checked number by number."""
from __future__ import annotations

import numpy as np
import pytest

from mmo_pyomo.formulations import FORMULATIONS
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.relaxation import root_bound
from mmo_pyomo.runner import solve

ONE = Instance(activities=("tv",), baseline=np.array([10.0]), lower=np.array([4.0]), upper=np.array([16.0]),
               min_change=np.array([2.0]), quad=np.array([-0.5]), lin=np.array([1.5]), const=np.array([20.0]),
               budget_upper=1.6, max_changes=1, name="one_activity")


@pytest.mark.parametrize("formulation", list(FORMULATIONS))
def test_integer_optimum_is_21(formulation):
    r = solve(ONE, formulation)
    assert r.objective == pytest.approx(21.0, abs=1e-6)
    assert r.plan["tv"] == pytest.approx(12.0, abs=1e-6)


@pytest.mark.parametrize("formulation,bound", [("minlp", 21.125), ("miqp", 21.125), ("perspective", 21.125),
                                               ("misocp", 21.125), ("hull", 21.0)])
def test_root_bounds_with_both_regions(formulation, bound):
    assert root_bound(ONE, formulation) == pytest.approx(bound, abs=1e-5)


@pytest.mark.parametrize("formulation,bound", [("minlp", 21.125), ("miqp", 21.125), ("perspective", 21.0),
                                               ("misocp", 21.0), ("hull", 21.0)])
def test_root_bounds_without_the_decrease_region(formulation, bound):
    only_up = ONE.with_changes(lower=np.array([10.0]))
    assert root_bound(only_up, formulation) == pytest.approx(bound, abs=1e-5)
