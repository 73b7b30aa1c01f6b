"""The engine table: one entry per engine, declared once.

Each :class:`Engine` states how it is installed, the :class:`Capability` set it can take, the
Pyomo interface it is reached through (with overrides for models that need a particular
capability), the engine's own name for each option of the common vocabulary, how to read its
node count, and how its size-limited edition fails. Which formulation goes to which engine is
derived from the capabilities (:meth:`Engine.handover`); nothing else lists the pairs.
``tests/test_engines.py`` solves every pair the table allows; nothing here is assumed.
"""
from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field, replace
from typing import Any

from mmo_pyomo.solvers.capabilities import Capability, missing
from mmo_pyomo.solvers.options import SolveOptions

C = Capability

#: The common option vocabulary (mapped once per engine in ``Engine.option_names``).
OPTION_KEYS = ("time_limit", "mip_gap", "threads", "seed")


@dataclass(frozen=True)
class Interface:
    """A Pyomo interface: the solver name and its family ('contrib', 'legacy' or 'asl')."""

    name: str
    family: str
    note: str = ""          # shown in the engine table, e.g. 'Gurobi ≥ 12 (general nonlinear)'


@dataclass(frozen=True)
class Handover:
    """How one model is handed to one engine: the interface and the extra native options."""

    interface: str
    family: str
    solver_options: Mapping[str, Any] = field(default_factory=dict)
    note: str = ""          # e.g. 'heuristic: nonconvex'

    @property
    def heuristic(self) -> bool:
        """True when the engine is only a local method for this model (no proof of optimality)."""
        return self.note.startswith("heuristic")


#: A node-count reader gets the Pyomo interface object and its results object.
NodeReader = Callable[[Any, Any], "int | None"]


def _attr_path(*path: str) -> NodeReader:
    """A node-count reader that follows attribute/method names from the interface object."""
    def read(opt: Any, results: Any = None) -> int | None:
        obj = opt
        try:
            for p in path:
                obj = getattr(obj, p)
                if callable(obj) and p.startswith(("get", "Get")):
                    obj = obj()
            return int(obj)
        except Exception:
            return None
    return read


def _cplex_nodes(opt: Any, results: Any = None) -> int | None:
    try:
        return int(opt._solver_model.solution.progress.get_num_nodes_processed())
    except Exception:
        return None


def _highs_nodes(opt: Any, results: Any = None) -> int | None:
    """HiGHS's ``mip_node_count``; it is −1 when HiGHS ran no branch and bound, which for a model without integer
    columns (an LP or a QP) means 0 nodes, and otherwise that the count is not known."""
    count = _attr_path("_solver_model", "getInfo", "mip_node_count")(opt, results)
    if count is None or count >= 0:
        return count
    try:
        integral = any(int(t) != 0 for t in opt._solver_model.getLp().integrality_)   # 0: kContinuous
    except Exception:
        return None
    return None if integral else 0


def _gurobi_nodes(opt: Any, results: Any = None) -> int | None:
    extra = getattr(results, "extra_info", None)       # new API: results.extra_info.NodeCount
    if extra is not None and extra.get("NodeCount") is not None:
        return int(extra.NodeCount)
    return _attr_path("_solver_model", "NodeCount")(opt, results)  # legacy API: the gurobipy model


