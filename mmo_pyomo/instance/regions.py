"""Region bounds of the paper's Table 1, computed once and shared by every formulation.

The minimum change m_i splits the range of the spend change δ_i ∈ [l_i − x̄_i, u_i − x̄_i]
into at most three regions:

* R⁻ = [l_i − x̄_i, −m_i] (decrease), which exists only if l_i − x̄_i ≤ −m_i;
* R⁰ = {0} (no change), which always exists;
* R⁺ = [m_i, u_i − x̄_i] (increase), which exists only if u_i − x̄_i ≥ m_i.

A region that would hold only δ = 0 (``m_i = 0`` and no room to move in that direction)
is treated as absent: it would duplicate R⁰. The indicator of an absent region is fixed
to 0 by every formulation.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class RegionBounds:
    """Arrays (one entry per activity): R⁻ = [dec_lower, dec_upper], R⁺ = [inc_lower, inc_upper].

    For an absent region both of its bounds are 0 and ``has_dec`` / ``has_inc`` is False.
    ``big_m`` is the MINLP's M_i = max(x̄_i − l_i, u_i − x̄_i).
    """

    dec_lower: np.ndarray
    dec_upper: np.ndarray
    inc_lower: np.ndarray
    inc_upper: np.ndarray
    has_dec: np.ndarray
    has_inc: np.ndarray
    big_m: np.ndarray


def region_bounds(baseline, lower, upper, min_change) -> RegionBounds:
    """Table 1 for arrays (or scalars) of baseline x̄, bounds l, u and minimum change m."""
    xbar = np.asarray(baseline, dtype=float)
    lo = np.asarray(lower, dtype=float) - xbar           # l_i − x̄_i ≤ 0
    hi = np.asarray(upper, dtype=float) - xbar           # u_i − x̄_i ≥ 0
    m = np.asarray(min_change, dtype=float)
    has_dec = (lo <= -m) & (lo < 0)
    has_inc = (hi >= m) & (hi > 0)
    zero = np.zeros_like(lo)
    return RegionBounds(
        dec_lower=np.where(has_dec, lo, zero),
        dec_upper=np.where(has_dec, -m, zero),
        inc_lower=np.where(has_inc, m, zero),
        inc_upper=np.where(has_inc, hi, zero),
        has_dec=has_dec,
        has_inc=has_inc,
        big_m=np.maximum(-lo, hi),
    )
