"""The instance schema as Pyomo components, and conversions between Pyomo data and :class:`Instance`.

:func:`declare_data` is the one place where the `.dat` names become Pyomo Sets and Params.
Both the `.dat` reader and every formulation call it, so they cannot drift apart.
"""
from __future__ import annotations

import math
from typing import Any

import pyomo.environ as pyo

from mmo_pyomo.instance.schema import ACTIVITY_FIELDS, Instance


def declare_data(m: pyo.Block) -> None:
    """Declare the sets and parameters of docs/mathematics.md §1 on ``m`` (abstract or concrete)."""
    m.ACTIVITIES = pyo.Set(ordered=True, doc="marketing activities i")
    m.RULES = pyo.Set(ordered=True, initialize=[], doc="business rules r (may be empty)")
    docs = {
        "baseline": "current spend x̄_i", "lower": "spend lower bound l_i", "upper": "spend upper bound u_i",
        "min_change": "minimum change m_i", "quad": "a_i (≤ 0)", "lin": "b_i", "const": "c_i",
    }
    for fname in ACTIVITY_FIELDS:
        m.add_component(fname, pyo.Param(m.ACTIVITIES, within=pyo.Any, doc=docs[fname]))
    m.budget_lower = pyo.Param(within=pyo.Any, default=0.0, doc="β⁻, fraction of Σx̄")
    m.budget_upper = pyo.Param(within=pyo.Any, doc="β⁺, fraction of Σx̄")
    m.max_changes = pyo.Param(within=pyo.Any, doc="K, maximum number of changed activities")
    m.rule_coef = pyo.Param(m.RULES, m.ACTIVITIES, within=pyo.Any, default=0.0, doc="g_ri")
    m.rule_lower = pyo.Param(m.RULES, within=pyo.Any, default=-math.inf, doc="L_r")
    m.rule_upper = pyo.Param(m.RULES, within=pyo.Any, default=math.inf, doc="U_r")
    # response curves (mmo_pyomo.curves), instead of quad, lin and const
    m.curve_family = pyo.Param(m.ACTIVITIES, within=pyo.Any, doc="hill, michaelis_menten, logistic or table")
    for p, doc in CURVE_PARAMS.items():
        m.add_component(f"curve_{p}", pyo.Param(m.ACTIVITIES, within=pyo.Any, doc=doc))
    m.curve_spend = pyo.Param(m.ACTIVITIES, pyo.PositiveIntegers, within=pyo.Any, doc="spend of table point p")
    m.curve_response = pyo.Param(m.ACTIVITIES, pyo.PositiveIntegers, within=pyo.Any, doc="response of table point p")
    for p, doc in CURVE_PARAMS.items():          # curves that are the mean of posterior draws d = 1, 2, …
        m.add_component(f"curve_draw_{p}", pyo.Param(m.ACTIVITIES, pyo.PositiveIntegers, within=pyo.Any,
                                                     doc=f"{doc} of posterior draw d"))


#: The curves' scalar parameters (``curve_beta`` and so on in a `.dat`).
CURVE_PARAMS = {"beta": "scale β", "k": "half-saturation k", "s": "Hill shape s", "lam": "logistic rate λ"}


def to_pyomo_data(inst: Instance) -> dict[Any, Any]:
    """The ``data`` argument of ``AbstractModel.create_instance`` for this instance."""
    acts = list(inst.activities)
    data: dict[str, Any] = {"ACTIVITIES": {None: acts}, "RULES": {None: list(inst.rules)}}
    for fname in ACTIVITY_FIELDS:
        data[fname] = dict(zip(acts, getattr(inst, fname).tolist()))
    data["budget_lower"] = {None: inst.budget_lower}
    data["budget_upper"] = {None: inst.budget_upper}
    data["max_changes"] = {None: inst.max_changes}
    data["rule_coef"] = {
        (inst.rules[r], acts[a]): c
        for r, a, c in zip(inst.rule_index.tolist(), inst.rule_activity.tolist(), inst.rule_coef.tolist())
    }
    data["rule_lower"] = {r: v for r, v in zip(inst.rules, inst.rule_lower.tolist()) if math.isfinite(v)}
    data["rule_upper"] = {r: v for r, v in zip(inst.rules, inst.rule_upper.tolist()) if math.isfinite(v)}
    return {None: data}


