"""How a Pyomo model is handed to an engine and how the uniform statistics are read back.

Pyomo 6.10 has three families of interfaces, each with its own results object:

* ``contrib`` — the new solver API (``scip_direct``, ``gurobi_direct``, ``gurobi_direct_minlp``,
  ``highs``): ``incumbent_objective`` and ``objective_bound`` are reported directly;
* ``legacy`` — the older direct interfaces (``cplex_direct``, ``xpress_direct``): the bounds are
  in ``results.problem``;
* ``asl`` — AMPL ``.nl`` executables (Bonmin): the ``.sol`` file holds only the solution and a
  message, so the bound and the node count are reported as unknown;
* ``casadi`` — Bonmin and Ipopt in-process, as the ``casadi`` wheel bundles them
  (:mod:`mmo_pyomo.solvers.casadi_nlp`): the bound and the node count are read from Bonmin's output.

The node count is read from the engine's own model object where the interface keeps one.
"""
from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.solvers.stats import SolveStats, Status


@dataclass
class RunRequest:
    """One solve: the interface, native options and a log file."""

    interface: str
    family: str
    options: dict[str, Any]
    log_file: str | None = None
    warm_start: bool = False     # pass the model's current variable values as a MIP start
    read_nodes: Callable[[Any, Any], int | None] | None = None
    duals: bool = False          # read LP row duals (contrib interfaces)
    heuristic: bool = False      # the engine is a local method on this model: it proves no bound
    on_bound: Callable[[float], None] | None = None   # the engine's bound as it moves (HiGHS's MIP log callback)
    #: polled during the solve: True once it has set the model's variables to a better plan, which the engine then
    #: takes as a solution (HiGHS's user-solution callback)
    new_start: Callable[[], bool] | None = None
    #: called when the engine finds a better solution during the solve, once the model's variables hold it
    #: (HiGHS's improving-solution callback)
    on_solution: Callable[[], None] | None = None


def status_of(optimal: bool, infeasible: bool, unbounded: bool, time_limit: bool, has_solution: bool,
              interrupted: bool = False) -> Status:
    """The uniform status from what an interface said (the same rule for every family). An engine
    stopped by the user (it catches Ctrl-C itself) is ``interrupted``, with or without a plan."""
    if interrupted:
        return Status.INTERRUPTED
    if optimal and has_solution:
        return Status.OPTIMAL
    if infeasible:
        return Status.INFEASIBLE
    if unbounded:
        return Status.UNBOUNDED
    if has_solution:
        return Status.FEASIBLE
    return Status.TIME_LIMIT if time_limit else Status.ERROR


def contrib_status(tc: Any, has_solution: bool) -> Status:
    """The uniform status of a new-API termination condition."""
    from pyomo.contrib.solver.common.results import TerminationCondition as TC
    return status_of(
        optimal=tc == TC.convergenceCriteriaSatisfied,
        infeasible=tc in (TC.provenInfeasible, TC.locallyInfeasible, TC.infeasibleOrUnbounded),
        unbounded=tc == TC.unbounded,
        time_limit=tc == TC.maxTimeLimit,
        has_solution=has_solution,
        interrupted=tc == TC.interrupted,
    )


def legacy_status(tc: Any, has_solution: bool) -> Status:
    """The uniform status of a legacy (or ASL) termination condition."""
    from pyomo.opt import TerminationCondition as TC
    return status_of(
        optimal=tc in (TC.optimal, TC.globallyOptimal),
        infeasible=tc in (TC.infeasible, TC.infeasibleOrUnbounded, TC.invalidProblem),
        unbounded=tc == TC.unbounded,
        time_limit=tc == TC.maxTimeLimit,
        has_solution=has_solution,
        interrupted=tc == TC.userInterrupt,
    )


def _finite(x: Any) -> float | None:
    try:
        x = float(x)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


@contextlib.contextmanager
def _log_stream(path: str | None):
    if path is None:
        yield None
    else:
        with open(path, "a") as fh:
            yield fh


def _quiet_scip(log_file: str | None):
    """``scip_direct`` with SCIP's own output switched off (or sent to ``log_file`` by SCIP itself).

    Pyomo captures an engine's output through a pipe drained by a Python thread, while PySCIPOpt
    keeps the GIL during the solve: once SCIP had written 64 KB (its log, or warnings that print
    at any verbosity) both sides waited forever (seen here on n = 750 runs). SCIP then writes
    nothing to the captured descriptors.
    """
    from pyomo.contrib.solver.solvers.scip.scip_direct import ScipDirect

    class QuietScipDirect(ScipDirect):
        def _create_solver_model(self, model, config):
            out = super()._create_solver_model(model, config)
            self._solver_model.hideOutput(True)
            if log_file:
                self._solver_model.setLogfile(log_file)
            return out
    return QuietScipDirect()


