"""Bonmin and Ipopt in-process, through the ones the ``casadi`` wheel bundles.

:func:`translate` turns a built Pyomo model into CasADi's ``nlpsol`` form: the free variables with
their bounds and which are integer, every active row as ``lbg ≤ g(x) ≤ ubg`` and the objective as a
minimization. Each row's constant is moved into its bounds: CasADi's Bonmin answered INFEASIBLE at
once with its outer-approximation algorithms (B-OA, B-QG, B-Hyb, B-iFP) when a linear row carried a
constant term, as the group rules g·(x̄ + δ) do, and solved the same rows with the constant moved.
Linear parts go in as one sparse matrix; quadratic and nonlinear parts as CasADi expressions (a
Pyomo expression is evaluated on CasADi symbols; ``exp``, ``log``, ``sqrt``… map to CasADi's own).

:func:`run` solves it and loads the values back, so the plan is read and checked like any other
engine's. CasADi's statistics carry neither the best bound nor the node count; they are read from
the engine's own output (Bonmin ends with CBC's summary line), or reported as unknown.
"""
from __future__ import annotations

import contextlib
import ctypes
import io
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyomo.environ as pyo
from pyomo.core.expr.visitor import ExpressionValueVisitor
from pyomo.repn.standard_repn import generate_standard_repn

from mmo_pyomo.errors import MMOError
from mmo_pyomo.solvers.stats import SolveStats, Status


def version() -> str:
    """The CasADi version, as results and the engine listing report it."""
    import casadi
    return "CasADi " + str(getattr(casadi, "__version__", "?"))


@dataclass
class CasadiProblem:
    """A Pyomo model in ``nlpsol`` form (minimize ``f`` subject to ``lbg ≤ g ≤ ubg``, ``lbx ≤ x ≤ ubx``)."""

    variables: list[Any]          # the Pyomo variables, in the order of x
    x: Any                        # casadi.SX column of symbols
    f: Any                        # the objective to minimize (casadi.SX)
    g: Any                        # the rows (casadi.SX column)
    lbx: list[float]
    ubx: list[float]
    lbg: list[float]
    ubg: list[float]
    discrete: list[bool]
    x0: list[float]
    sign: float                   # +1 to minimize the model's objective, −1 to maximize it
    objective_constant: float


class _ToCasadi(ExpressionValueVisitor):
    """Evaluates a Pyomo expression on CasADi symbols (fixed variables and parameters by value)."""

    def __init__(self, symbol: dict[int, Any]) -> None:
        import casadi
        self.casadi = casadi
        self.symbol = symbol

    def visit(self, node: Any, values: list[Any]) -> Any:
        name = node.getname() if hasattr(node, "getname") else ""
        if type(node).__name__ == "UnaryFunctionExpression":
            fcn = getattr(self.casadi, name, None)
            if fcn is None:
                raise MMOError(f"the function {name} has no CasADi counterpart",
                               "solve this model on another engine (scip)")
            return fcn(values[0])
        if type(node).__name__ == "AbsExpression":
            return self.casadi.fabs(values[0])
        return node._apply_operation(values)

    def visiting_potential_leaf(self, node: Any) -> tuple[bool, Any]:
        if type(node) in (int, float):
            return True, node
        if node.is_variable_type():
            if node.fixed:
                return True, float(node.value)
            return True, self.symbol[id(node)]
        if not node.is_expression_type():
            return True, float(pyo.value(node))
        return False, None


def _bound(value: Any, default: float) -> float:
    return default if value is None else float(value)


