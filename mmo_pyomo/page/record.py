"""The result record the page reads, checked strictly before anything is drawn: for each kind, the type of
every field the page uses. A damaged or crafted record is an ``MMOError`` naming the field's path
(``details.activities[3].activity: expected text, got null``) and how to write the record again."""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mmo_pyomo.errors import MMOError

#: How to write each kind of record again.
REMAKE = {"mix": "write it again with mmo solve --json", "pareto": "write it again with mmo pareto --json",
          "offers": "write it again with mmo offers solve (its report.json)",
          "offers_sweep": "write it again with mmo offers sweep --json"}


class RecordError(MMOError):
    """A field of a result record is missing or of the wrong type."""


def _what(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number" if math.isfinite(value) else f"the non-finite number {value!r}"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "a record" if isinstance(value, dict) else type(value).__name__


Fault = tuple[str, str, Any]   # (path, what was expected, the value found; ... if missing)


class Spec:
    """What one field must hold; ``check`` returns the first fault or None."""

    def describe(self) -> str:
        raise NotImplementedError

    def check(self, value: Any, path: str) -> Fault | None:
        raise NotImplementedError


@dataclass
class Scalar(Spec):
    """A text, number or boolean that ``test`` accepts (or null, if ``nullable``)."""
    expected: str
    test: Callable[[Any], bool]
    nullable: bool = False

    def describe(self) -> str:
        return self.expected

    def check(self, value: Any, path: str) -> Fault | None:
        ok = (value is None and self.nullable) or (value is not None and self.test(value))
        return None if ok else (path, self.expected, value)


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


TEXT = Scalar("text", lambda v: isinstance(v, str))
TEXT_OR_NULL = Scalar("text or null", TEXT.test, True)
NUMBER = Scalar("a finite number", _number)
NUMBER_OR_NULL = Scalar("a finite number or null", _number, True)
COUNT = Scalar("a whole number", lambda v: _number(v) and float(v).is_integer())
COUNT_OR_NULL = Scalar("a whole number or null", COUNT.test, True)
BOOLEAN = Scalar("true or false", lambda v: isinstance(v, bool))


@dataclass
class ListOf(Spec):
    """A list whose every item holds ``item``."""
    item: Spec
    nonempty: bool = False
    nullable: bool = False

    def describe(self) -> str:
        return "a list"

    def check(self, value: Any, path: str) -> Fault | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, list) or (self.nonempty and not value):
            return path, "a non-empty list" if self.nonempty else "a list", value
        for i, v in enumerate(value):
            fault = self.item.check(v, f"{path}[{i}]")
            if fault:
                return fault
        return None


@dataclass
class Record(Spec):
    """A JSON object: ``required`` keys must be there, ``optional`` keys may be missing (the page reads them with
    a default); both must hold what their spec says. ``rule`` checks what relates fields (e.g. equal lengths)
    once each field is right."""
    required: Mapping[str, Spec]
    optional: Mapping[str, Spec] = field(default_factory=dict)
    nullable: bool = False
    rule: Callable[[dict[str, Any], str], Fault | None] | None = None

    def describe(self) -> str:
        return "a record"

    def check(self, value: Any, path: str) -> Fault | None:
        if value is None and self.nullable:
            return None
        if not isinstance(value, dict):
            return path or "the result", "a record", value
        prefix = f"{path}." if path else ""
        for key, spec in self.required.items():
            if key not in value:
                return f"{prefix}{key}", spec.describe(), ...
            fault = spec.check(value[key], f"{prefix}{key}")
            if fault:
                return fault
        for key, spec in self.optional.items():
            if key in value:
                fault = spec.check(value[key], f"{prefix}{key}")
                if fault:
                    return fault
        return self.rule(value, path) if self.rule else None


def _curve_rule(curve: dict[str, Any], path: str) -> Fault | None:
    if len(curve["revenue"]) != len(curve["spend"]):
        return f"{path}.revenue", f"as many values as spend ({len(curve['spend'])})", curve["revenue"]
    return None


def _matrix_rule(contacts: dict[str, Any], path: str) -> Fault | None:
    rows, columns = len(contacts["offers"]), len(contacts["channels"])
    for name in ("counts", "profit"):
        m = contacts[name]
        if len(m) != rows or any(len(r) != columns for r in m):
            return f"{path}.{name}", f"{rows} rows (offers) of {columns} numbers (channels)", m
    return None


def _pareto_rule(record: dict[str, Any], path: str) -> Fault | None:
    points = record["points"]
    if all(p["revenue"] is None for p in points):
        return "points", "at least one point with a revenue", points
    for i, p in enumerate(points):
        if p["knee"] and p["revenue"] is not None:
            for key in ("revenue_pct", "lift_pct"):
                if not _number(p.get(key)):
                    return f"points[{i}].{key}", "a finite number (the point is the knee)", p.get(key, ...)
    return None


def _sweep_rule(sweep: dict[str, Any], path: str) -> Fault | None:
    param = sweep["parameter"]
    for i, r in enumerate(sweep["rows"]):
        if not _number(r.get(param)):
            return f"{path}.rows[{i}].{param}", "a finite number (the swept amount)", r.get(param, ...)
    return None


