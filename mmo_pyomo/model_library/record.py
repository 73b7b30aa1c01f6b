"""The :class:`Formulation` record: everything the package needs to know about one formulation."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pyomo.environ as pyo

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.solvers.capabilities import Capability, relaxed

#: Start values of a formulation: variable name → one value per activity (activity order).
StartValues = dict[str, np.ndarray]

#: A start-value piece: the values of the variables one formulation piece adds, for a plan δ.
StartPiece = Callable[[Instance, np.ndarray], StartValues]


@dataclass(frozen=True)
class Formulation:
    """One MMO formulation.

    * ``builder`` returns its ``AbstractModel`` (options such as the MINLP's ``min_change_form``);
    * ``equations`` names the equations of the source paper it implements, e.g. ``"(3.9)"``;
    * ``needs`` is what an engine must take (see :mod:`mmo_pyomo.solvers.capabilities`);
    * ``start_pieces`` give, for a plan δ, the value of every variable (a MIP start);
    * ``description`` is one line for tables;
    * ``refine``, for an outer approximation, adds cuts at a plan: ``refine(model, inst, delta,
      tol)`` returns how many; the runner then re-solves until the true revenue of the plan is
      within the gap target of the bound (:func:`mmo_pyomo.mix.runner.solve`);
    * ``takes_curves``: it models response curves (:mod:`mmo_pyomo.curves`), not only quadratics;
    * ``check(inst, **options)`` raises the project's error for an instance the formulation cannot
      model, before any model is built;
    * ``regions``: the names of its region indicators z⁻, z⁰, z⁺ (None: it has none), which the
      improvement's neighbourhoods and the polish fix;
    * ``options``: the builder's options and their defaults (hull_oa's ``tangents``, ``nonconcave``,
      ``breakpoints``); ``curve_options`` those that concern response curves;
    * ``takes_risk``: it models a risk measure over the curves' posterior draws (``cvar:α``);
    * ``takes_adstock``: it models a time-phased plan whose spend carries over between periods;
    * ``error_bound(inst, **options)``: how far its model's revenue can lie below the instance's own
      curves for any plan (a piecewise-linear surrogate, curves known by samples), added to the bound;
      None when the model is exact.
    """

    name: str
    builder: Callable[..., pyo.AbstractModel]
    equations: str
    needs: frozenset[Capability]
    start_pieces: tuple[StartPiece, ...]
    description: str
    refine: Callable[[pyo.Block, Instance, np.ndarray, float], int] | None = None
    takes_curves: bool = False
    check: Callable[..., None] | None = None
    regions: tuple[str, str, str] | None = ("z_dec", "z_none", "z_inc")
    options: Mapping[str, Any] = field(default_factory=dict)
    curve_options: tuple[str, ...] = ()
    error_bound: Callable[..., float] | None = None
    #: It models a risk measure over posterior draws (:mod:`mmo_pyomo.instance.risk`).
    takes_risk: bool = False
    #: It models adstock, spend carried from one period to the next (:mod:`mmo_pyomo.instance.periods`).
    takes_adstock: bool = False

    #: Every formulation by name, filled by :mod:`mmo_pyomo.model_library` (for messages that list them).
    registry: ClassVar[dict[str, Formulation]] = {}

    #: The gap target of an outer approximation when none is given (its cuts never reach a gap of 0), and the
    #: smallest it is asked for.
    DEFAULT_OUTER_GAP: ClassVar[float] = 1e-6
    MIN_OUTER_GAP: ClassVar[float] = 1e-6

    def gap_target(self, mip_gap: float | None) -> float | None:
        """The gap this formulation's solve aims at for a requested ``mip_gap``: the request, or for an
        outer approximation at least :data:`MIN_OUTER_GAP` (default :data:`DEFAULT_OUTER_GAP`)."""
        if self.refine is None:
            return mip_gap
        return self.DEFAULT_OUTER_GAP if mip_gap is None else max(mip_gap, self.MIN_OUTER_GAP)

    def error(self, inst: Instance, options: Mapping[str, Any] | None = None) -> float:
        """:attr:`error_bound` of ``inst`` (0 when the model is exact)."""
        if self.error_bound is None or inst.curves is None:
            return 0.0
        return float(self.error_bound(inst, **{**self.options, **dict(options or {})}))

    def build(self, **options: Any) -> pyo.AbstractModel:
        """The abstract model."""
        return self.builder(**options)

    @property
    def takes_cut_points(self) -> bool:
        """It takes tangent points (``cut_at``: plans whose spend changes get a tangent each, as hull_oa)."""
        return "cut_at" in self.options

    @property
    def relaxation_needs(self) -> frozenset[Capability]:
        """What an engine must take to solve this formulation's continuous relaxation."""
        return relaxed(self.needs)

    def start_values(self, inst: Instance, delta: np.ndarray) -> StartValues:
        """The value of every indexed variable of the model in the plan ``delta`` (spend changes)."""
        delta = np.asarray(delta, dtype=float)
        values: StartValues = {}
        for piece in self.start_pieces:
            values.update(piece(inst, delta))
        return values

    def check_revenue_model(self, inst: Instance) -> None:
        """Raise :class:`MMOError` when ``inst`` has response curves and this formulation models
        only quadratic revenues (its model, or its relaxation, would describe another problem)."""
        if inst.curves is not None and not self.takes_curves:
            from mmo_pyomo.errors import MMOError
            takers = " or ".join(f for f, rec in self.registry.items() if rec.takes_curves)
            raise MMOError(f"the {self.name} formulation models quadratic revenues, and this instance has response "
                           "curves", f"use --formulation {takers}, or "
                           "--approximate quadratic")

    def __str__(self) -> str:
        return self.name