def instance_from_raw(raw: dict[str, Any], name: str = "instance") -> Instance:
    """Build an :class:`Instance` from DataPortal-style data (``{param: {index: value}}``)."""
    def scalar(key: str):
        v = raw.get(key)
        return None if v is None else v.get(None)

    acts = (raw.get("ACTIVITIES") or {}).get(None)
    if acts is None:
        from mmo_pyomo.errors import DataError
        raise DataError("missing set 'ACTIVITIES'", "add 'set ACTIVITIES := ...;' listing every activity")
    to_str = lambda d: {str(k): v for k, v in (d or {}).items()}
    params = {f: to_str(raw.get(f)) for f in ACTIVITY_FIELDS if raw.get(f)}
    family = to_str(raw.get("curve_family"))
    if family:
        from mmo_pyomo.errors import DataError
        given = [f for f in ("quad", "lin", "const") if params.get(f)]
        if given:
            raise DataError(f"the data give both {given} and curve_family", "keep either the quadratic or the curves")
        params.update({f: {str(a): 0.0 for a in acts} for f in ("quad", "lin", "const")})
    inst = Instance.from_mappings(
        activities=[str(a) for a in acts],
        params=params,
        budget_upper=scalar("budget_upper"), budget_lower=scalar("budget_lower"),
        max_changes=scalar("max_changes"),
        rules=[str(r) for r in (raw.get("RULES") or {}).get(None, [])],
        rule_coef={(str(k[0]), str(k[1])): v for k, v in (raw.get("rule_coef") or {}).items()},
        rule_lower=to_str(raw.get("rule_lower")), rule_upper=to_str(raw.get("rule_upper")),
        name=name,
    )
    if not family:
        return inst
    from mmo_pyomo.curves.curve_files import with_curves
    from mmo_pyomo.curves.families import ResponseCurves
    rows = {a: {"family": family.get(a), **{p: to_str(raw.get(f"curve_{p}")).get(a) for p in CURVE_PARAMS}}
            for a in inst.activities if a in family}
    points: dict[str, list[tuple[float, float]]] = {}
    spend, response = raw.get("curve_spend") or {}, raw.get("curve_response") or {}
    for (a, p) in sorted(spend, key=lambda key: (str(key[0]), key[1])):
        points.setdefault(str(a), []).append((float(spend[a, p]), float(response.get((a, p), math.nan))))
    draws: dict[str, dict[Any, dict[str, object]]] = {}
    for p in CURVE_PARAMS:
        for (a, d), v in (raw.get(f"curve_draw_{p}") or {}).items():
            draws.setdefault(str(a), {}).setdefault(d, {})[p] = v
    ordered = {a: [by_draw[d] for d in sorted(by_draw)] for a, by_draw in draws.items()}
    return with_curves(inst, ResponseCurves.from_rows(inst.activities, rows, points, "the .dat curve parameters",
                                                      ordered))


def instance_from_model(m: pyo.Block) -> Instance:
    """Read the data of a constructed model back into an :class:`Instance`."""
    acts = list(m.ACTIVITIES)
    raw: dict[str, Any] = {"ACTIVITIES": {None: acts}, "RULES": {None: list(m.RULES)}}
    for fname in ACTIVITY_FIELDS:
        p = getattr(m, fname)
        raw[fname] = dict(p.sparse_items())
    for key in ("budget_lower", "budget_upper", "max_changes"):
        try:
            raw[key] = {None: pyo.value(getattr(m, key))}
        except ValueError:  # declared without default and given no value
            raw[key] = None
    raw["rule_coef"] = dict(m.rule_coef.sparse_items())
    raw["rule_lower"] = dict(m.rule_lower.sparse_items())
    raw["rule_upper"] = dict(m.rule_upper.sparse_items())
    for key in ("curve_family", *(f"curve_{p}" for p in CURVE_PARAMS), "curve_spend", "curve_response",
                *(f"curve_draw_{p}" for p in CURVE_PARAMS)):
        raw[key] = dict(getattr(m, key).sparse_items())
    return instance_from_raw(raw, name=str(m.name))