CURVE = Record({"activity": TEXT, "spend": ListOf(NUMBER, True), "revenue": ListOf(NUMBER, True),
                "baseline": NUMBER, "new_spend": NUMBER, "lower": NUMBER, "upper": NUMBER, "min_change": NUMBER},
               rule=_curve_rule)
DETAILS = Record({
    "activities": ListOf(Record({"activity": TEXT, "baseline": NUMBER, "new_spend": NUMBER, "change": NUMBER,
                                 "region": TEXT, "revenue_gain": NUMBER})),
    "budget": Record({"total_spend": NUMBER, "baseline_spend": NUMBER, "lower": NUMBER_OR_NULL,
                      "upper": NUMBER_OR_NULL, "binding": TEXT_OR_NULL}),
    "changes": Record({"count": COUNT, "max_changes": COUNT, "binding": TEXT_OR_NULL}),
    "rules": ListOf(Record({"rule": TEXT, "level": NUMBER, "lower": NUMBER_OR_NULL, "upper": NUMBER_OR_NULL,
                            "binding": TEXT_OR_NULL})),
    "curves": ListOf(CURVE),
    "revenue_model": TEXT}, nullable=True)
#: What the certificate of a marketing-mix result reads.
_ENGINE = {"status": TEXT_OR_NULL, "formulation": TEXT_OR_NULL, "solver": TEXT_OR_NULL, "instance": TEXT_OR_NULL}
MIX = Record({}, {**_ENGINE, "solver_version": TEXT_OR_NULL, "nodes": COUNT_OR_NULL, "time_s": NUMBER_OR_NULL,
                  "bound": NUMBER_OR_NULL, "gap": NUMBER_OR_NULL, "objective": NUMBER_OR_NULL,
                  "interpolation_error": NUMBER_OR_NULL, "message": TEXT_OR_NULL, "lift": NUMBER_OR_NULL,
                  "target": TEXT_OR_NULL, "risk": TEXT_OR_NULL, "baseline_revenue": NUMBER_OR_NULL, "details": DETAILS,
                  "approximation": Record({"error_sum_k_largest": NUMBER}, nullable=True),
                  "improvement": Record({"start_revenue": NUMBER, "revenue": NUMBER, "time_s": NUMBER_OR_NULL},
                                        nullable=True)})
PARETO = Record({"points": ListOf(Record({"max_changes": COUNT, "status": TEXT, "revenue": NUMBER_OR_NULL,
                                          "knee": BOOLEAN},
                                         {"bound": NUMBER_OR_NULL, "gap": NUMBER_OR_NULL, "n_changes": COUNT_OR_NULL,
                                          "revenue_pct": NUMBER_OR_NULL, "lift_pct": NUMBER_OR_NULL}), True)},
                _ENGINE, rule=_pareto_rule)
OFFERS = Record(
    {"profit": NUMBER, "cost": NUMBER, "offers_made": COUNT, "customers": COUNT,
     "constraints": ListOf(Record({"name": TEXT, "level": NUMBER_OR_NULL, "bound": NUMBER_OR_NULL,
                                   "slack": NUMBER_OR_NULL}, {"marginal_value": NUMBER_OR_NULL}))},
    {"roi": NUMBER_OR_NULL, "bound": NUMBER_OR_NULL, "bound_gap": NUMBER_OR_NULL, "method": TEXT_OR_NULL,
     "algorithm": TEXT_OR_NULL, "time_s": NUMBER_OR_NULL,
     "contacts": Record({"offers": ListOf(TEXT), "channels": ListOf(TEXT), "counts": ListOf(ListOf(NUMBER)),
                         "profit": ListOf(ListOf(NUMBER))}, nullable=True, rule=_matrix_rule),
     "policies": ListOf(Record({"name": TEXT, "limit": NUMBER_OR_NULL, "bound": COUNT, "what": TEXT}), nullable=True)})
SWEEP = Record({"sweeps": ListOf(Record(
    {"parameter": TEXT, "rows": ListOf(Record({"profit": NUMBER}, {"bound": NUMBER_OR_NULL,
                                                                  "bound_gap": NUMBER_OR_NULL, "roi": NUMBER_OR_NULL,
                                                                  "marginal_value": NUMBER_OR_NULL}), True)},
    rule=_sweep_rule))}, {"campaign": TEXT_OR_NULL})
SCHEMAS: dict[str, Record] = {"mix": MIX, "pareto": PARETO, "offers": OFFERS, "offers_sweep": SWEEP}


def check_record(record: Any) -> str:
    """The kind of ``record`` once every field the page reads has the right type; else a ``RecordError``
    naming the first field that does not, and how to write the record again."""
    kind = record.get("kind") if isinstance(record, dict) else None
    if not isinstance(kind, str) or kind not in SCHEMAS:
        raise RecordError(f"the result has kind {kind!r}, which no page draws",
                          f"give a result written with --json by mmo solve, mmo pareto or mmo offers sweep, or an "
                          f"offers report.json (kinds: {', '.join(SCHEMAS)})")
    fault = SCHEMAS[kind].check(record, "")
    if fault:
        path, expected, value = fault
        got = "nothing" if value is ... else _what(value)
        raise RecordError(f"the {kind} result is damaged: {path}: expected {expected}, got {got}",
                          f"{REMAKE[kind]} (a result file is not meant to be edited by hand)")
    return kind