def translate(model: pyo.Block) -> CasadiProblem:
    """``model`` in CasADi's ``nlpsol`` form. Raises :class:`MMOError` without exactly one active objective."""
    import casadi as ca

    objectives = list(model.component_data_objects(pyo.Objective, active=True))
    if len(objectives) != 1:
        raise MMOError(f"the model has {len(objectives)} active objectives, and CasADi takes one",
                       "deactivate all but one objective")
    obj = objectives[0]
    rows = list(model.component_data_objects(pyo.Constraint, active=True))
    repns = [generate_standard_repn(c.body, quadratic=True, compute_values=True) for c in rows]
    obj_repn = generate_standard_repn(obj.expr, quadratic=True, compute_values=True)

    # The free variables that occur anywhere, in first-seen order.
    variables: list[Any] = []
    column: dict[int, int] = {}

    def note(vs: Any) -> None:
        for v in vs:
            if id(v) not in column and not v.fixed:
                column[id(v)] = len(variables)
                variables.append(v)
    for r in [*repns, obj_repn]:
        note(r.linear_vars)
        for a, b in r.quadratic_vars:
            note((a, b))
        note(r.nonlinear_vars or ())
    n = len(variables)
    x = ca.SX.sym("x", n)
    symbol = {id(v): x[k] for k, v in enumerate(variables)}
    to_casadi = _ToCasadi(symbol)

    def nonlinear_part(r: Any) -> Any:
        out: Any = 0
        for (a, b), c in zip(r.quadratic_vars, r.quadratic_coefs):
            out = out + float(c) * symbol[id(a)] * symbol[id(b)]
        if r.nonlinear_expr is not None:
            out = out + to_casadi.dfs_postorder_stack(r.nonlinear_expr)
        return out

    # Linear parts of the rows as one sparse matrix; the rest row by row.
    trip_r: list[int] = []
    trip_c: list[int] = []
    trip_v: list[float] = []
    extra = []
    lbg: list[float] = []
    ubg: list[float] = []
    for i, (con, r) in enumerate(zip(rows, repns)):
        for v, c in zip(r.linear_vars, r.linear_coefs):
            trip_r.append(i)
            trip_c.append(column[id(v)])
            trip_v.append(float(c))
        extra.append(nonlinear_part(r))
        const = float(r.constant)
        lbg.append(-math.inf if con.lower is None else float(pyo.value(con.lower)) - const)
        ubg.append(math.inf if con.upper is None else float(pyo.value(con.upper)) - const)
    a = ca.DM.triplet(trip_r, trip_c, ca.DM(trip_v), len(rows), n) if rows else ca.DM(0, n)
    g = ca.mtimes(ca.SX(a), x) + ca.vertcat(*extra) if rows else ca.SX(0, 1)

    sign = 1.0 if obj.sense == pyo.minimize else -1.0
    f: Any = 0
    for v, c in zip(obj_repn.linear_vars, obj_repn.linear_coefs):
        f = f + float(c) * symbol[id(v)]
    f = sign * (f + nonlinear_part(obj_repn))

    lbx, ubx, x0, discrete = [], [], [], []
    for v in variables:
        lo, hi = _bound(v.lb, -math.inf), _bound(v.ub, math.inf)
        lbx.append(lo)
        ubx.append(hi)
        start = v.value if v.value is not None else 0.0
        x0.append(min(max(float(start), lo), hi))
        discrete.append(bool(v.is_integer() or v.is_binary()))
    return CasadiProblem(variables, x, ca.SX(f) if not isinstance(f, ca.SX) else f, g, lbx, ubx, lbg, ubg,
                         discrete, x0, sign, float(obj_repn.constant))


@contextlib.contextmanager
def _engine_output(path: str) -> Iterator[io.StringIO]:
    """Send what the engines write into ``path`` (the C libraries' descriptors 1 and 2) and into the
    yielded buffer (what CasADi routes through Python's ``sys.stdout``, which a test runner may have
    replaced) for the block."""
    libc = ctypes.CDLL(None)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    saved = []
    routed = io.StringIO()
    try:
        for fd in (1, 2):
            with contextlib.suppress(OSError):
                saved.append((fd, os.dup(fd)))
                os.dup2(target, fd)
        with contextlib.redirect_stdout(routed), contextlib.redirect_stderr(routed):
            yield routed
    finally:
        libc.fflush(None)
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)
        os.close(target)


#: CBC's closing line of a search: "Search completed - best objective X, took I iterations and N nodes" or
#: "Partial search - best objective X (best possible Y), took I iterations and N nodes".
_CBC_END = re.compile(r"Cbc000[15]I (Search completed|Partial search) - best objective \S+?"
                      r"(?: \(best possible ([-+0-9.eE]+)\))?, took \d+ iterations and (\d+) nodes")
