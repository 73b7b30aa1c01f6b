"""Targets instead of a budget (docs/mathematics.md §12): the least spend for a response, a hurdle ROI,
or spending while the marginal return is at least M.

* ``response:V`` — minimize Σ_i x_i subject to Σ_i r_i(x_i) ≥ V;
* ``roi:R``      — maximize Σ_i r_i(x_i) subject to Σ_i r_i(x_i) ≥ R·Σ_i x_i;
* ``mroi:M``     — maximize Σ_i (r_i(x_i) − M·x_i).

The spend bounds, the budget, the rules, the minimum change and K hold as always. Each keeps the
problem concave: the response floor and the ROI hurdle are convex sets (a concave function above an
affine one), and r − M·x is concave where r is.

A target travels on the :class:`~mmo_pyomo.instance.schema.Instance` (``inst.target``), so that the
checker, every model built of the instance and the runner see it without being told twice:

* ``mroi:M`` is the instance itself, priced: each activity's revenue becomes r_i(x_i) − M·x_i
  (:func:`with_target` folds −M into the quadratic's ``lin`` and −M·x̄ into ``const``, or sets the
  curves' ``spend_price``). Every formulation and engine then solves it unchanged.
* ``roi:R`` and ``response:V`` add one row to the model, on the formulation's own revenue expression,
  and ``response:V`` replaces the objective by the least total spend
  (:func:`mmo_pyomo.model_library.components.add_target`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mmo_pyomo.errors import MMOError

if TYPE_CHECKING:
    from mmo_pyomo.instance.schema import Instance

#: The target kinds and what each asks, for messages and ``--help``.
KINDS = {
    "response": "the least total spend whose response is at least V",
    "roi": "the most response with total response ≥ R × total spend",
    "mroi": "the most response − M × spend: spending while the marginal return is at least M",
}

#: How the target is written, for errors.
FORM = "response:V, roi:R or mroi:M (e.g. --target roi:2.5)"


@dataclass(frozen=True)
class Target:
    """One target: ``kind`` in :data:`KINDS` and its finite ``value`` (V, R or M)."""

    kind: str
    value: float

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise MMOError(f"the target kind {self.kind!r} is not one of {', '.join(KINDS)}", f"write the target as {FORM}")
        value = self.value
        if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
                or not math.isfinite(float(value)):
            raise MMOError(f"the target {self.kind}:{value!r} is not a finite number", f"write the target as {FORM}")
        object.__setattr__(self, "value", float(value))
        if self.kind == "roi" and self.value <= 0:
            raise MMOError(f"the target roi:{self.value:g} is not positive",
                           "give the ROI hurdle R > 0 (total response ≥ R × total spend)")
        if self.kind == "mroi" and self.value < 0:
            raise MMOError(f"the target mroi:{self.value:g} is negative",
                           "give the marginal return M ≥ 0 (each unit of spend must return at least M)")

    def __str__(self) -> str:
        return f"{self.kind}:{self.value:.12g}"

    @property
    def minimizes(self) -> bool:
        """Whether the objective is a spend to minimize (``response:V``) rather than a response to maximize."""
        return self.kind == "response"

    @property
    def adds_row(self) -> bool:
        """Whether the target is a row of the model (``roi``, ``response``) rather than a price (``mroi``)."""
        return self.kind in ("roi", "response")


def parse_target(text: object) -> Target | None:
    """``"roi:2.5"`` → Target("roi", 2.5); a :class:`Target` as it is; ``None`` or ``"none"`` → None."""
    if text is None or isinstance(text, Target):
        return text
    if not isinstance(text, str):
        raise MMOError(f"the target {text!r} is not text", f"write the target as {FORM}")
    if text.strip().lower() == "none":
        return None
    kind, sep, value = text.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS:
        raise MMOError(f"the target {text!r} is not of the form kind:value with kind one of {', '.join(KINDS)}",
                       f"write the target as {FORM}")
    try:
        number = float(value)
    except ValueError:
        raise MMOError(f"the target {text!r}: {value.strip()!r} is not a number", f"write the target as {FORM}") from None
    return Target(kind, number)


def describe_target(text: str) -> str:
    """``"roi:2.5"`` → "roi:2.5 (the most response with total response ≥ R × total spend)"."""
    kind = text.partition(":")[0]
    return f"{text} ({KINDS[kind]})" if kind in KINDS else text


def with_target(inst: Instance, target: Target | str | None) -> Instance:
    """``inst`` with ``target`` attached (:mod:`module docstring <mmo_pyomo.instance.targets>`); ``None``
    returns ``inst``. An instance carries one target: attaching a second is an error."""
    target = parse_target(target)
    if target is None:
        return inst
    if inst.target is not None:
        raise MMOError(f"the instance already has the target {inst.target}", "attach one target to the original instance")
    if target.kind != "mroi":
        return inst.with_changes(target=target)
    m = target.value
    const = inst.const - m * inst.baseline
    if inst.curves is None:
        return inst.with_changes(target=target, lin=inst.lin - m, const=const)
    return inst.with_changes(target=target, const=const, spend_price=m)


def gross_response(inst: Instance, x: np.ndarray, objective_revenue: float) -> float:
    """The total response Σ r_i(x_i) of the plan ``x`` whose checked revenue is ``objective_revenue`` (for
    ``mroi:M`` that revenue is net of M·Σx, which is added back)."""
    if inst.target is not None and inst.target.kind == "mroi":
        return objective_revenue + inst.target.value * float(np.sum(x))
    return objective_revenue
