"""The tangent cut in perspective form, shared by hull_oa's pieces (:mod:`mmo_pyomo.model_library.hull_oa`, its
draws and its adstock): the regions, their variables, their units and one cut (equation (OA) of
docs/mathematics.md §7a)."""
from __future__ import annotations

import pyomo.environ as pyo

from mmo_pyomo.model_library import components as c

#: The regions that carry a revenue change: R⁻ and R⁺ (R⁰ keeps the baseline).
REGIONS = ("dec", "inc")


def region_vars(m: pyo.Block, part: str, i: str) -> tuple[pyo.Var, pyo.Var, pyo.Var]:
    """(w_R, d_R, z_R) of activity i: the region's revenue change (in units of R), its spend change
    (in units of s_i) and its indicator."""
    return getattr(m, f"w_{part}")[i], getattr(m, f"d_{part}")[i], getattr(m, f"z_{part}")[i]


def region_units(m: pyo.Block, i: str) -> tuple[float, float]:
    """(s_i, R_i): the units of activity i's spend change and of its revenue change (w_i)."""
    return float(pyo.value(m.spend_unit[i])), float(pyo.value(m.change_unit[i]))


def tangent_cut(w: pyo.Var, d: pyo.Var, z: pyo.Var, g: float, slope: float, d_hat: float,
                units: tuple[float, float] = (1.0, 1.0)) -> pyo.Expression:
    """w ≤ (g(d̂) − g′(d̂)·d̂)·z + g′(d̂)·δ: the tangent of the perspective z·g(δ/z) at (d̂, 1) (OA),
    with δ = s·d and the revenue change R_i·w (``units`` = (s, R_i))."""
    s, unit = units
    return w <= c.negligible_as_zero((g - slope * d_hat) / unit) * z + c.negligible_as_zero(slope * s / unit) * d
