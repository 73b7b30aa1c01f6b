"""The MMO instance schema (docs/mathematics.md §1), held as NumPy arrays in activity order.

The field names are exactly the `.dat` names: ``baseline``, ``lower``, ``upper``,
``min_change``, ``quad``, ``lin``, ``const`` per activity; ``budget_lower``,
``budget_upper`` (fractions of the total baseline spend) and ``max_changes``; and the
business rules ``RULES``, ``rule_coef[r,i]``, ``rule_lower[r]``, ``rule_upper[r]``.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from mmo_pyomo.errors import DataError

if TYPE_CHECKING:
    from mmo_pyomo.curves.families import ResponseCurves
    from mmo_pyomo.instance.periods import Horizon
    from mmo_pyomo.instance.risk import Risk
    from mmo_pyomo.instance.targets import Target


def _number(value: object, what: str) -> float:
    """``value`` as a float, or a :class:`DataError` naming the parameter (``max_changes := twelve``)."""
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{what} = {value!r} is not a number", f"give {what.split('[')[0]} a number") from None


#: Per-activity parameters, in the order used by tables and `.dat` files.
ACTIVITY_FIELDS: tuple[str, ...] = ("baseline", "lower", "upper", "min_change", "quad", "lin", "const")


@dataclass(frozen=True, eq=False)
class Instance:
    """One MMO instance. Arrays are indexed by activity position (``activities[k]``).

    Rules are stored sparsely: term ``t`` adds ``rule_coef[t]`` times the spend of
    activity ``rule_activity[t]`` to rule ``rule_index[t]``. A missing rule bound is
    ``-inf`` / ``+inf``.
    """

    activities: tuple[str, ...]
    baseline: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    min_change: np.ndarray
    quad: np.ndarray
    lin: np.ndarray
    const: np.ndarray
    budget_upper: float
    max_changes: int
    budget_lower: float = 0.0
    rules: tuple[str, ...] = ()
    rule_lower: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rule_upper: np.ndarray = field(default_factory=lambda: np.zeros(0))
    rule_index: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rule_activity: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    rule_coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    name: str = "instance"
    #: Response curves r_i(x_i) of the new spend (:mod:`mmo_pyomo.curves`) instead of the
    #: quadratic; then quad = lin = 0 and const = r_i(x̄_i), the revenue at the baseline.
    curves: ResponseCurves | None = None
    #: A target instead of the revenue objective (:mod:`mmo_pyomo.instance.targets`; attach one with
    #: :func:`~mmo_pyomo.instance.targets.with_target`), or None.
    target: Target | None = None
    #: For response curves under a marginal-ROI target ``mroi:M``: M, subtracted per unit of new spend from
    #: the curve's response (quadratics fold it into ``lin`` and ``const`` instead).
    spend_price: float = 0.0
    #: A risk measure over the curves' posterior draws instead of their mean (:mod:`mmo_pyomo.instance.risk`;
    #: attach one with :func:`~mmo_pyomo.instance.risk.with_risk`), or None.
    risk: Risk | None = None
    #: For a time-phased plan: which activity and period each cell (activity here) is, with the adstock and the
    #: history (:mod:`mmo_pyomo.instance.periods`); None for one steady period.
    horizon: Horizon | None = None

    def __post_init__(self) -> None:
        """Check the shape of what was given (values are checked by :func:`validate`): names are
        unique strings and every array has one entry per activity, rule or rule term. Runs for
        every copy too, so ``with_changes`` cannot make repeated names or short arrays."""
        names = self.activities
        if isinstance(names, str) or not all(isinstance(a, str) for a in names):
            raise DataError("activity names must be strings", "give activities as a sequence of names, e.g. ('tv', 'radio')")
        _set = object.__setattr__
        _set(self, "activities", tuple(names))
        _set(self, "rules", tuple(self.rules))
        for label, group in (("activity", self.activities), ("rule", self.rules)):
            if len(set(group)) != len(group):
                dup = sorted(a for a, count in Counter(group).items() if count > 1)
                raise DataError(f"{label} names are repeated: {dup[:5]}", f"give every {label} a unique name")
        n, m = len(self.activities), len(self.rules)
        terms = len(np.asarray(self.rule_coef))
        for fields, size, what in ((ACTIVITY_FIELDS, n, "activity"), (("rule_lower", "rule_upper"), m, "rule"),
                                   (("rule_index", "rule_activity", "rule_coef"), terms, "rule term")):
            for fname in fields:
                integer = fname in ("rule_index", "rule_activity")
                try:
                    arr = np.asarray(getattr(self, fname), dtype=np.int64 if integer else float)
                except (TypeError, ValueError):
                    raise DataError(f"{fname} holds values that are not numbers", f"give {fname} numbers") from None
                if arr.shape != (size,):
                    raise DataError(f"{fname} has shape {arr.shape}, but there are {size} {what}s",
                                    f"give {fname} one value per {what}")
                _set(self, fname, arr)
        for fname, size in (("rule_index", m), ("rule_activity", n)):
            arr = getattr(self, fname)
            if len(arr) and (arr.min() < 0 or arr.max() >= size):
                raise DataError(f"{fname} points outside 0..{size - 1}", f"give {fname} positions of existing entries")

    # ------------------------------------------------------------------ building
    @classmethod
    def from_mappings(
        cls,
        activities: Sequence[str],
        params: Mapping[str, Mapping[str, float]],
        *,
        budget_upper: float | None,
        max_changes: float | None,
        budget_lower: float | None = None,
        rules: Sequence[str] = (),
        rule_coef: Mapping[tuple[str, str], float] | None = None,
        rule_lower: Mapping[str, float] | None = None,
        rule_upper: Mapping[str, float] | None = None,
        name: str = "instance",
    ) -> Instance:
        """Build from name-keyed mappings (the shape a `.dat` file or a table gives).

        Raises :class:`DataError` for a missing parameter or an unknown activity/rule.
        """
        activities = tuple(str(a) for a in activities)     # repeated names are refused by __post_init__
        arrays: dict[str, Any] = {}
        for fname in ACTIVITY_FIELDS:
            values = params.get(fname)
            if values is None:
                raise DataError(f"missing parameter '{fname}'", f"add 'param {fname} := ...;' with one value per activity")
            missing = [a for a in activities if a not in values]
            if missing:
                raise DataError(
                    f"parameter '{fname}' has no value for activity '{missing[0]}'"
                    + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""),
                    f"give '{fname}' a value for every activity",
                )
            unknown = [a for a in values if a not in set(activities)]
            if unknown:
                raise DataError(f"parameter '{fname}' names unknown activity '{unknown[0]}'",
                                "add it to ACTIVITIES or remove the entry")
            arrays[fname] = np.array([_number(values[a], f"{fname}[{a}]") for a in activities], dtype=float)
        if budget_upper is None:
            raise DataError("missing parameter 'budget_upper'",
                            "add 'param budget_upper := 1.0;' (a fraction of the total baseline spend)")
        if max_changes is None:
            raise DataError("missing parameter 'max_changes'", "add 'param max_changes := K;' (an integer)")
        mc = _number(max_changes, "max_changes")
        if not np.isfinite(mc) or mc != int(mc) or mc < 0:
            raise DataError(f"max_changes = {max_changes!r} is not a non-negative integer",
                            "set max_changes to a whole number between 0 and the number of activities")
        rules = tuple(str(r) for r in rules)
        rule_pos = {r: k for k, r in enumerate(rules)}
        act_pos = {a: k for k, a in enumerate(activities)}
        ri, ai, cv = [], [], []
        for key, coef in (rule_coef or {}).items():
            r, a = str(key[0]), str(key[1])
            if r not in rule_pos:
                raise DataError(f"rule_coef[{r},{a}] names unknown rule '{r}'", "add the rule to RULES")
            if a not in act_pos:
                raise DataError(f"rule_coef[{r},{a}] names unknown activity '{a}'",
                                "add the activity to ACTIVITIES or remove the coefficient")
            value = _number(coef, f"rule_coef[{r},{a}]")
            if value != 0.0:
                ri.append(rule_pos[r])
                ai.append(act_pos[a])
                cv.append(value)

        def bound(mapping: Mapping[str, float] | None, label: str, default: float) -> np.ndarray:
            mapping = mapping or {}
            for r in mapping:
                if str(r) not in rule_pos:
                    raise DataError(f"{label}[{r}] names unknown rule '{r}'", "add the rule to RULES")
            out = []
            for r in rules:
                v = mapping.get(r)
                out.append(default if v is None or (isinstance(v, float) and np.isnan(v)) else _number(v, f"{label}[{r}]"))
            return np.array(out, dtype=float)

        return cls(
            activities=activities, **arrays,
            budget_upper=_number(budget_upper, "budget_upper"), max_changes=int(mc),
            budget_lower=0.0 if budget_lower is None else _number(budget_lower, "budget_lower"),
            rules=rules,
            rule_lower=bound(rule_lower, "rule_lower", -np.inf),
            rule_upper=bound(rule_upper, "rule_upper", np.inf),
            rule_index=np.array(ri, dtype=np.int64), rule_activity=np.array(ai, dtype=np.int64),
            rule_coef=np.array(cv, dtype=float), name=name,
        )

    # ------------------------------------------------------------------ derived
    @property
    def n(self) -> int:
        """Number of activities."""
        return len(self.activities)

    @cached_property
    def total_baseline(self) -> float:
        """Σ x̄_i."""
        return float(self.baseline.sum())

    @property
    def budget_interval(self) -> tuple[float, float]:
        """Total-spend interval [β⁻·Σx̄, β⁺·Σx̄]."""
        return self.budget_lower * self.total_baseline, self.budget_upper * self.total_baseline

    @cached_property
    def reach(self):
        """The spend each activity can reach: its bounds tightened by the budget and the rules
        (:mod:`mmo_pyomo.instance.reach`), computed once per instance."""
        from mmo_pyomo.instance.reach import reach_of
        return reach_of(self)

    @cached_property
    def regions(self):
        """Region bounds of the paper's Table 1 over the reachable range (:attr:`reach`), computed once per
        instance: a bound no plan can reach (a "no cap" of 10¹²) never enters a model."""
        from mmo_pyomo.instance.regions import region_bounds
        return region_bounds(self.baseline, self.reach.lower, self.reach.upper, self.min_change)

    @cached_property
    def units(self):
        """The units in which formulations measure spend and revenue (:mod:`mmo_pyomo.instance.units`)."""
        from mmo_pyomo.instance.units import units_of
        return units_of(self)

    def revenue(self, delta: np.ndarray) -> np.ndarray:
        """Per-activity revenue r_i(δ_i) = a_i δ_i² + b_i δ_i + c_i, or the response curve's
        r_i(x̄_i + δ_i) (less ``spend_price`` per unit of new spend)."""
        if self.curves is not None:
            x = self.baseline + delta
            return self.curves.response(x) - self.spend_price * x if self.spend_price else self.curves.response(x)
        return self.quad * delta**2 + self.lin * delta + self.const

    def total_revenue(self, delta: np.ndarray) -> float:
        """The objective's revenue of the plan x̄ + δ: Σ_i r_i(δ_i); under a risk measure, its CVaR over the
        draws of Σ_i r_i^s (:mod:`mmo_pyomo.instance.risk`); for a time-phased plan with adstock, Σ_t Σ_i r_i(a[i,t])
        (:mod:`mmo_pyomo.instance.periods`)."""
        if self.risk is None and self.horizon is not None and self.horizon.has_adstock:
            return float(self.period_response(delta).sum() - self.spend_price * np.sum(self.baseline + delta))
        if self.risk is None:
            return float(self.revenue(delta).sum())
        from mmo_pyomo.instance.risk import cvar, draw_totals
        return float(cvar(draw_totals(self, delta), self.risk.alpha))

    def period_response(self, delta: np.ndarray, per_draw: bool = False) -> np.ndarray:
        """For a time-phased plan with adstock: r_i(a[i,t]) for every activity and response period (A, T + carry),
        a[i,t] the effective spend of the plan x̄ + δ (:meth:`~mmo_pyomo.instance.periods.Horizon.effective`); with
        ``per_draw``, r_iˢ(a[i,t]) for every posterior draw s too (S, A, T + carry; one curve in every draw for an
        activity without draws)."""
        h, curves = self.horizon, self.curves
        assert h is not None and curves is not None
        a = h.effective(self.baseline + np.asarray(delta, float))
        first = h.cell_index()[:, 0]                       # each activity's curve, on its first cell
        if not per_draw:
            return np.vstack([curves.curve_of(int(first[i]), a[i]) for i in range(len(h.activities))])
        draws = max(curves.n_draws, 1)
        return np.stack([curves.draws_of(int(k), a[i]) if int(k) in curves.drawn else
                         np.repeat(curves.curve_of(int(k), a[i])[None, :], draws, axis=0)
                         for i, k in enumerate(first)], axis=1)

    def draw_revenue(self, delta: np.ndarray) -> np.ndarray:
        """r_i^s(x̄_i + δ_i) for every posterior draw s and activity i, shape (S, n) (less ``spend_price`` per unit
        of spend; one row, the curves themselves, without draws)."""
        assert self.curves is not None, "draws belong to response curves"
        x = self.baseline + np.asarray(delta, float)
        return self.curves.draw_response(x) - self.spend_price * x

    def revenue_slope(self, delta: np.ndarray) -> np.ndarray:
        """d r_i / d δ_i at δ_i (for a table curve: the slope of the segment to the right)."""
        if self.curves is not None:
            return self.curves.slope(self.baseline + delta) - self.spend_price
        return 2 * self.quad * delta + self.lin

    @property
    def has_curves(self) -> bool:
        """Whether revenues are response curves rather than quadratics."""
        return self.curves is not None

    def rule_activity_of(self, spend: np.ndarray) -> np.ndarray:
        """Σ_i g_ri · spend_i for every rule r."""
        out = np.zeros(len(self.rules))
        np.add.at(out, self.rule_index, self.rule_coef * spend[self.rule_activity])
        return out

    def rule_terms(self) -> dict[str, list[tuple[str, float]]]:
        """Rule name → list of (activity, coefficient)."""
        out: dict[str, list[tuple[str, float]]] = {r: [] for r in self.rules}
        for r, a, c in zip(self.rule_index, self.rule_activity, self.rule_coef):
            out[self.rules[r]].append((self.activities[a], float(c)))
        return out

    def with_changes(self, **changes) -> Instance:
        """A copy with some fields replaced (for example ``max_changes=10``)."""
        from dataclasses import replace
        return replace(self, **changes)