@functools.cache
def _highs_with_start() -> type:
    """Pyomo's HiGHS interface, handing the variables' current values to HiGHS as a MIP start, and reporting
    its bound as it moves.

    Pyomo 6.10's HiGHS interface has no warm start (no ``warmstart_discrete_vars``), so a start set
    on the model was silently dropped. The values go to ``Highs.setSolution`` just before the run;
    HiGHS completes a partial start and ignores one it finds infeasible. With ``on_bound`` set, HiGHS's MIP
    logging callback hands it the dual bound at every log line; with ``on_solution`` set, each better solution HiGHS
    finds is loaded into the variables and ``on_solution()`` called. With ``new_start`` set, HiGHS asks for a solution
    at each of its user-solution points (after setup, during the root node's cut rounds, before each dive): when
    ``new_start()`` says it has set the variables to a better plan, their values go to HiGHS, which takes them as
    its incumbent (a cutoff for its pruning and reduced-cost fixing) if they are feasible.
    """
    import numpy as np
    from pyomo.contrib.solver.solvers.highs import Highs

    class HighsWithStart(Highs):
        warm_start = True
        on_bound: Callable[[float], None] | None = None
        new_start: Callable[[], bool] | None = None
        on_solution: Callable[[], None] | None = None

        def _values(self) -> tuple[np.ndarray, np.ndarray]:
            """The columns whose variables have a value, and those values."""
            index, value = [], []
            for v_id, col in self._pyomo_var_to_solver_var_map.items():
                x = self._vars[v_id][0].value
                if x is not None:
                    index.append(col)
                    value.append(x)
            return np.asarray(index, np.int32), np.asarray(value, float)

        def _solve(self):
            import highspy
            kinds = highspy.cb.HighsCallbackType
            if self.warm_start:
                index, value = self._values()
                if len(index):
                    self._solver_model.setSolution(len(index), index, value)
            report, poll, found = self.on_bound, self.new_start, self.on_solution
            wanted = ([kinds.kCallbackMipLogging] if report is not None else []) + \
                ([kinds.kCallbackMipUserSolution] if poll is not None else []) + \
                ([kinds.kCallbackMipImprovingSolution] if found is not None else [])

            def called(kind, message, out, into, data):
                if kind == kinds.kCallbackMipLogging and report is not None:
                    bound = float(out.mip_dual_bound)
                    if math.isfinite(bound):
                        report(bound)
                elif kind == kinds.kCallbackMipUserSolution and poll is not None and poll():
                    index, value = self._values()
                    into.setSolution(index, value)
                elif kind == kinds.kCallbackMipImprovingSolution and found is not None:
                    solution = np.asarray(out.mip_solution, float)
                    for v_id, col in self._pyomo_var_to_solver_var_map.items():
                        self._vars[v_id][0].set_value(float(solution[col]), skip_validation=True)
                    found()
            if wanted:
                self._solver_model.setCallback(called, None)
                for kind in wanted:
                    self._solver_model.startCallback(kind)
            try:
                return super()._solve()
            finally:
                for kind in wanted:
                    self._solver_model.stopCallback(kind)

    return HighsWithStart


def contrib_solver(req: RunRequest) -> tuple[Any, str | None]:
    """A new-API Pyomo solver for ``req.interface``, and the log file Pyomo should tee to (if any).

    SCIP writes its own log (see :func:`_quiet_scip`); other engines' output is teed by Pyomo. A warm start or a
    callback (``on_bound``, ``new_start``, ``on_solution``) on HiGHS needs our own subclass
    (:func:`_highs_with_start`).
    """
    if req.interface == "scip_direct":
        return _quiet_scip(req.log_file), None
    callbacks = (req.on_bound, req.new_start, req.on_solution)
    if req.interface == "highs" and (req.warm_start or any(c is not None for c in callbacks)):
        opt = _highs_with_start()()
        opt.warm_start = req.warm_start
        opt.on_bound, opt.new_start, opt.on_solution = callbacks
        return opt, req.log_file
    from pyomo.contrib.solver.common.factory import SolverFactory as ContribFactory
    return ContribFactory(req.interface), req.log_file


