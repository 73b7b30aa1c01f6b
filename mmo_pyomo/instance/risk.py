"""Risk over posterior draws (docs/mathematics.md §13): the plan that holds up across the posterior.

With S joint draws of every curve (``curve_draws.csv``: the same draw number is one posterior sample of
all curves), a plan x has S total responses R_s(x) = Σ_i r_i^s(x_i).

* ``mean`` (the default): maximize the mean (1/S) Σ_s R_s(x) — the curve of each activity is the mean of
  its draws, as without a risk measure;
* ``cvar:ALPHA``: maximize the mean of the worst ALPHA share of the draws,

      CVaR_α(x) = max_η  η − 1/(α·S) · Σ_s max(0, η − R_s(x))          (Rockafellar–Uryasev)

  which is the mean of the ⌈αS⌉ lowest R_s, the last one weighted by its fraction. It is concave in x
  where every r_i^s is (a minimum of sums of concave functions, averaged), so hull_oa's tangent cuts,
  one set per draw, bound it from above.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from mmo_pyomo.errors import MMOError

if TYPE_CHECKING:
    from mmo_pyomo.instance.schema import Instance

#: How a risk measure is written, for errors.
FORM = "mean or cvar:ALPHA with 0 < ALPHA ≤ 1 (e.g. --risk cvar:0.1)"

#: The share of worst draws whose mean is reported when no CVaR was asked for.
REPORTED_ALPHA = 0.1


@dataclass(frozen=True)
class Risk:
    """A risk measure over the draws: ``cvar`` with share ``alpha`` of the worst draws."""

    alpha: float

    def __post_init__(self) -> None:
        a = self.alpha
        if isinstance(a, bool) or not isinstance(a, (int, float, np.floating, np.integer)) or not math.isfinite(float(a)):
            raise MMOError(f"the risk measure cvar:{a!r} has an ALPHA that is not a finite number", f"write {FORM}")
        object.__setattr__(self, "alpha", float(a))
        if not 0 < self.alpha <= 1:
            raise MMOError(f"the risk measure cvar:{self.alpha:g} has ALPHA outside (0, 1]",
                           f"give the share of worst draws, 0 < ALPHA ≤ 1: write {FORM}")

    def __str__(self) -> str:
        return f"cvar:{self.alpha:g}"


def parse_risk(text: object) -> Risk | None:
    """``"cvar:0.1"`` → Risk(0.1); ``"mean"`` or None → None (the mean of the draws, as always)."""
    if text is None or isinstance(text, Risk):
        return text
    if not isinstance(text, str):
        raise MMOError(f"the risk measure {text!r} is not text", f"write {FORM}")
    word = text.strip().lower()
    if word == "mean":
        return None
    kind, sep, value = word.partition(":")
    if kind != "cvar" or not sep:
        raise MMOError(f"the risk measure {text!r} is not 'mean' or 'cvar:ALPHA'", f"write {FORM}")
    try:
        alpha = float(value)
    except ValueError:
        raise MMOError(f"the risk measure {text!r}: {value.strip()!r} is not a number", f"write {FORM}") from None
    return Risk(alpha)


def with_risk(inst: Instance, risk: Risk | str | None) -> Instance:
    """``inst`` with the risk measure attached (None: ``inst`` as it is); it needs curves with posterior draws."""
    risk = parse_risk(risk)
    if risk is None:
        return inst
    if inst.curves is None or not inst.curves.drawn:
        raise MMOError(f"the risk measure {risk} is over posterior draws, and this instance has none",
                       "give the curves' draws in curve_draws.csv (mmo import-curves --draws N writes them), or "
                       "use --risk mean")
    if inst.target is not None and inst.target.adds_row:
        raise MMOError(f"the target {inst.target} and the risk measure {risk} are not taken together yet",
                       "use --target mroi:M with a risk measure, or drop one of them")
    return inst.with_changes(risk=risk)


def cvar(values: np.ndarray, alpha: float) -> np.ndarray:
    """CVaR_α of the last axis of ``values`` (draws): the mean of the worst α share, the boundary draw
    weighted by its fraction — exactly the Rockafellar–Uryasev maximum over η."""
    v = np.sort(np.asarray(values, float), axis=-1)
    s = v.shape[-1]
    weight = np.clip(alpha * s - np.arange(s), 0.0, 1.0)           # 1 for the ⌊αS⌋ worst, the fraction next
    return (v * weight).sum(axis=-1) / (alpha * s)


def draw_totals(inst: Instance, delta: np.ndarray) -> np.ndarray:
    """R_s(x̄ + δ) for every draw s (activities without draws count their one curve in each); for a time-phased plan
    with adstock, Σ_t Σ_i r_iˢ(a[i,t])."""
    h = inst.horizon
    if h is None or not h.has_adstock:
        return inst.draw_revenue(delta).sum(axis=1)
    x = inst.baseline + np.asarray(delta, float)
    return inst.period_response(delta, per_draw=True).sum(axis=(1, 2)) - inst.spend_price * float(x.sum())


def risk_summary(inst: Instance, delta: np.ndarray) -> dict[str, Any]:
    """Over the draws, for the plan x̄ + δ: the mean response, the CVaR (at the instance's ALPHA, or
    :data:`REPORTED_ALPHA`), and the 5th, 50th and 95th percentiles. Each is of the gross response Σ r_i, whatever
    the objective: under ``mroi:M`` the M × spend that :func:`draw_totals` takes off (the same in every draw) is
    added back."""
    x = inst.baseline + np.asarray(delta, float)
    totals = draw_totals(inst, delta) + inst.spend_price * float(x.sum())
    alpha = inst.risk.alpha if inst.risk is not None else REPORTED_ALPHA
    p5, p50, p95 = np.percentile(totals, [5, 50, 95])
    return {"draws": int(len(totals)), "mean": float(totals.mean()), "alpha": alpha, "cvar": float(cvar(totals, alpha)),
            "p5": float(p5), "p50": float(p50), "p95": float(p95)}