#: The outer-approximation decomposition's closing lines (B-OA, B-iFP).
_OA_END = re.compile(r"OA000([89])I OA\s+(?:converged|interrupted) .*?\(lower bound ([-+0-9.eE]+)\s*\)")
_OA_NODES = re.compile(r"OA0010I Performed \d+ iterations, explored (\d+) branch-and-bound nodes")

#: The algorithms that run one outer-approximation decomposition (their summary is OA's, not CBC's).
_DECOMPOSITIONS = ("B-OA", "B-iFP")

#: A value Bonmin prints for "none" (COIN's infinity).
_NO_VALUE = 1e49


@dataclass(frozen=True)
class BonminSummary:
    """What Bonmin's output says of its search, in the minimized objective: whether it completed, the best
    possible value when it stopped early, and the nodes; None where the output does not say."""

    completed: bool | None = None
    best_possible: float | None = None
    nodes: int | None = None


def _value(text: str | None) -> float | None:
    if text is None:
        return None
    v = float(text)
    return v if math.isfinite(v) and abs(v) < _NO_VALUE else None


def read_bonmin_output(text: str, algorithm: str = "B-BB") -> BonminSummary:
    """The summary of Bonmin's search in its output: OA's closing lines for the decompositions, the last
    CBC summary line (the branch-and-bound tree) for B-BB, B-QG and B-Hyb."""
    if algorithm in _DECOMPOSITIONS:
        ends = list(_OA_END.finditer(text))
        nodes = [int(m.group(1)) for m in _OA_NODES.finditer(text)]
        if not ends:
            return BonminSummary(nodes=nodes[-1] if nodes else None)
        last = ends[-1]
        completed = last.group(1) == "8"
        return BonminSummary(completed, None if completed else _value(last.group(2)), nodes[-1] if nodes else None)
    cbc = list(_CBC_END.finditer(text))
    if not cbc:
        return BonminSummary()
    last = cbc[-1]
    completed = last.group(1) == "Search completed"
    return BonminSummary(completed, None if completed else _value(last.group(2)), int(last.group(3)))


def proved_bound(summary: BonminSummary, incumbent: float | None, options: dict[str, Any]) -> float | None:
    """The lower bound (on the minimized objective) that Bonmin's search proved, or None.

    A search that stopped early proves its best possible value. A completed search pruned every node that
    could not beat the incumbent by the larger of the absolute gap, the relative gap and the cutoff
    decrement (Bonmin's ``allowable_gap``, ``allowable_fraction_gap`` and ``cutoff_decr``, whose defaults
    are 0, 0 and 1e-5): it proves the incumbent less that amount.
    """
    if summary.best_possible is not None:
        return summary.best_possible
    if summary.completed and incumbent is not None:
        margin = max(float(options.get("bonmin.allowable_gap", 0.0)),
                     float(options.get("bonmin.allowable_fraction_gap", 0.0)) * abs(incumbent),
                     float(options.get("bonmin.cutoff_decr", 1e-5)), 0.0)
        return incumbent - margin
    return None


def _status(return_status: str, has_solution: bool) -> Status:
    if return_status in ("SUCCESS", "Solve_Succeeded", "Solved_To_Acceptable_Level"):
        return Status.OPTIMAL if has_solution else Status.ERROR
    if return_status in ("INFEASIBLE", "Infeasible_Problem_Detected"):
        # A feasible point with an "infeasible" answer (outer approximation on a nonconvex model): a plan.
        return Status.FEASIBLE if has_solution else Status.INFEASIBLE
    if return_status in ("CONTINUOUS_UNBOUNDED", "Diverging_Iterates"):
        return Status.UNBOUNDED
    if return_status in ("USER_INTERRUPT", "User_Requested_Stop"):
        return Status.INTERRUPTED
    if return_status in ("LIMIT_EXCEEDED", "Maximum_WallTime_Exceeded", "Maximum_CpuTime_Exceeded",
                         "Maximum_Iterations_Exceeded"):
        return Status.FEASIBLE if has_solution else Status.TIME_LIMIT
    return Status.FEASIBLE if has_solution else Status.ERROR


