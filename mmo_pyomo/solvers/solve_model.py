"""The one path by which the package hands a Pyomo model to an engine.

:func:`solve_model` checks that the engine takes the model (by capability), that it is
installed, translates the common options, runs the adapter, and turns an engine's size-limit
refusal into a :class:`LicenceLimitError`. The runner, the relaxation bounds, the chord
heuristic and the offers' cluster LP all solve through it.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Set
from dataclasses import replace

import pyomo.environ as pyo

from mmo_pyomo.errors import LicenceLimitError, MMOError, SolveInterrupted
from mmo_pyomo.solvers import adapters, deadline
from mmo_pyomo.solvers.capabilities import Capability
from mmo_pyomo.solvers.engines import Engine, Handover
from mmo_pyomo.solvers.options import DEFAULTS, SolveOptions
from mmo_pyomo.solvers.registry import ensure_installed, get_engine, handover
from mmo_pyomo.solvers.stats import SolveStats, Status

log = logging.getLogger(__name__)


def model_size(model: pyo.Block) -> dict[str, int]:
    """Variables, binaries and constraints of a constructed model."""
    vars_ = list(model.component_data_objects(pyo.Var, active=True))
    return {
        "variables": sum(1 for v in vars_ if not v.fixed),
        "binaries": sum(1 for v in vars_ if v.is_binary() and not v.fixed),
        "constraints": sum(1 for _ in model.component_data_objects(pyo.Constraint, active=True)),
    }


def objective_unit(model: pyo.Block) -> float:
    """The unit of the model's objective: the value of its Param ``objective_unit`` if it declares one
    (the objective is then the quantity divided by it), else 1."""
    unit = model.component("objective_unit")
    return 1.0 if unit is None else float(pyo.value(unit))


def in_units_of(stats: SolveStats, unit: float) -> SolveStats:
    """``stats`` with the objective and the bound multiplied by ``unit`` (back to the model's own quantity)."""
    if unit == 1.0:
        return stats
    return replace(stats, objective=None if stats.objective is None else stats.objective * unit,
                   bound=None if stats.bound is None else stats.bound * unit)


def as_heuristic(stats: SolveStats, engine: Engine, how: Handover) -> SolveStats:
    """``stats`` of an engine that is only a local method on the model (``how.heuristic``): its plan is
    feasible, not proved optimal, and no bound it reports is one."""
    note = f"{engine.label} is a local method on this model ({how.note}): its plan is not proved optimal, and it gives no bound"
    status = Status.FEASIBLE if stats.status == Status.OPTIMAL else stats.status
    if stats.status == Status.INFEASIBLE:       # a local method proves no infeasibility either
        status = Status.ERROR
        note = f"{engine.label} found no plan, which does not prove there is none ({how.note})"
    return replace(stats, status=status, bound=None,
                   message=f"{stats.message}; {note}" if stats.message else note)


def licence_error(engine: Engine, exc: Exception, size: dict[str, int]) -> LicenceLimitError | None:
    """The :class:`LicenceLimitError` that ``exc`` stands for, if the engine refused the model's size."""
    text = str(exc)
    if engine.licence_markers and any(mk.lower() in text.lower() for mk in engine.licence_markers):
        return LicenceLimitError(
            f"{engine.label} refused the model: it has {size['variables']} variables "
            f"({size['binaries']} binary) and {size['constraints']} constraints, over the licence's size limit"
            + (f" ({engine.size_limit})" if engine.size_limit else ""),
            "use a full licence, a smaller instance, or the default engine (scip)")
    return None


def solve_model(
    model: pyo.Block,
    solver: str | Engine,
    needs: Set[Capability],
    what: str,
    options: SolveOptions = DEFAULTS,
    *,
    warm_start: bool = False,
    relaxation: bool = False,
    duals: bool = False,
    keep_interrupted: bool = False,
    how: Handover | None = None,
    new_start: Callable[[], bool] | None = None,
    on_solution: Callable[[], None] | None = None,
) -> SolveStats:
    """Solve ``model`` (described as ``what`` in messages) on ``solver`` with ``options`` (a checked
    :class:`SolveOptions`: its common options translated to the engine's names, its native ones as they are).

    Raises :class:`CapabilityError` (naming the engines that can), :class:`SolverUnavailableError`
    and :class:`LicenceLimitError` before or instead of a solve. Any other failure of the engine
    is returned as status ``error`` with the engine's message; the caller decides what it means.
    ``relaxation`` adds the engine's options for continuous relaxations; ``duals`` asks for LP duals.
    An engine stopped by Ctrl-C raises :class:`SolveInterrupted`, unless ``keep_interrupted``: then the
    statistics (status ``interrupted``, with the incumbent loaded) are returned for the caller to report.
    An ``options.deadline`` (:mod:`mmo_pyomo.solvers.deadline`) cuts the time limit to what is left of it; once it
    has passed, no engine runs and the status is ``time_limit``.
    ``how`` is the handover when the caller has already made it (and so checked the engine takes the model).
    ``new_start``, polled during the solve where the engine asks for solutions (HiGHS), returns True once it has
    set the model's variables to a better plan for the engine to take as its incumbent; ``on_solution`` is called
    each time the engine finds a better solution during the solve (HiGHS), once the model's variables hold it.
    """
    engine = get_engine(solver) if isinstance(solver, str) else solver
    if how is None:
        how = handover(engine, frozenset(needs) | ({Capability.DUALS} if duals else frozenset()), what)
        ensure_installed(engine)
    if not isinstance(options, SolveOptions):
        raise MMOError(f"options must be a SolveOptions record, not {type(options).__name__}",
                       "pass SolveOptions(time_limit=..., mip_gap=..., ...)")
    if options.deadline is not None:               # the user's limit, shared by every step: what is left of it
        limit = deadline.engine_limit(options)
        if limit is not None and limit <= 0:
            return SolveStats(status=Status.TIME_LIMIT, time_s=0.0,
                              message=f"the time limit was spent before {what} could start")
        options = options.with_changes(time_limit=limit)
    native = {**({} if options.log_file else engine.quiet_options), **how.solver_options,
              **(engine.relaxation_options if relaxation else {}), **dict(options.native),
              **engine.native_options(options)}
    unit = objective_unit(model)
    on_bound = options.on_bound
    request = adapters.RunRequest(interface=how.interface, family=how.family, options=native, log_file=options.log_file,
                                  warm_start=warm_start, read_nodes=engine.read_nodes, duals=duals,
                                  heuristic=how.heuristic,
                                  on_bound=None if on_bound is None or how.heuristic else lambda b: on_bound(b * unit),
                                  new_start=new_start, on_solution=on_solution)
    log.debug("solving %s on %s through %s (%s) with %s", what, engine.name, how.interface, how.family, native)
    try:
        stats = in_units_of(adapters.run(model, request), unit)
    except MMOError:
        raise
    except Exception as exc:  # engines raise their own exception types
        lic = licence_error(engine, exc, model_size(model))
        if lic is not None:
            raise lic from None
        return SolveStats(status=Status.ERROR, message=f"{type(exc).__name__}: {exc}".strip())
    if how.heuristic:
        stats = as_heuristic(stats, engine, how)
    if stats.status == Status.INTERRUPTED and not keep_interrupted:
        raise SolveInterrupted(f"{what} on {engine.label} was interrupted after {stats.time_s or 0:.1f} s; nothing "
                               "was written", "run it again; --time-limit stops a solve with its best plan")
    return stats
