"""Unit tests of the pieces under the runner: status mapping, polishing, start values, model structure."""
from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.contrib.solver.common.results import TerminationCondition as NewTC
from pyomo.opt import TerminationCondition as LegacyTC

from mmo_pyomo.mix.checker import check_plan
from mmo_pyomo.mix.concrete import create_model, polish_delta, set_start
from mmo_pyomo.mix.runner import solve
from mmo_pyomo.model_library import FORMULATIONS
from mmo_pyomo.solvers.adapters import contrib_status, legacy_status
from mmo_pyomo.solvers.stats import STATUSES, Status, bound_gap, objective_gap

from helpers import random_instance

INST = random_instance(10, 3, rules=True, k_fraction=0.3)   # absent regions on activities 0–2, m = 0 on 3, a = 0 on 4


# --------------------------------------------------------------------------- status mapping
@pytest.mark.parametrize("tc,has_solution,expected", [
    (NewTC.convergenceCriteriaSatisfied, True, Status.OPTIMAL),
    (NewTC.maxTimeLimit, True, Status.FEASIBLE),
    (NewTC.maxTimeLimit, False, Status.TIME_LIMIT),
    (NewTC.provenInfeasible, False, Status.INFEASIBLE),
    (NewTC.locallyInfeasible, False, Status.INFEASIBLE),
    (NewTC.infeasibleOrUnbounded, False, Status.INFEASIBLE),
    (NewTC.unbounded, False, Status.UNBOUNDED),
    (NewTC.iterationLimit, True, Status.FEASIBLE),
    (NewTC.error, False, Status.ERROR),
    (NewTC.unknown, False, Status.ERROR),
])
def test_contrib_status_mapping(tc, has_solution, expected):
    assert contrib_status(tc, has_solution) is expected


@pytest.mark.parametrize("tc,has_solution,expected", [
    (LegacyTC.optimal, True, Status.OPTIMAL),
    (LegacyTC.globallyOptimal, True, Status.OPTIMAL),
    (LegacyTC.maxTimeLimit, True, Status.FEASIBLE),
    (LegacyTC.maxTimeLimit, False, Status.TIME_LIMIT),
    (LegacyTC.infeasible, False, Status.INFEASIBLE),
    (LegacyTC.invalidProblem, False, Status.INFEASIBLE),
    (LegacyTC.unbounded, False, Status.UNBOUNDED),
    (LegacyTC.optimal, False, Status.ERROR),       # 'optimal' with no solution loaded is not a plan
    (LegacyTC.error, False, Status.ERROR),
])
def test_legacy_status_mapping(tc, has_solution, expected):
    assert legacy_status(tc, has_solution) is expected


def test_status_is_a_closed_vocabulary_that_prints_as_its_value():
    assert STATUSES == ("optimal", "feasible", "infeasible", "unbounded", "time_limit", "interrupted", "error",
                        "unreliable", "cannot_run")
    assert Status.CANNOT_RUN == "cannot_run" and str(Status.OPTIMAL) == "optimal"
    assert f"{Status.TIME_LIMIT:<12}|" == "time_limit  |"


def test_the_two_gaps_are_different_measures():
    assert objective_gap(100.0, 110.0) == pytest.approx(0.10)     # against the plan
    assert bound_gap(100.0, 110.0) == pytest.approx(10 / 110)      # against the bound
    assert objective_gap(100.0, 90.0) == pytest.approx(-0.10)       # not clamped: the certificate rule judges it
    assert bound_gap(None, 1.0) is None and objective_gap(1.0, None) is None


# --------------------------------------------------------------------------- polish_delta
def test_polish_snaps_round_off_and_clips():
    inst = INST
    k_min = 5                                        # an activity with m > 0 and room both ways
    assert inst.min_change[k_min] > 0
    raw = np.zeros(inst.n)
    raw[k_min] = inst.min_change[k_min] * (1 - 1e-9)  # a hair short of the minimum: snapped to it
    raw[6] = 1e-9                                      # round-off around 0: snapped to 0
    raw[7] = (inst.upper[7] - inst.baseline[7]) + 1e-7  # a hair above the upper bound: clipped
    raw[8] = -0.5 * inst.min_change[8]                 # a real violation is left for the checker to find
    d = polish_delta(inst, raw)
    assert d[k_min] == inst.min_change[k_min]
    assert d[6] == 0.0
    assert d[7] == inst.upper[7] - inst.baseline[7]
    assert d[8] == raw[8]
    assert not check_plan(inst, inst.baseline + d).feasible