@dataclass(frozen=True)
class Engine:
    """One engine of the registry."""

    name: str
    label: str
    requires: str                        # python module, or 'exe:NAME' for an executable on PATH
    install_hint: str
    capabilities: frozenset[Capability]
    interface: Interface                 # the default Pyomo interface
    option_names: Mapping[str, str | None]
    #: A model that needs the capability goes through this interface instead (first match wins).
    interface_for: tuple[tuple[Capability, Interface], ...] = ()
    #: Native options added when the model needs the capability.
    options_if: Mapping[Capability, Mapping[str, Any]] = field(default_factory=dict)
    #: Native options added unless the model needs the capability.
    options_unless: Mapping[Capability, Mapping[str, Any]] = field(default_factory=dict)
    #: Native options of every model.
    options_always: Mapping[str, Any] = field(default_factory=dict)
    #: Capabilities the engine takes only as a local (heuristic) method.
    heuristic_for: frozenset[Capability] = frozenset()
    read_nodes: NodeReader | None = None
    size_limit: str | None = None        # the pip edition's limit, for messages
    licence_markers: tuple[str, ...] = ()  # substrings of the engine's size-limit error
    relaxation_options: Mapping[str, Any] = field(default_factory=dict)  # native options for relaxations
    quiet_options: Mapping[str, Any] = field(default_factory=dict)  # native options when no log is kept

    def installed(self) -> bool:
        """Whether the engine's package or executable is present (no licence check)."""
        if self.requires.startswith("exe:"):
            return shutil.which(self.requires[4:]) is not None
        return importlib.util.find_spec(self.requires) is not None

    def missing(self, needs: Set[Capability]) -> set[Capability]:
        """What a model with ``needs`` asks for that this engine cannot take."""
        return missing(self.capabilities, needs)

    def handover(self, needs: Set[Capability]) -> Handover | None:
        """How a model with ``needs`` goes to this engine, or None if the engine cannot take it."""
        if self.missing(needs):
            return None
        iface = next((i for cap, i in self.interface_for if cap in needs), self.interface)
        options: dict[str, Any] = dict(self.options_always)
        for cap, opts in self.options_unless.items():
            if cap not in needs:
                options.update(opts)
        for cap, opts in self.options_if.items():
            if cap in needs:
                options.update(opts)
        note = iface.note
        if needs <= self.heuristic_for:
            note = "heuristic"                      # on every model (a feasibility pump)
        elif needs & self.heuristic_for:
            note = "heuristic: " + ", ".join(sorted(str(c) for c in needs & self.heuristic_for))
        return Handover(iface.name, iface.family, options, note)

    def native_options(self, options: SolveOptions) -> dict[str, Any]:
        """Translate the common vocabulary of ``options`` (time_limit, mip_gap, threads, seed) to native names."""
        out: dict[str, Any] = {}
        for key, value in options.common().items():
            if value is None:
                continue
            native = self.option_names.get(key)
            if native is not None:
                out[native] = value
        return out


_NO_NLP = {"nlp/disable": True, "heuristics/subnlp/freq": -1}
_QP_CONE = frozenset({C.LINEAR, C.INTEGER, C.CONVEX_QP_OBJECTIVE, C.ROTATED_CONE})
_XPRESS_BARRIER = {"barprimalstop": 1e-10, "bardualstop": 1e-10, "bargapstop": 1e-10}

_CASADI = _QP_CONE | {C.NONCONVEX_QUADRATIC, C.DIVISION}

#: Bonmin's algorithms and what each cannot prove. B-BB solves every node's NLP to a local optimum (Ipopt), which
#: is the node's optimum where the model is convex and Ipopt converges. On the rotated cones (MISOCP, hull) it does
#: not always: Ipopt called feasible nodes infeasible (the hull, 2 of about 600 draws of the property test), and
#: once B-BB "proved" 7.9400 on a 2-to-4-activity MISOCP whose optimum is 7.9422 (a false certificate the cross-
#: checks did not catch). So B-BB proves the MIQP, the perspective and hull_oa only, and is a heuristic on the
#: cones and on the MINLP's δ² ≥ m²z. Outer approximation (B-OA, B-QG, B-Hyb) linearizes each nonlinear row as
#: written, and a tangent of g is valid only where the function g is convex: δ² − t·y ≤ 0 describes a convex set (a
#: rotated cone) with a function that is not convex, so on MISOCP and hull these algorithms are heuristics too.
#: B-QG and B-Hyb are treated as heuristics on every model because their certificates were seen to be wrong on
#: convex models: B-Hyb "completed" at 1,016.97 on a 10-activity MIQP whose optimum is 1,018.41, and B-QG at
#: 2,214.55 on a 20-activity perspective model whose optimum is 2,215.49 (both caught by the chord plan,
#: tests/test_bonmin.py). The iterated feasibility pump (B-iFP) is a heuristic on every model.
BONMIN_HEURISTIC_FOR: dict[str, frozenset[Capability]] = {
    "B-BB": frozenset({C.NONCONVEX_QUADRATIC, C.ROTATED_CONE}),
    "B-OA": frozenset({C.NONCONVEX_QUADRATIC, C.ROTATED_CONE}),
    "B-QG": frozenset(Capability),
    "B-Hyb": frozenset(Capability),
    "B-iFP": frozenset(Capability),
}

#: Tolerances of Bonmin's NLPs (Ipopt's ``tol`` and ``constr_viol_tol``, 1e-8 and 1e-4 by default: at the
#: defaults the example's plan came back 1.2e-6 above SCIP's optimum, from rows violated within 1e-4; at a
#: violation tolerance of 1e-10 Ipopt called a node of a feasible 3-activity MISOCP infeasible). The
#: cutoff decrement stays at its default (1e-5, absolute, on objectives of order 1 to 10⁴ in the model's
#: units): at 1e-9 the feasibility pump never stopped on a 10-activity MIQP. The bound a completed search
#: proves allows for it (casadi_nlp.proved_bound).
_BONMIN_TOLERANCES = {"bonmin.tol": 1e-10, "bonmin.constr_viol_tol": 1e-8, "bonmin.integer_tolerance": 1e-9}
_BONMIN_NAMES: dict[str, str | None] = {"time_limit": "bonmin.time_limit", "mip_gap": "bonmin.allowable_fraction_gap",
                                        "threads": None, "seed": "bonmin.random_generator_seed"}


