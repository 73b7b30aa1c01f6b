"""One model run: a formulation's model of an instance, built once for one engine, then given starts,
solved, and its plan read back and checked. Every solve of an MMO model goes through it: the runner,
its outer-approximation rounds, the improvement's neighbourhoods, the relaxations, the chord start and
its polish, the direct curve model and the retail planning model.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping, Set
from typing import Any

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.errors import MMOError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.mix.checker import PlanCheck, check_plan
from mmo_pyomo.mix.concrete import create_model, plan_of, set_start
from mmo_pyomo.model_library import Formulation
from mmo_pyomo.solvers.capabilities import Capability
from mmo_pyomo.solvers.engines import Engine
from mmo_pyomo.solvers.options import DEFAULTS, SolveOptions
from mmo_pyomo.solvers.registry import ensure_installed, handover
from mmo_pyomo.solvers.solve_model import model_size, solve_model
from mmo_pyomo.solvers.stats import SolveStats

#: A replacement objective: given the model and the instance, the expression to maximize.
ObjectiveRule = Callable[[pyo.ConcreteModel, Instance], Any]


class ModelRun:
    """``formulation``'s model of ``inst`` for ``engine``.

    * ``relaxed``: every integer variable relaxed to its bounds (the continuous relaxation);
    * ``objective``: an expression to maximize instead of the revenue (the chord MILP's), with the
      capabilities it needs (``needs``, default the formulation's);
    * ``build_options``: the formulation's own options (hull_oa's ``tangents``, say);
    * ``validate``: check the instance first (a no-op for one already checked).
    """

    def __init__(self, inst: Instance, formulation: Formulation, engine: Engine, *, relaxed: bool = False,
                 objective: ObjectiveRule | None = None, needs: Set[Capability] | None = None,
                 build_options: Mapping[str, Any] | None = None, validate: bool = True) -> None:
        self.inst, self.formulation, self.engine = inst, formulation, engine
        base = frozenset(needs) if needs is not None else formulation.needs
        self.needs = formulation.relaxation_needs if relaxed and needs is None else base
        self.what = f"the {formulation.name} {'relaxation' if relaxed else 'formulation'}"
        self.how = handover(engine, self.needs, self.what)     # before the model is built: fail early, once
        ensure_installed(engine)
        self.model = create_model(inst, formulation, validate_instance=validate, **dict(build_options or {}))
        if objective is not None:
            for active in self.model.component_objects(pyo.Objective, active=True):   # the revenue, or a target's
                active.deactivate()
            self.model.replacement_objective = pyo.Objective(sense=pyo.maximize, expr=objective(self.model, inst))
        if relaxed:
            pyo.TransformationFactory("core.relax_integer_vars").apply_to(self.model)
        self.relaxed = relaxed
        self.size = model_size(self.model)
        self._fixed_away: set[int] = set()         # ids of indicators fixed to 0 by a bound (fix_away)

    # ------------------------------------------------------------------ starts and fixings
    def start(self, delta: np.ndarray) -> None:
        """Give every variable the value it takes in the plan ``delta`` (a MIP start)."""
        set_start(self.model, self.formulation, self.inst, delta)

    def region_indicators(self) -> tuple[Any, Any, Any]:
        """The indicator variables z⁻, z⁰, z⁺ (indexed by activity), or the project's error for a formulation
        without regions."""
        names = self.formulation.regions
        if names is None:
            raise MMOError(f"the {self.formulation.name} formulation has no region indicators",
                           f"use one of {', '.join(region_formulations())}")
        return tuple(self.model.component(n) for n in names)

    def fix_regions(self, delta: np.ndarray, activities: np.ndarray | None = None) -> list[Any]:
        """Fix the region of each activity (all, or those of ``activities``) to the one ``delta`` takes;
        returns the variables fixed, for :meth:`unfix`."""
        indicators = self.region_indicators()
        region = np.where(delta < 0, 0, np.where(delta > 0, 2, 1))
        fixed = []
        for k in (range(self.inst.n) if activities is None else activities):
            a = self.inst.activities[int(k)]
            for j, var in enumerate(indicators):
                var[a].fix(1 if region[k] == j else 0)
                fixed.append(var[a])
        return fixed

    def fix_away(self, mask: np.ndarray) -> int:
        """Fix to 0 the indicator of every (activity, region) where ``mask`` (n × 3: decrease, keep, increase)
        is True, for good: :meth:`unfix` leaves them fixed (a bound proved no better plan takes them;
        :mod:`mmo_pyomo.mix.lagrangian`). Returns how many indicators it fixed."""
        mask = np.asarray(mask, bool)
        if mask.shape != (self.inst.n, 3):
            raise MMOError(f"the regions to fix away have shape {mask.shape}, not ({self.inst.n}, 3)",
                           "give one row per activity: decrease, keep, increase")
        if self.formulation.regions is None:
            return self._fix_away_by_bounds(mask)
        count = 0
        for j, var in enumerate(self.region_indicators()):
            for k in np.flatnonzero(mask[:, j]):
                a = self.inst.activities[int(k)]
                if a in var:
                    var[a].fix(0)
                    self._fixed_away.add(id(var[a]))
                    count += 1
        return count

    def _fix_away_by_bounds(self, mask: np.ndarray) -> int:
        """:meth:`fix_away` for a formulation without region indicators (the MINLP): a decrease ruled out is the spend
        change's lower bound at 0, an increase ruled out its upper bound at 0, and no change ruled out the change
        indicator fixed to 1. Returns how many regions it ruled out."""
        m = self.model
        count = 0
        for k, a in enumerate(self.inst.activities):
            dec, keep, inc = (bool(v) for v in mask[k])
            d = m.d[a]
            if dec:
                d.setlb(0.0 if d.lb is None else max(d.lb, 0.0))
            if inc:
                d.setub(0.0 if d.ub is None else min(d.ub, 0.0))
            if keep:
                m.z[a].fix(1)
                self._fixed_away.add(id(m.z[a]))
            count += dec + keep + inc
        return count

    def unfix(self, variables: list[Any]) -> None:
        """Free ``variables`` again, except those fixed away by a bound."""
        for var in variables:
            if id(var) in self._fixed_away:
                var.fix(0)
            else:
                var.unfix()

    # ------------------------------------------------------------------ solving and reading back
    def solve(self, options: SolveOptions = DEFAULTS, *, warm: bool = False, keep_interrupted: bool = False,
              what: str | None = None, incumbents: Callable[[], np.ndarray | None] | None = None,
              on_plan: Callable[[np.ndarray], None] | None = None) -> SolveStats:
        """Solve the model on the engine (:func:`~mmo_pyomo.solvers.solve_model.solve_model`). ``incumbents``,
        polled during the solve where the engine asks for solutions (HiGHS), returns a better plan (spend changes)
        or None; the engine takes it as its incumbent. ``on_plan`` gets the plan of each better solution the engine
        finds during the solve (HiGHS), unchecked."""
        new_start = None
        if incumbents is not None:
            def new_start() -> bool:
                delta = incumbents()
                if delta is None:
                    return False
                self.start(delta)
                return True
        return solve_model(self.model, self.engine, self.needs, what or self.what, options, warm_start=warm,
                           relaxation=self.relaxed, keep_interrupted=keep_interrupted, how=self.how,
                           new_start=new_start, on_solution=None if on_plan is None else lambda: on_plan(self.plan()))

    def plan(self) -> np.ndarray:
        """The spend changes δ of the last solution (:func:`~mmo_pyomo.mix.concrete.plan_of`)."""
        return plan_of(self.model, self.inst)

    def checked_plan(self) -> tuple[np.ndarray, PlanCheck]:
        """The plan of the last solution and the independent checker's verdict on it."""
        delta = self.plan()
        return delta, check_plan(self.inst, self.inst.baseline + delta)


def region_formulations() -> list[str]:
    """The formulations with region indicators (those the improvement and the polish take)."""
    from mmo_pyomo.model_library import CURVE_FORMULATIONS, FORMULATIONS
    return [name for name, f in {**FORMULATIONS, **CURVE_FORMULATIONS}.items() if f.regions is not None]