# --------------------------------------------------------------------------- start values
def _violations(model: pyo.ConcreteModel, tol: float = 1e-7) -> list[str]:
    """Every constraint or variable bound the model's current values break."""
    bad = []
    for c in model.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(c.body)
        if c.has_lb() and body < pyo.value(c.lower) - tol * max(1.0, abs(pyo.value(c.lower))):
            bad.append(f"{c.name}: {body} < {pyo.value(c.lower)}")
        if c.has_ub() and body > pyo.value(c.upper) + tol * max(1.0, abs(pyo.value(c.upper))):
            bad.append(f"{c.name}: {body} > {pyo.value(c.upper)}")
    for v in model.component_data_objects(pyo.Var):
        if v.value is None:
            bad.append(f"{v.name} has no value")
        elif (v.lb is not None and v.value < v.lb - tol) or (v.ub is not None and v.value > v.ub + tol):
            bad.append(f"{v.name} = {v.value} outside [{v.lb}, {v.ub}]")
    return bad


def _plans(inst):
    optimum = solve(inst, "miqp", "scip", mip_gap=0.0)
    return {"baseline": np.zeros(inst.n), "optimum": optimum.delta}


@pytest.mark.parametrize("formulation", list(FORMULATIONS))
def test_start_from_a_known_plan_is_feasible_and_worth_its_revenue(formulation):
    for label, delta in _plans(INST).items():
        model = create_model(INST, formulation)
        set_start(model, formulation, INST, delta)
        assert _violations(model) == [], (formulation, label)
        revenue = check_plan(INST, INST.baseline + delta).revenue
        objective = pyo.value(model.revenue)
        rel = 1e-5 if formulation == "perspective" else 1e-9   # the ε-perspective differs by O(ε)
        assert objective == pytest.approx(revenue, rel=rel), (formulation, label)


# --------------------------------------------------------------------------- structure
def _counts(model: pyo.ConcreteModel) -> tuple[dict[str, int], dict[str, int]]:
    var = {v.local_name: len(v) for v in model.component_objects(pyo.Var)}
    con = {c.local_name: len(c) for c in model.component_objects(pyo.Constraint, active=True)}
    return var, con


def test_structure_of_each_formulation():
    inst = INST
    n = inst.n
    reg = inst.regions
    rules = 2                                   # both rules have terms and bounds
    m_pos = int((inst.min_change > 0).sum())
    curved = inst.quad != 0
    regions_v = {"d": n, "z_dec": n, "z_none": n, "z_inc": n, "d_dec": n, "d_inc": n}
    regions_c = {"budget": 1, "business_rules": rules, "delta_split": n, "region_choice": n, "dec_region_lower": n,
                 "dec_region_upper": n, "inc_region_lower": n, "inc_region_upper": n, "cardinality": 1}
    expected = {
        "minlp": ({"d": n, "z": n},
                  {"budget": 1, "business_rules": rules, "min_change_lower": m_pos, "change_upper": n,
                   "change_lower": n, "cardinality": 1}),
        "miqp": (regions_v, regions_c),
        "perspective": ({**regions_v, "y": n}, {**regions_c, "changed_link": n}),
        "misocp": ({**regions_v, "y": n, "t": n}, {**regions_c, "changed_link": n, "cone": int(curved.sum())}),
        "hull": ({**regions_v, "t_dec": n, "t_inc": n},
                 {**regions_c, "cone_dec": int((curved & reg.has_dec).sum()),
                  "cone_inc": int((curved & reg.has_inc).sum())}),
    }
    for name, (vars_, cons) in expected.items():
        got_v, got_c = _counts(create_model(inst, name))
        assert got_v == vars_, name
        assert got_c == cons, name


@pytest.mark.parametrize("formulation", ["miqp", "perspective", "misocp", "hull"])
def test_absent_regions_are_fixed_to_zero(formulation):
    inst = INST
    reg = inst.regions
    assert not reg.has_dec.all() and not reg.has_inc.all()     # the instance has absent regions
    model = create_model(inst, formulation)
    for k, a in enumerate(inst.activities):
        if not reg.has_dec[k]:
            assert model.z_dec[a].ub == 0 and (model.d_dec[a].lb, model.d_dec[a].ub) == (0, 0)
        if not reg.has_inc[k]:
            assert model.z_inc[a].ub == 0 and (model.d_inc[a].lb, model.d_inc[a].ub) == (0, 0)