def run_contrib(model: pyo.ConcreteModel, req: RunRequest) -> SolveStats:
    """Solve through Pyomo's new solver API (``pyomo.contrib.solver``)."""
    from pyomo.contrib.solver.common.results import SolutionStatus

    opt, tee_path = contrib_solver(req)
    if req.interface == "highs":
        # HiGHS keeps one thread pool per process and refuses a later solve that asks for another
        # number of threads ("global scheduler has already been initialized"): start afresh.
        import highspy
        highspy.Highs.resetGlobalScheduler(True)
    with _log_stream(tee_path) as log:
        t0 = time.perf_counter()
        extra = {"warmstart_discrete_vars": True} if req.warm_start and "warmstart_discrete_vars" in opt.config \
            else {}
        res = opt.solve(model, load_solutions=False, raise_exception_on_nonoptimal_result=False,
                        tee=[log] if log else False, solver_options=dict(req.options), **extra)
        wall = time.perf_counter() - t0
    tc = res.termination_condition
    has_solution = res.solution_status in (SolutionStatus.feasible, SolutionStatus.optimal)
    duals = None
    if has_solution:
        res.solution_loader.load_vars()
        if req.duals:
            duals = dict(res.solution_loader.get_duals())
    status = contrib_status(tc, has_solution)
    version = ".".join(map(str, res.solver_version)) if res.solver_version else None
    if req.interface == "scip_direct":          # Pyomo reports PySCIPOpt's version; report SCIP's own
        try:
            version = f"{opt._solver_model.version()} (PySCIPOpt {version})"
        except Exception:
            pass
    return SolveStats(
        status=status, objective=_finite(res.incumbent_objective) if has_solution else None,
        bound=_finite(res.objective_bound), nodes=req.read_nodes(opt, res) if req.read_nodes else None,
        time_s=wall, version=version, message=str(tc.name), has_solution=has_solution, duals=duals,
    )


def _legacy_version(opt: Any) -> str | None:
    try:
        v = opt.version()
    except Exception:
        return None
    return ".".join(map(str, v)) if isinstance(v, tuple) else (str(v) if v is not None else None)


def run_legacy(model: pyo.ConcreteModel, req: RunRequest) -> SolveStats:
    """Solve through a legacy direct interface or the ASL (``.nl``) interface."""
    from pyomo.opt import SolutionStatus

    if req.family == "asl":
        opt = pyo.SolverFactory("asl:" + req.interface)
    else:
        opt = pyo.SolverFactory(req.interface)
    kwargs: dict[str, Any] = {"load_solutions": False, "tee": False, "options": dict(req.options)}
    if req.log_file:
        kwargs["logfile"] = req.log_file
    if req.warm_start and getattr(opt, "warm_start_capable", lambda: False)():
        kwargs["warmstart"] = True
    t0 = time.perf_counter()
    res = opt.solve(model, **kwargs)
    wall = time.perf_counter() - t0
    tc = res.solver.termination_condition
    has_solution = len(res.solution) > 0 and res.solution(0).status in (
        SolutionStatus.optimal, SolutionStatus.feasible, SolutionStatus.locallyOptimal, SolutionStatus.globallyOptimal,
        SolutionStatus.bestSoFar, SolutionStatus.stoppedByLimit, SolutionStatus.other)
    # An engine that stopped on a numerical failure with an incumbent (CPLEX's "aborted, integer solution
    # exists" when its cone bound crossed its incumbent by 2e-9) still has a plan: it is returned as
    # feasible, with its bound, for the checker and the certificate rule to judge.
    if not has_solution and len(res.solution) > 0 and res.solution(0).status == SolutionStatus.error \
            and _finite(res.problem.lower_bound) is not None and len(res.solution(0).variable) > 0:
        from pyomo.opt import SolverStatus
        res.solver.status = SolverStatus.warning          # Pyomo loads no values from a result marked 'error'
        has_solution = True
    if has_solution:
        model.solutions.load_from(res)
    objective = bound = None
    if has_solution:
        objective = pyo.value(next(model.component_data_objects(pyo.Objective, active=True)))
    if req.family != "asl":  # the .sol file carries no bound: report it as unknown
        bound = _finite(res.problem.upper_bound)  # maximize: upper_bound is the best bound
    status = legacy_status(tc, has_solution)
    return SolveStats(status=status, objective=objective, bound=bound,
                      nodes=req.read_nodes(opt, res) if req.read_nodes else None, time_s=wall,
                      version=_legacy_version(opt), message=str(tc), has_solution=has_solution)


def run_casadi(model: pyo.ConcreteModel, req: RunRequest) -> SolveStats:
    """Solve through CasADi's bundled Bonmin or Ipopt (:mod:`mmo_pyomo.solvers.casadi_nlp`)."""
    from mmo_pyomo.solvers import casadi_nlp
    return casadi_nlp.run(model, req.interface, dict(req.options), req.log_file, convex=not req.heuristic)


ADAPTERS: dict[str, Callable[[pyo.ConcreteModel, RunRequest], SolveStats]] = {
    "contrib": run_contrib, "legacy": run_legacy, "asl": run_legacy, "casadi": run_casadi,
}


def run(model: pyo.ConcreteModel, req: RunRequest) -> SolveStats:
    """Solve ``model`` as ``req`` says and return the uniform statistics."""
    return ADAPTERS[req.family](model, req)
