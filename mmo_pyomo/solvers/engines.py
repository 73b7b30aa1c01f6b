"""The engine table: one entry per engine, declared once.

Each :class:`Engine` states how it is installed, which formulations it takes and through
which Pyomo interface (a :class:`Handover`), the engine's own name for each option of the
common vocabulary, how to read its node count, and how its size-limited edition fails.
``tests/test_engines.py`` solves every entry of this table; nothing here is assumed.
"""
from __future__ import annotations

import importlib.util
import shutil
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

#: The common option vocabulary (mapped once per engine in ``Engine.option_names``).
OPTION_KEYS = ("time_limit", "mip_gap", "threads", "seed")


@dataclass(frozen=True)
class Handover:
    """How one formulation is handed to one engine."""

    interface: str                                    # the Pyomo solver name
    family: str                                       # 'contrib', 'legacy' or 'asl'
    build_options: Mapping[str, Any] = field(default_factory=dict)   # formulation builder options
    solver_options: Mapping[str, Any] = field(default_factory=dict)  # extra native options
    note: str = ""                                    # e.g. 'heuristic: nonconvex'


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


def _gurobi_nodes(opt: Any, results: Any = None) -> int | None:
    extra = getattr(results, "extra_info", None)       # new API: results.extra_info.NodeCount
    if extra is not None and extra.get("NodeCount") is not None:
        return int(extra.NodeCount)
    return _attr_path("_solver_model", "NodeCount")(opt)  # legacy API: the gurobipy model


@dataclass(frozen=True)
class Engine:
    """One engine of the registry."""

    name: str
    label: str
    requires: str                        # python module, or 'exe:NAME' for an executable on PATH
    install_hint: str
    handovers: Mapping[str, Handover]    # formulation → how it is handed over
    option_names: Mapping[str, str | None]
    read_nodes: NodeReader | None = None
    size_limit: str | None = None        # the pip edition's limit, for messages
    licence_markers: tuple[str, ...] = ()  # substrings of the engine's size-limit error
    relaxations: bool = False            # can solve continuous relaxations (QP/SOCP/LP)
    relaxation_options: Mapping[str, Any] = field(default_factory=dict)  # native options for relaxations
    lp_interface: str | None = None      # new-API Pyomo interface for LPs with duals (offer optimization)
    quiet_options: Mapping[str, Any] = field(default_factory=dict)  # native options when no log is kept

    def installed(self) -> bool:
        """Whether the engine's package or executable is present (no licence check)."""
        if self.requires.startswith("exe:"):
            return shutil.which(self.requires[4:]) is not None
        return importlib.util.find_spec(self.requires) is not None

    def native_options(self, **common: Any) -> dict[str, Any]:
        """Translate the common vocabulary (time_limit, mip_gap, threads, seed) to native names."""
        out: dict[str, Any] = {}
        for key, value in common.items():
            if value is None:
                continue
            native = self.option_names.get(key)
            if native is not None:
                out[native] = value
        return out


_SQUARE = {"min_change_form": "square"}
_NO_NLP = {"nlp/disable": True, "heuristics/subnlp/freq": -1}