def test_validation_happens_once_and_can_be_skipped():
    from mmo_pyomo.instance.validate import is_validated
    fresh = INST.with_changes(max_changes=INST.max_changes)          # a new object, not yet checked
    assert not is_validated(fresh)
    create_model(fresh, "miqp")
    assert is_validated(fresh)
    bad = INST.with_changes(quad=np.abs(INST.quad) + 0.01)            # convex: validation would refuse it
    model = create_model(bad, "miqp", validate_instance=False)        # skipped on request: built as given
    assert not is_validated(bad) and len(model.delta) == bad.n


# --------------------------------------------------------------------------- documentation
@pytest.mark.parametrize("doc", ["README.md", "formulations/README.md"])
def test_engine_matrix_in_the_docs_is_derived_from_the_declarations(doc):
    from pathlib import Path

    from mmo_pyomo.cli.engine_listing import matrix_markdown
    text = (Path(__file__).resolve().parent.parent / doc).read_text()
    inside = text.split("<!-- engine-matrix:start -->\n")[1].split("\n<!-- engine-matrix:end -->")[0]
    assert inside == matrix_markdown(), f"regenerate the table in {doc}: python -m mmo_pyomo.cli.engine_listing"


# --------------------------------------------------------------------------- layers
#: What each layer may not import (a module's layer is its subpackage; top-level modules are "base").
FORBIDDEN = {
    "base": {"instance", "curves", "model_library", "solvers", "mix", "offers", "study", "cli", "data"},
    "instance": {"model_library", "solvers", "mix", "offers", "study", "cli"},     # nothing that solves
    "curves": {"model_library", "solvers", "mix", "offers", "study", "cli"},
    "solvers": {"instance", "curves", "model_library", "mix", "offers", "study", "cli"},
    "model_library": {"mix", "offers", "study", "cli"},
    "mix": {"offers", "study", "cli"},
    "offers": {"instance", "curves", "model_library", "mix", "study", "cli"},
    "study": {"cli", "page"},
    "page": {"instance", "curves", "model_library", "solvers", "mix", "offers", "study", "cli", "data"},  # records only
}


def _import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports at run time (inside functions too; not under TYPE_CHECKING).
    ``from package import module`` imports that module."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "mmo_pyomo"
    modules = {}
    for path in root.rglob("*.py"):
        parts = ("mmo_pyomo",) + path.relative_to(root).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text())
        hidden = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
                  for n in ast.walk(node)}
        deps: set[str] = set()
        for node in ast.walk(tree):
            if id(node) in hidden:
                continue
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mmo_pyomo"):
                subs = {f"{node.module}.{a.name}" for a in node.names} & set(modules)
                deps |= subs
                if len(subs) < len(node.names):
                    deps.add(node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("mmo_pyomo")}
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


PACKAGES = {"instance", "curves", "model_library", "solvers", "mix", "offers", "study", "cli", "data", "page"}


def _layer(module: str) -> str:
    """The subpackage of ``module`` (``mmo_pyomo.mix.runner`` → ``mix``), or "base" for a top-level module."""
    if module == "mmo_pyomo.__main__":            # ``python -m mmo_pyomo``: an entry point, like the CLI
        return "cli"
    parts = module.split(".")
    return parts[1] if len(parts) >= 2 and parts[1] in PACKAGES else "base"


def test_layers_point_one_way():
    """curves/ and instance/ import nothing that solves; solvers/ nothing of the formulations; offers/ nothing of
    marketing mix; the CLI is imported by nothing."""
    graph = _import_graph()
    bad = [(m, d) for m, deps in graph.items() for d in deps
           if m != "mmo_pyomo" and _layer(d) in FORBIDDEN.get(_layer(m), set())]
    assert not bad, bad


def test_no_two_modules_import_each_other():
    graph = _import_graph()
    mutual = sorted({tuple(sorted((a, b))) for a, deps in graph.items() for b in deps if a in graph.get(b, set())})
    assert not mutual, mutual


def test_the_setup_lists_every_package():
    """setup.cfg lists the packages (data/ installs as mmo_pyomo.data): none may be missing."""
    import configparser
    from pathlib import Path

    from setuptools import find_packages
    root = Path(__file__).resolve().parent.parent
    cfg = configparser.ConfigParser()
    cfg.read(root / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    assert listed == set(find_packages(str(root), include=["mmo_pyomo*"])) | {"mmo_pyomo.data"}
