"""Time-phased plans (docs/mathematics.md §14): the spend x[i,t] of every activity in every period t = 1..T,
with geometric adstock carrying spend over into later periods.

The effective spend of activity i in period t is

    a[i,t] = Σ_{l=0..L_i} w_il · x[i, t−l],    w_il = θ_i^l  (divided by Σ_l θ_i^l when normalized),

with x[i,s] the history for s ≤ 0 and 0 after T. The objective is Σ_t Σ_i r_i(a[i,t]) over t = 1..T, and
over T+1..T+L with ``carry_out``. a is affine in the plan, so each r_i(a[i,t]) stays concave in it, and a
tangent of r_i at any â bounds it from above: hull_oa cuts each period's response that way (ADSTOCK).

A time-phased instance is an :class:`~mmo_pyomo.instance.schema.Instance` whose activities are the cells
(i, t), named ``"activity@t"``: baseline, bounds and minimum change are per cell, a cell changes when its spend
leaves its baseline, K counts changed cells, and rules are rows over cells — so every discrete rule is the
steady model's. The :class:`Horizon` on ``inst.horizon`` says which activity and period each cell is, and
holds the adstock and the history. T = 1 with L = 0 is the steady model itself.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from mmo_pyomo.errors import DataError

#: How a cell is named: the activity, this separator, the period.
CELL = "@"


def cell_name(activity: str, period: int) -> str:
    """The name of activity ``activity``'s cell in period ``period``."""
    return f"{activity}{CELL}{period}"


#: The weight mass, relative to all of w_0..w_L, that the lags cut off by :func:`adstock_lag` may carry: below the
#: rounding of a double-precision sum (2⁻⁵³), so that every effective spend a[i,t], and so every response, is the
#: one of the full L up to the rounding with which it is computed anyway.
ADSTOCK_TAIL = 2.0 ** -53


def adstock_lag(theta: float, lmax: int) -> int:
    """The longest lag that counts of geometric weights θ^0..θ^L: the least L′ ≤ L whose later weights
    θ^(L′+1) + … + θ^L carry at most :data:`ADSTOCK_TAIL` of their sum (0 for θ = 0). Computed in closed form, so
    that an L of 10⁹ (an export's "no limit") costs nothing."""
    if theta == 0.0 or lmax == 0:
        return 0
    # the tail after L′ is θ^(L′+1)(1 − θ^(L−L′)) / (1 − θ), the sum (1 − θ^(L+1)) / (1 − θ): the tail is within the
    # tolerance once θ^(L′+1) ≤ tol · (1 − θ^(L+1))
    need = np.log(ADSTOCK_TAIL * (1.0 - theta ** (lmax + 1.0))) / np.log(theta) - 1.0
    return int(min(lmax, max(0, int(np.ceil(need)))))


def adstock_weights(theta: float, lmax: int, normalize: bool) -> np.ndarray:
    """w_l = θ^l for l = 0..L′, divided by their sum when normalized (PyMC-Marketing's geometric adstock with
    its ``l_max`` = L + 1), where L′ = :func:`adstock_lag` ≤ L: the weights past L′ carry less of the sum than its
    rounding, and are left out (the caller says so where L′ < L)."""
    if not 0.0 <= theta < 1.0:
        raise DataError(f"adstock θ = {theta} is outside [0, 1)", "give a decay 0 ≤ θ < 1")
    w = theta ** np.arange(adstock_lag(theta, lmax) + 1, dtype=float)
    return w / w.sum() if normalize else w


@dataclass(frozen=True, eq=False)
class Horizon:
    """The time structure of a time-phased instance.

    Cell k is activity ``cell_activity[k]`` (an index into ``activities``) in period ``cell_period[k]`` (1..T);
    ``weights[i]`` is w_i0..w_iL; ``history[i, j]`` the spend of activity i in period −j (j = 0..max L − 1);
    ``carry_out``: the objective counts periods T+1..T+L too.
    """

    activities: tuple[str, ...]
    periods: int
    cell_activity: np.ndarray
    cell_period: np.ndarray
    weights: tuple[np.ndarray, ...]
    history: np.ndarray
    carry_out: bool = False

    @property
    def lag(self) -> int:
        """The longest L over the activities."""
        return max((len(w) - 1 for w in self.weights), default=0)

    @property
    def has_adstock(self) -> bool:
        """Whether any spend carries over (some L > 0): otherwise each cell's response is its own."""
        return self.lag > 0

    @property
    def response_periods(self) -> int:
        """The periods whose response counts: T, and L more with ``carry_out``."""
        return self.periods + (self.lag if self.carry_out else 0)

    def cell_index(self) -> np.ndarray:
        """(A, T) array: the cell of activity i in period t (column t − 1)."""
        return self._cells

    @cached_property
    def _cells(self) -> np.ndarray:
        out = np.full((len(self.activities), self.periods), -1, dtype=np.int64)
        out[self.cell_activity, self.cell_period - 1] = np.arange(len(self.cell_activity))
        return out

    def terms(self, i: int, t: int) -> tuple[list[tuple[int, float]], float]:
        """a[i,t] as (cell, weight) pairs and a constant (the history's share)."""
        cells, w = self.cell_index(), self.weights[i]
        lags = np.arange(max(0, t - self.periods), min(len(w), t))         # the periods 1..T that reach t
        pairs = [(int(cells[i, t - lag - 1]), float(w[lag])) for lag in lags]
        past = np.arange(t, min(len(w), t + self.history.shape[1]))      # periods ≤ 0, as far as the history goes
        const = float(np.dot(w[past], self.history[i, past - t])) if len(past) else 0.0
        return pairs, const

    def effective(self, x: np.ndarray) -> np.ndarray:
        """a[i,t] for every activity and response period (A, T + carry), from the cell spends ``x``."""
        a_count, p = len(self.activities), self.response_periods
        grid = np.zeros((a_count, self.periods))
        grid[self.cell_activity, self.cell_period - 1] = x
        out = np.zeros((a_count, p))
        for i, w in enumerate(self.weights):
            lag = len(w) - 1          # the spend of periods −L+1 .. 0 (history), 1 .. T (the plan), none after T
            series = np.r_[self.history[i, :lag][::-1], grid[i], np.zeros(p - self.periods)]
            out[i] = np.convolve(series, w)[lag:lag + p]
        return out

    def effective_range(self, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The least and most a[i,t] can be, from the cells' spend bounds (A, T + carry) each."""
        return self.effective(lower), self.effective(upper)