ENGINES: dict[str, Engine] = {
    "scip": Engine(
        name="scip", label="SCIP (PySCIPOpt)", requires="pyscipopt",
        install_hint="pip install pyscipopt",
        handovers={
            # SCIP's bundled Ipopt (MUMPS/METIS) hung in free() on n = 750 MISOCP runs and aborted on
            # n ≥ 700 relaxations here: its NLP solver is off except for the perspective, whose
            # division it needs. Cones and quadratics are handled by cuts.
            "minlp": Handover("scip_direct", "contrib", _SQUARE, _NO_NLP),
            "miqp": Handover("scip_direct", "contrib", solver_options=_NO_NLP),
            "perspective": Handover("scip_direct", "contrib"),
            "misocp": Handover("scip_direct", "contrib", solver_options=_NO_NLP),
            "hull": Handover("scip_direct", "contrib", solver_options=_NO_NLP),
        },
        # SCIP's branch and bound is sequential: 'threads' has no native counterpart.
        option_names={"time_limit": "limits/time", "mip_gap": "limits/gap", "threads": None,
                      "seed": "randomization/randomseedshift"},
        read_nodes=_attr_path("_solver_model", "getNNodes"),
        relaxations=True,
        # Without integers SCIP hands large convex NLPs to its NLP solver (Ipopt), which aborted
        # the process on n ≥ 700 relaxations here; cuts alone solve them in seconds.
        relaxation_options=_NO_NLP,   # no lp_interface: Pyomo's scip_direct returns no duals
        # Without a log file SCIP need not even format its log (the adapter also hides SCIP's
        # output from Pyomo's captured pipe: see adapters._quiet_scip).
        quiet_options={"display/verblevel": 0},
    ),
    "gurobi": Engine(
        name="gurobi", label="Gurobi (gurobipy)", requires="gurobipy",
        install_hint="pip install gurobipy (size-limited without a licence file)",
        handovers={
            # Pyomo 6.10's new-API 'gurobi_direct' is linear-only: quadratic models use the legacy one.
            "minlp": Handover("gurobi_direct", "legacy", _SQUARE, {"NonConvex": 2}),
            "miqp": Handover("gurobi_direct", "legacy"),
            "perspective": Handover("gurobi_direct_minlp", "contrib", note="Gurobi ≥ 12 (general nonlinear)"),
            "misocp": Handover("gurobi_direct", "legacy"),
            "hull": Handover("gurobi_direct", "legacy"),
        },
        option_names={"time_limit": "TimeLimit", "mip_gap": "MIPGap", "threads": "Threads", "seed": "Seed"},
        read_nodes=_gurobi_nodes,
        lp_interface="gurobi_direct",
        size_limit="pip edition: about 200 variables once quadratic terms are present (2,000 for linear models)",
        licence_markers=("size-limited", "Model too large", "10010"),
        relaxations=True,
    ),
    "cplex": Engine(
        name="cplex", label="CPLEX (cplex)", requires="cplex",
        install_hint="pip install cplex (Community Edition: 1,000 variables and 1,000 rows)",
        handovers={
            "miqp": Handover("cplex_direct", "legacy"),
            "misocp": Handover("cplex_direct", "legacy"),
            "hull": Handover("cplex_direct", "legacy"),
        },
        option_names={"time_limit": "timelimit", "mip_gap": "mip_tolerances_mipgap", "threads": "threads",
                      "seed": "randomseed"},
        read_nodes=_cplex_nodes,
        size_limit="Community Edition: 1,000 variables and 1,000 rows",
        licence_markers=("1016", "Promotional version", "size limits", "Community Edition"),
        relaxations=True,
    ),
    "xpress": Engine(
        name="xpress", label="FICO Xpress (xpress)", requires="xpress",
        install_hint="pip install xpress (Community licence: 200 rows plus columns for quadratic models)",
        handovers={
            "miqp": Handover("xpress_direct", "legacy"),
            "misocp": Handover("xpress_direct", "legacy"),
            "hull": Handover("xpress_direct", "legacy"),
        },
        option_names={"time_limit": "timelimit", "mip_gap": "miprelstop", "threads": "threads",
                      "seed": "randomseed"},
        read_nodes=_attr_path("_solver_model", "attributes", "nodes"),
        size_limit="Community licence: 200 rows plus columns once quadratic terms are present (5,000 for linear models)",
        licence_markers=("too many rows and columns", "Community licen", "size limit"),
        relaxations=True,
    ),
    "bonmin": Engine(
        name="bonmin", label="Bonmin (AMPL .nl)", requires="exe:bonmin",
        install_hint="put a 'bonmin' executable on PATH (e.g. from the COIN-OR or AMPL distributions)",
        handovers={
            "minlp": Handover("bonmin", "asl", _SQUARE, note="heuristic: the MINLP is nonconvex"),
            "miqp": Handover("bonmin", "asl"),
            "perspective": Handover("bonmin", "asl"),
            "misocp": Handover("bonmin", "asl"),
            "hull": Handover("bonmin", "asl"),
        },
        option_names={"time_limit": "bonmin.time_limit", "mip_gap": "bonmin.allowable_fraction_gap",
                      "threads": None, "seed": None},
    ),
    "highs": Engine(
        name="highs", label="HiGHS (highspy)", requires="highspy",
        install_hint="pip install highspy",
        handovers={},   # HiGHS has no MIQP or cones: it takes the QP relaxation of the MIQP and LPs
        option_names={"time_limit": "time_limit", "mip_gap": "mip_rel_gap", "threads": "threads",
                      "seed": "random_seed"},
        read_nodes=_attr_path("_solver_model", "getInfo", "mip_node_count"),
        relaxations=True,
        lp_interface="highs",
    ),
}