def bonmin_variant(algorithm: str) -> Engine:
    """The ``bonmin`` engine running ``algorithm`` (one of :data:`BONMIN_HEURISTIC_FOR`), named ``bonmin:ALG``."""
    base = ENGINES["bonmin"]
    return replace(base, name=f"bonmin:{algorithm}", label=f"Bonmin {algorithm} (CasADi)",
                   options_always={**base.options_always, "bonmin.algorithm": algorithm},
                   heuristic_for=BONMIN_HEURISTIC_FOR[algorithm])


ENGINES: dict[str, Engine] = {
    "scip": Engine(
        name="scip", label="SCIP (PySCIPOpt)", requires="pyscipopt",
        install_hint="pip install pyscipopt",
        # Pyomo's scip_direct returns no duals.
        capabilities=_QP_CONE | {C.NONCONVEX_QUADRATIC, C.DIVISION},
        interface=Interface("scip_direct", "contrib"),
        # SCIP's bundled Ipopt (MUMPS/METIS) hung in free() on n = 750 MISOCP runs and aborted on
        # n ≥ 700 relaxations here; with it on, the perspective's division led SCIP 10 to a bound 0.1%
        # below the optimum of a 4-activity case (tests/test_scale.py), which it solves exactly with it
        # off. Its NLP solver is off: cones, quadratics and the perspective are handled by cuts.
        options_always=_NO_NLP,
        # With its convex-expression handler SCIP 10 proved a bound 0.23% below the optimum of a 2-activity case
        # of the perspective (δ²/((1 − ε)y + ε)); without it that case solves exactly, and so do the tests'
        # (turning the quotient handler off instead also fixed the case, but left a 25-activity case unproved
        # after 157,000 nodes at gap 0).
        options_if={C.DIVISION: {"nlhdlr/convex/enabled": False}},
        # SCIP's branch and bound is sequential: 'threads' has no native counterpart.
        option_names={"time_limit": "limits/time", "mip_gap": "limits/gap", "threads": None,
                      "seed": "randomization/randomseedshift"},
        read_nodes=_attr_path("_solver_model", "getNNodes"),
        # Without integers SCIP hands large convex NLPs to its NLP solver (Ipopt), which aborted
        # the process on n ≥ 700 relaxations here; cuts alone solve them in seconds.
        relaxation_options=_NO_NLP,
        # Without a log file SCIP need not even format its log (the adapter also hides SCIP's
        # output from Pyomo's captured pipe: see adapters._quiet_scip).
        quiet_options={"display/verblevel": 0},
    ),
    "gurobi": Engine(
        name="gurobi", label="Gurobi (gurobipy)", requires="gurobipy",
        install_hint="pip install gurobipy (size-limited without a licence file)",
        capabilities=_QP_CONE | {C.NONCONVEX_QUADRATIC, C.DIVISION, C.DUALS},
        # Pyomo 6.10's new-API 'gurobi_direct' is linear-only: quadratic models use the legacy one.
        interface=Interface("gurobi_direct", "legacy"),
        interface_for=((C.DIVISION, Interface("gurobi_direct_minlp", "contrib", "Gurobi ≥ 12 (general nonlinear)")),
                       (C.DUALS, Interface("gurobi_direct", "contrib"))),
        options_if={C.NONCONVEX_QUADRATIC: {"NonConvex": 2}},
        option_names={"time_limit": "TimeLimit", "mip_gap": "MIPGap", "threads": "Threads", "seed": "Seed"},
        read_nodes=_gurobi_nodes,
        size_limit="pip edition: about 200 variables once quadratic terms are present (2,000 for linear models)",
        licence_markers=("size-limited", "Model too large", "10010"),
    ),
    "cplex": Engine(
        name="cplex", label="CPLEX (cplex)", requires="cplex",
        install_hint="pip install cplex (Community Edition: 1,000 variables and 1,000 rows)",
        capabilities=_QP_CONE,   # no nonconvex quadratic rows; no division in the objective
        interface=Interface("cplex_direct", "legacy"),
        # With its default outer approximation of the cones, CPLEX's bound crossed its incumbent on small
        # MISOCPs and it stopped with an error (tests/test_scale.py); the cone relaxation at every node,
        # converged to 1e-8, solved the cases found (converged to 1e-10 it certified a plan 20% below the
        # optimum of one). Where CPLEX still stops on such an error, its incumbent is kept as a feasible
        # plan (adapters.run_legacy) and the certificate rule judges its bound.
        options_if={C.ROTATED_CONE: {"mip_strategy_miqcpstrat": 1, "barrier_qcpconvergetol": 1e-8}},
        option_names={"time_limit": "timelimit", "mip_gap": "mip_tolerances_mipgap", "threads": "threads",
                      "seed": "randomseed"},
        read_nodes=_cplex_nodes,
        size_limit="Community Edition: 1,000 variables and 1,000 rows",
        licence_markers=("1016", "Promotional version", "size limits", "Community Edition"),
    ),
    "xpress": Engine(
        name="xpress", label="FICO Xpress (xpress)", requires="xpress",
        install_hint="pip install xpress (Community licence: 200 rows plus columns for quadratic models)",
        # No division through xpress_direct; its nonconvex path is not verified here.
        capabilities=_QP_CONE,
        interface=Interface("xpress_direct", "legacy"),
        # Xpress solves QPs by barrier, whose default stops left a 4-activity MIQP's plan and bound 1.4e-6
        # below the optimum; its default for cones in a MIP is outer approximation, whose bound fell 1.4e-5
        # below a MISOCP's optimum (tests/test_scale.py). Barrier at every node with tight stops brackets
        # both within 1e-11.
        options_if={C.CONVEX_QP_OBJECTIVE: _XPRESS_BARRIER, C.ROTATED_CONE: {"miqcpalg": 0, **_XPRESS_BARRIER}},
        # Xpress prunes every node that cannot beat the incumbent by 1e-5 (its default cutoff offset),
        # absolute: on a model whose objective is of order 0.1 it stopped at a gap of 1.1e-4 when asked for
        # 5e-7 (tests/test_scale.py). A negligible offset lets the gap asked for decide.
        options_always={"mipaddcutoff": -1e-12},
        option_names={"time_limit": "timelimit", "mip_gap": "miprelstop", "threads": "threads",
                      "seed": "randomseed"},
        read_nodes=_attr_path("_solver_model", "attributes", "nodes"),
        size_limit="Community licence: 200 rows plus columns once quadratic terms are present (5,000 for linear models)",
        licence_markers=("too many rows and columns", "Community licen", "size limit"),
    ),
    "bonmin": Engine(
        name="bonmin", label="Bonmin B-BB (CasADi)", requires="casadi",
        install_hint="pip install 'mmo-pyomo[bonmin]' (the casadi wheel bundles Bonmin, Ipopt and CBC)",
        capabilities=_CASADI,
        interface=Interface("bonmin", "casadi"),
        options_always={"bonmin.algorithm": "B-BB", **_BONMIN_TOLERANCES},
        heuristic_for=BONMIN_HEURISTIC_FOR["B-BB"],
        option_names=_BONMIN_NAMES,
    ),
    "bonmin_asl": Engine(
        name="bonmin_asl", label="Bonmin (AMPL .nl)", requires="exe:bonmin",
        install_hint="put a 'bonmin' executable on PATH (e.g. from the COIN-OR or AMPL distributions), "
                     "or use --solver bonmin (CasADi's)",
        capabilities=_CASADI,
        interface=Interface("bonmin", "asl"),
        heuristic_for=BONMIN_HEURISTIC_FOR["B-BB"],
        option_names=_BONMIN_NAMES,
    ),
    "ipopt": Engine(
        name="ipopt", label="Ipopt (CasADi)", requires="casadi",
        install_hint="pip install 'mmo-pyomo[bonmin]' (the casadi wheel bundles Ipopt)",
        # Continuous models only: the relaxations. A local optimum of a convex model is its optimum, so
        # the optimum Ipopt reports is also the bound there (and unknown on a nonconvex model).
        capabilities=_CASADI - {C.INTEGER},
        interface=Interface("ipopt", "casadi"),
        options_always={"ipopt.tol": 1e-10, "ipopt.constr_viol_tol": 1e-10, "ipopt.sb": "yes"},
        heuristic_for=frozenset({C.NONCONVEX_QUADRATIC}),
        option_names={"time_limit": "ipopt.max_wall_time", "mip_gap": None, "threads": None, "seed": None},
    ),
    "highs": Engine(
        name="highs", label="HiGHS (highspy)", requires="highspy",
        install_hint="pip install highspy",
        # HiGHS has no integer QP and no cones: MILPs, LPs with duals, and continuous convex QPs.
        capabilities=frozenset({C.LINEAR, C.INTEGER, C.CONVEX_QP_OBJECTIVE, C.DUALS, C.MILP_ONLY}),
        interface=Interface("highs", "contrib"),
        option_names={"time_limit": "time_limit", "mip_gap": "mip_rel_gap", "threads": "threads",
                      "seed": "random_seed"},
        read_nodes=_highs_nodes,
    ),
}
