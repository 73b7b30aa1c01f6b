"""The runner: any formulation on any engine, one uniform :class:`Result`, every plan checked."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.checker import TOLERANCE, check_plan
from mmo_pyomo.instance.pyomo_schema import to_pyomo_data
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.validate import validate
from mmo_pyomo.errors import (InfeasibleInstanceError, LicenceLimitError, MMOError, NoSolutionError,
                              PlanCheckError)
from mmo_pyomo.formulations import build_model, get_formulation
from mmo_pyomo.solvers import adapters
from mmo_pyomo.solvers.engines import Engine
from mmo_pyomo.solvers.registry import DEFAULT_SOLVER, ensure_installed, get_engine, handover
from mmo_pyomo.solvers.stats import relative_gap


@dataclass
class Result:
    """The outcome of one solve, with the same fields for every engine.

    ``objective`` is the revenue of the returned plan recomputed from the raw data by the
    checker (constant terms included); ``bound`` is the engine's best bound; ``gap`` is
    (bound − objective)/|objective|. ``None`` means the engine did not report the value.
    """

    formulation: str
    solver: str
    status: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    nodes: int | None = None
    time_s: float | None = None
    solver_version: str | None = None
    n_changes: int | None = None
    total_spend: float | None = None
    baseline_revenue: float | None = None
    message: str = ""
    plan: dict[str, float] | None = None
    delta: np.ndarray | None = field(default=None, repr=False)
    model_size: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when a checked plan is available (status optimal or feasible)."""
        return self.status in ("optimal", "feasible") and self.plan is not None

    @property
    def lift(self) -> float | None:
        """Revenue gain over keeping every baseline spend."""
        if self.objective is None or self.baseline_revenue is None:
            return None
        return self.objective - self.baseline_revenue

    def raise_for_status(self) -> "Result":
        """Raise the matching :class:`MMOError` unless a checked plan is available."""
        if self.ok:
            return self
        where = f"{self.formulation} on {self.solver}"
        if self.status == "infeasible":
            raise InfeasibleInstanceError(
                f"the instance is infeasible ({where}): no plan meets the budget, the business rules and "
                "the minimum-change and maximum-change rules together",
                "relax budget_lower/budget_upper or the rule bounds, or raise max_changes")
        if self.status == "time_limit":
            raise NoSolutionError(
                f"time limit reached after {self.time_s:.1f} s with no plan found ({where})",
                "start from a feasible plan (--start chord, or start= in solve()), raise --time-limit, "
                "or try another formulation (hull and misocp have the tightest relaxations)")
        if self.status == "unbounded":
            raise NoSolutionError(f"the engine reports the model unbounded ({where})",
                                  "check that every quad ≤ 0 and every activity has finite bounds")
        if self.message.startswith("plan check failed"):
            raise PlanCheckError(f"{where}: {self.message}",
                                 "tighten the engine's feasibility tolerance or report the instance")
        raise NoSolutionError(f"the solve failed ({where}): {self.message or self.status}",
                              "see the engine's log (--log FILE) for details")

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary (the ``--json`` output)."""
        d = asdict(self)
        d.pop("delta")
        d["lift"] = self.lift
        return {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()}


def model_size(model: pyo.ConcreteModel) -> dict[str, int]:
    """Variables, binaries and constraints of a constructed model."""
    vars_ = list(model.component_data_objects(pyo.Var, active=True))
    return {
        "variables": sum(1 for v in vars_ if not v.fixed),
        "binaries": sum(1 for v in vars_ if v.is_binary() and not v.fixed),
        "constraints": sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True)),
    }


def create_model(inst: Instance, formulation: str, **build_options: Any) -> pyo.ConcreteModel:
    """The concrete model of ``formulation`` on ``inst`` (built from the shared abstract model)."""
    return build_model(formulation, **build_options).create_instance(data=to_pyomo_data(inst), name=inst.name)


def polish_delta(inst: Instance, delta: np.ndarray, tol: float = TOLERANCE) -> np.ndarray:
    """Remove solver round-off: snap near-zero changes to 0, near-minimum ones to ±m, clip to bounds."""
    scale = np.maximum(1.0, np.abs(inst.baseline))
    d = np.where(np.abs(delta) <= tol * scale, 0.0, delta)
    near_min = (d != 0) & (np.abs(d) < inst.min_change) & (np.abs(d) >= inst.min_change - tol * scale)
    d = np.where(near_min, np.sign(d) * inst.min_change, d)
    return np.clip(d, inst.lower - inst.baseline, inst.upper - inst.baseline)


def set_start(model: pyo.ConcreteModel, inst: Instance, delta: np.ndarray) -> None:
    """Give every variable of a formulation the value it takes in the plan ``delta`` (a MIP start)."""
    for k, a in enumerate(inst.activities):
        d = float(delta[k])
        dec, inc = min(d, 0.0), max(d, 0.0)
        values = {"delta": d, "delta_dec": dec, "delta_inc": inc, "z_dec": float(d < 0), "z_inc": float(d > 0),
                  "z_none": float(d == 0), "z": float(d != 0), "y": float(d != 0), "t": d * d,
                  "t_dec": dec * dec, "t_inc": inc * inc}
        for name, value in values.items():
            comp = model.component(name)
            if comp is not None and a in comp:
                comp[a].set_value(value, skip_validation=True)


def licence_error(engine: Engine, exc: Exception, size: dict[str, int]) -> LicenceLimitError | None:
    """The :class:`LicenceLimitError` that ``exc`` stands for, if the engine refused the model's size."""
    text = str(exc)
    if engine.licence_markers and any(mk.lower() in text.lower() for mk in engine.licence_markers):
        return LicenceLimitError(
            f"{engine.label} refused the model: it has {size['variables']} variables "
            f"({size['binaries']} binary) and {size['constraints']} constraints, over the licence's size limit"
            + (f" ({engine.size_limit})" if engine.size_limit else ""),
            "use a full licence, a smaller instance, or the default engine (--solver scip)")
    return None