def _feasible(prob: CasadiProblem, values: list[float], g: list[float], tol: float = 1e-6) -> bool:
    """Whether ``values`` (with row values ``g``) meet every bound and integrality within ``tol``."""
    for v, lo, hi, d in zip(values, prob.lbx, prob.ubx, prob.discrete):
        if not (lo - tol <= v <= hi + tol) or (d and abs(v - round(v)) > tol) or not math.isfinite(v):
            return False
    scale = [max(1.0, abs(b)) for b in prob.ubg]
    return all(lo - tol * max(1.0, abs(lo)) <= gv <= hi + tol * s
               for gv, lo, hi, s in zip(g, prob.lbg, prob.ubg, scale))


def run(model: pyo.Block, interface: str, options: dict[str, Any], log_file: str | None = None, *,
        convex: bool = True) -> SolveStats:
    """Solve ``model`` on CasADi's ``interface`` ('bonmin' or 'ipopt') with native ``options``
    (``bonmin.*`` / ``ipopt.*`` names, as CasADi takes them), load the values back and report the
    statistics. ``convex``: the engine is exact on this model (Ipopt's optimum is then also the bound)."""
    import casadi as ca

    prob = translate(model)
    opts: dict[str, Any] = {"print_time": False, **options}
    if interface == "bonmin":
        opts["discrete"] = prob.discrete
    elif any(prob.discrete):
        raise MMOError("Ipopt takes continuous models only, and this one has integer variables",
                       "solve the continuous relaxation, or use bonmin")
    t0 = time.perf_counter()
    fd, out_path = tempfile.mkstemp(prefix="mmo-casadi-", suffix=".log")
    os.close(fd)
    try:
        with _engine_output(out_path) as routed:
            solver = ca.nlpsol("mmo", interface, {"x": prob.x, "f": prob.f, "g": prob.g}, opts)
            sol = solver(x0=prob.x0, lbx=prob.lbx, ubx=prob.ubx, lbg=prob.lbg, ubg=prob.ubg)
        stats = solver.stats()
        with open(out_path, errors="replace") as fh:
            text = fh.read() + routed.getvalue()
    finally:
        os.unlink(out_path)
    if log_file:
        with open(log_file, "a") as fh:
            fh.write(text)
    wall = time.perf_counter() - t0
    values = [float(v) for v in ca.DM(sol["x"]).full().ravel()]
    # The rows at the solution, evaluated here: CasADi's Bonmin returns NaN for them.
    gvals = [float(v) for v in ca.Function("rows", [prob.x], [prob.g])(values).full().ravel()] \
        if prob.g.numel() else []
    return_status = str(stats.get("return_status", ""))
    has_solution = _feasible(prob, values, gvals)
    if has_solution:
        for v, val in zip(prob.variables, values):
            v.set_value(round(val) if v.is_integer() or v.is_binary() else val, skip_validation=True)
    status = _status(return_status, has_solution)
    message = return_status
    if interface == "bonmin" and status == Status.INFEASIBLE:
        # Bonmin prunes a node when Ipopt reports its NLP infeasible, and Ipopt's infeasibility is local: on a
        # rotated cone with a variable at zero it reported "infeasible" at a violation of 2e-16 for a feasible
        # 3-activity MISOCP. So Bonmin's "infeasible" is not a proof.
        status = Status.ERROR
        message = (f"{return_status}: Bonmin found no plan, and its infeasibility rests on Ipopt's local test, so "
                   "this does not prove there is none; solve with scip to decide")
    objective = pyo.value(next(model.component_data_objects(pyo.Objective, active=True))) if has_solution else None
    minimized = None if objective is None else prob.sign * (objective - prob.objective_constant)
    bound = nodes = None
    if interface == "bonmin":
        summary = read_bonmin_output(text, str(options.get("bonmin.algorithm", "B-BB")))
        nodes = summary.nodes
        low = proved_bound(summary, minimized if return_status == "SUCCESS" else None, opts)
        if low is not None:
            bound = prob.sign * low + prob.objective_constant
    elif convex and status == Status.OPTIMAL and objective is not None:
        bound = objective       # the optimum of a convex model, to Ipopt's tolerances
    return SolveStats(status=status, objective=objective, bound=bound, nodes=nodes, time_s=wall,
                      version=version(), message=message, has_solution=has_solution)