def solve(
    instance: Instance,
    formulation: str = "misocp",
    solver: str = DEFAULT_SOLVER,
    *,
    time_limit: float | None = None,
    mip_gap: float | None = None,
    threads: int | None = None,
    seed: int | None = None,
    log_file: str | None = None,
    start: np.ndarray | None = None,
    validate_instance: bool = True,
) -> Result:
    """Solve ``instance`` with ``formulation`` on ``solver`` and check the plan.

    Raises :class:`MMOError` subclasses for problems found before solving (bad data, an
    infeasible budget, a missing engine, a formulation the engine cannot take, a licence
    size limit). ``start`` (a spend change per activity, e.g. a previous plan) is passed to
    the engine as a MIP start where its interface allows. Outcomes of the solve itself (infeasible, time limit, …) are returned in
    ``Result.status``; call :meth:`Result.raise_for_status` to turn them into errors.
    """
    get_formulation(formulation)
    engine = get_engine(solver)
    how = handover(engine, formulation)
    ensure_installed(engine)
    if validate_instance:
        validate(instance)
    model = create_model(instance, formulation, **how.build_options)
    size = model_size(model)
    if start is not None:
        set_start(model, instance, np.asarray(start, dtype=float))
    options = {**({} if log_file else engine.quiet_options), **how.solver_options,
               **engine.native_options(time_limit=time_limit, mip_gap=mip_gap, threads=threads, seed=seed)}
    request = adapters.RunRequest(interface=how.interface, family=how.family, options=options,
                                  log_file=log_file, warm_start=start is not None, read_nodes=engine.read_nodes)
    try:
        stats = adapters.run(model, request)
    except MMOError:
        raise
    except Exception as exc:  # engines raise their own exception types
        lic = licence_error(engine, exc, size)
        if lic is not None:
            raise lic from None
        return Result(formulation, engine.name, "error", message=f"{type(exc).__name__}: {exc}".strip(),
                      model_size=size)
    result = Result(formulation=formulation, solver=engine.name, status=stats.status, bound=stats.bound,
                    nodes=stats.nodes, time_s=stats.time_s, solver_version=stats.version,
                    baseline_revenue=float(instance.const.sum()), message=stats.message, model_size=size)
    if not stats.has_solution:
        return result
    raw = np.array([model.delta[a].value if model.delta[a].value is not None else 0.0
                    for a in instance.activities])
    delta = polish_delta(instance, raw)
    check = check_plan(instance, instance.baseline + delta)
    if not check.feasible:
        result.status = "error"
        result.message = "plan check failed: " + check.summary()
        return result
    result.objective = check.revenue
    result.gap = relative_gap(check.revenue, stats.bound)
    result.n_changes = check.n_changes
    result.total_spend = check.total_spend
    result.delta = delta
    result.plan = dict(zip(instance.activities, (instance.baseline + delta).tolist()))
    return result
