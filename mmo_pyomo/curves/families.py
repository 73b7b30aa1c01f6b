"""Response curves r(x) of an activity's new spend x, vectorized over activities.

Families (the parameters each uses):

* ``hill``: β·xˢ/(kˢ + xˢ) (beta, k, s);
* ``michaelis_menten``: the Hill curve with s = 1 (beta, k);
* ``logistic``: β·(1 − e^(−λx))/(1 + e^(−λx)) = β·tanh(λx/2) (beta, lam);
* ``table``: piecewise-linear through given (spend, response) points, constant beyond the last;
* ``samples``: the same interpolation, of points that are exact values of a smooth concave curve the
  package does not have (a media-mix tool's mean response on a grid). Between samples such a curve can
  lie above the interpolation; :meth:`ResponseCurves.sample_error` bounds by how much, from the points
  alone, and the runner adds that to the bound, so the certificate covers the curve and not its samples.

A closed-form curve may instead be the **mean of posterior draws** of its family (``draws``): r(x) is
the mean of the draws' curves, computed exactly, and so is its slope. A Bayesian model's posterior
mean response is of this kind; a mean of concave curves is concave.

A Hill curve with s > 1 is S-shaped: convex below its inflection x* = k·((s−1)/(s+1))^(1/s),
concave above. Every other family is concave on x ≥ 0 (a table when its slopes never rise).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mmo_pyomo.errors import DataError

FAMILIES = ("hill", "michaelis_menten", "logistic", "table", "samples")

#: The families given by points (interpolated piecewise-linearly).
TABULAR = ("table", "samples")

#: Columns of ``curves.csv`` (cells a family does not use are left empty).
CURVE_COLUMNS = ("activity", "family", "beta", "k", "s", "lam")

#: Columns of ``curve_points.csv`` (tables only).
POINT_COLUMNS = ("activity", "spend", "response")

#: Columns of ``curve_draw_points.csv`` (table curves that are the mean of posterior draws, each draw a table).
DRAW_POINT_COLUMNS = ("activity", "draw", "spend", "response")

#: Optional adstock columns of ``curves.csv``, read with the periods of a time-phased plan
#: (:mod:`mmo_pyomo.curves.periods_files`).
ADSTOCK_COLUMNS = ("adstock", "adstock_lmax", "adstock_normalize")

#: Columns of ``curve_draws.csv`` (curves that are the mean of posterior draws).
DRAW_COLUMNS = ("activity", "draw", "beta", "k", "s", "lam")

#: The parameters each family uses.
NEEDS = {"hill": ("beta", "k", "s"), "michaelis_menten": ("beta", "k"), "logistic": ("beta", "lam"), "table": (),
         "samples": ()}


@dataclass(frozen=True, eq=False)
class ResponseCurves:
    """One response curve per activity (activity order). Unused parameters are NaN."""

    family: tuple[str, ...]
    beta: np.ndarray
    k: np.ndarray
    s: np.ndarray
    lam: np.ndarray
    #: activity position → (spend, response) points of a ``table`` curve, spend increasing
    tables: Mapping[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: activity position → the parameters ("beta", "k", "s", "lam", one value per draw) of posterior
    #: draws whose mean is the activity's curve (its scalar parameters are then NaN)
    draws: Mapping[int, Mapping[str, np.ndarray]] = field(default_factory=dict)
    #: activity position → the responses of posterior draws (S × points) at its table's spends, for a ``table``
    #: or ``samples`` curve whose table is their mean (``curve_draw_points.csv``; Meridian's draws)
    table_draws: Mapping[int, np.ndarray] = field(default_factory=dict)

    # ------------------------------------------------------------------ values
    def response(self, x: np.ndarray) -> np.ndarray:
        """r_i(x_i) for every activity."""
        return self._eval(np.asarray(x, float), 0)

    def slope(self, x: np.ndarray) -> np.ndarray:
        """r′_i(x_i) (for a table: the slope of the segment to the right of x, or the last one)."""
        return self._eval(np.asarray(x, float), 1)

    def _eval(self, x: np.ndarray, order: int) -> np.ndarray:
        out = np.zeros_like(x)
        fam = np.array(self.family)
        plain = np.ones(len(fam), bool)
        plain[list(self.draws)] = False
        for name in ("hill", "michaelis_menten", "logistic"):
            sel = (fam == name) & plain
            if sel.any():
                out[sel] = _closed_form(name, x[sel], self.beta[sel], self.k[sel], self.s[sel], self.lam[sel], order)
        for i, (px, py) in self.tables.items():
            out[i] = _table(float(x[i]), px, py, order)
        for i in self.draws:
            out[i] = self.curve_of(i, np.array([x[i]]), order)[0]
        return out

    def curve_of(self, i: int, x: np.ndarray, order: int = 0) -> np.ndarray:
        """r_i (order 0) or r′_i (order 1) of activity i at the spends ``x`` (for drawn curves: the draws' mean)."""
        x = np.asarray(x, float)
        if self.family[i] in TABULAR:
            px, py = self.tables[i]
            return np.array([_table(float(v), px, py, order) for v in x])
        if i in self.draws:
            d = self.draws[i]
            values = _closed_form(self.family[i], x[:, None], d["beta"][None, :], d["k"][None, :], d["s"][None, :],
                                  d["lam"][None, :], order)
            return values.mean(axis=1)
        return _closed_form(self.family[i], x, self.beta[i], self.k[i], self.s[i], self.lam[i], order)

    @property
    def n_draws(self) -> int:
        """S, the number of joint posterior draws (0 without draws)."""
        if self.draws:
            return len(next(iter(self.draws.values()))["beta"])
        return len(next(iter(self.table_draws.values()))) if self.table_draws else 0

    @property
    def drawn(self) -> frozenset[int]:
        """The activities whose curve is the mean of posterior draws (in closed form or as tables)."""
        return frozenset(self.draws) | frozenset(self.table_draws)

    def draws_of(self, i: int, x: np.ndarray, order: int = 0) -> np.ndarray:
        """Curve i's draws (order 0) or their slopes (order 1) at the spends ``x``, shape (S, len(x))."""
        x = np.asarray(x, float)
        if i in self.table_draws:
            px = self.tables[i][0]
            return np.array([[_table(float(v), px, py, order) for v in x] for py in self.table_draws[i]])
        d = self.draws[i]
        return _closed_form(self.family[i], x[None, :], d["beta"][:, None], d["k"][:, None], d["s"][:, None],
                            d["lam"][:, None], order)

    def draw_response(self, x: np.ndarray, order: int = 0) -> np.ndarray:
        """r_i^s(x_i) (order 0) or its slope (order 1) for every draw s and activity i, shape (S, n): draw s of
        every activity with draws (the same draw number is one joint posterior sample), and the one curve of
        each activity without."""
        x = np.asarray(x, float)
        out = np.repeat(self._eval(x, order)[None, :], max(self.n_draws, 1), axis=0)
        for i, d in self.draws.items():
            out[:, i] = _closed_form(self.family[i], np.array([x[i]]), d["beta"], d["k"], d["s"], d["lam"], order)
        for i in self.table_draws:
            out[:, i] = self.draws_of(i, np.array([x[i]]), order)[:, 0]
        return out

    def with_draws(self, count: int) -> ResponseCurves:
        """These curves keeping ``count`` of their S draws, evenly spaced (the mean curve changes with them)."""
        from dataclasses import replace
        if count < 1 or count > self.n_draws:
            raise DataError(f"{count} draws asked for, and the curves have {self.n_draws}",
                            f"give --draws between 1 and {self.n_draws}" if self.n_draws else
                            "import from a tool whose export has posterior draws (PyMC-Marketing)")
        keep = np.unique(np.linspace(0, self.n_draws - 1, count).round().astype(int))
        kept = {i: t[keep] for i, t in self.table_draws.items()}
        tables = {i: (t[0], kept[i].mean(axis=0)) if i in kept else t for i, t in self.tables.items()}
        return replace(self, draws={i: {p: v[keep] for p, v in d.items()} for i, d in self.draws.items()},
                       table_draws=kept, tables=tables)

    def draws_concave_on(self, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Whether every draw of each curve is concave over [l, u] (a Hill draw with s > 1 is convex below its
        inflection)."""
        ok = self.concave_on(lower, upper)
        for i, d in self.draws.items():
            if self.family[i] == "hill":
                s_ = d["s"]
                infl = np.where(s_ > 1, d["k"] * ((s_ - 1) / (s_ + 1)) ** (1 / np.maximum(s_, 1)), 0.0)
                ok[i] = bool(np.all(infl <= lower[i]))
        if self.table_draws:
            each = [self.with_draw(s).concave_on(lower, upper) for s in range(self.n_draws)]
            for i in self.table_draws:
                ok[i] = ok[i] and all(draw[i] for draw in each)
        return ok

    def with_draw(self, s: int) -> ResponseCurves:
        """Draw s of every curve with tabulated draws, as its table (for the samples' error in that draw)."""
        from dataclasses import replace
        return replace(self, tables={i: (t[0], self.table_draws[i][s]) if i in self.table_draws else t
                                     for i, t in self.tables.items()})

    # ------------------------------------------------------------------ shape
    def inflection(self) -> np.ndarray:
        """The spend below which each curve is convex (0 when it is concave on x ≥ 0; NaN for tables)."""
        out = np.zeros(len(self.family))
        fam = np.array(self.family)
        hill = (fam == "hill") & (self.s > 1)
        out[hill] = self.k[hill] * ((self.s[hill] - 1) / (self.s[hill] + 1)) ** (1 / self.s[hill])
        out[np.isin(fam, TABULAR)] = np.nan
        for i, d in self.draws.items():           # the mean of draws is concave where every draw is
            if self.family[i] == "hill":
                s_ = d["s"]
                out[i] = float(np.max(np.where(s_ > 1, d["k"] * ((s_ - 1) / (s_ + 1)) ** (1 / s_), 0.0)))
        return out

    def concave_on(self, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
        """Whether each curve is concave over its activity's allowed spend range [l, u]."""
        ok = ~(self.inflection() > lower)                 # NaN (tables) compare False: decided below
        for i, (px, py) in self.tables.items():
            inside = (px > lower[i]) & (px < upper[i])    # breakpoints where the slope may rise
            slopes = np.diff(py) / np.diff(px)
            seg_in = (px[1:] > lower[i]) & (px[:-1] < upper[i])
            used = slopes[seg_in]
            ok[i] = bool(np.all(np.diff(used) <= 1e-12 * (1 + np.abs(used[:-1])))) if inside.any() else True
        return ok

    def interpolation_error(self, i: int, lo: float, hi: float, segments: int, points: int = 2001) -> float:
        """The largest error of curve i's piecewise-linear interpolation on ``segments`` equal
        segments of the spend range [lo, hi]: h²·max|r″|/8 for a closed form (max|r″| by central
        differences on ``points`` points), and the exact largest error at the table's own points
        for a table (its r″ is 0 except at those points)."""
        if hi <= lo:
            return 0.0
        grid = np.linspace(lo, hi, segments + 1)
        if self.family[i] in TABULAR:
            px, py = self.tables[i]
            inside = (px > lo) & (px < hi)
            if not inside.any():
                return 0.0
            coarse = np.interp(px[inside], grid, np.interp(grid, px, py))
            return float(np.max(np.abs(coarse - py[inside])))
        x = np.linspace(lo, hi, points)
        step = (hi - lo) / (points - 1)
        r = self.curve_of(i, x, 0)
        curvature = float(np.max(np.abs(np.diff(r, 2)))) / (step * step)
        return (grid[1] - grid[0]) ** 2 * curvature / 8

    # ------------------------------------------------------------------ building
    @classmethod
    def from_rows(cls, activities: tuple[str, ...], rows: Mapping[str, Mapping[str, object]],
                  points: Mapping[str, list[tuple[float, float]]], where: str,
                  draws: Mapping[str, Sequence[Mapping[str, object]]] | None = None) -> ResponseCurves:
        """Build and check the curves of ``activities`` from name-keyed rows (``family, beta, k, s,
        lam``), for tables their (spend, response) points, and for means of posterior draws the draws'
        parameters (one mapping per draw; the activity's own row then leaves them empty). Errors name
        ``where``."""
        draws = draws or {}
        unknown_draws = [a for a in draws if a not in set(activities)]
        if unknown_draws:
            raise DataError(f"{where}: posterior draws for unknown activity '{unknown_draws[0]}'",
                            "remove them or add the activity")
        drawn: dict[int, dict[str, np.ndarray]] = {}
        n = len(activities)
        fam: list[str] = []
        arr = {p: np.full(n, np.nan) for p in ("beta", "k", "s", "lam")}
        missing = [a for a in activities if a not in rows]
        if missing:
            raise DataError(f"{where}: activity '{missing[0]}' has no response curve",
                            "give every activity a row in curves.csv")
        unknown = [a for a in rows if a not in set(activities)]
        if unknown:
            raise DataError(f"{where}: curve for unknown activity '{unknown[0]}'", "remove it or add the activity")
        tables: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for pos, a in enumerate(activities):
            row = rows[a]
            family = str(row.get("family", "")).strip()
            if family not in FAMILIES:
                raise DataError(f"{where}: activity '{a}' has unknown curve family {family!r}",
                                f"use one of {', '.join(FAMILIES)}")
            fam.append(family)
            need = NEEDS[family]
            if a in draws:
                if family in TABULAR:
                    raise DataError(f"{where}: activity '{a}' is a {family} curve and has posterior draws",
                                    "give draws to a closed-form family (hill, michaelis_menten or logistic)")
                given = [p for p in need if row.get(p) not in (None, "") and not _is_nan(row.get(p))]
                if given:
                    raise DataError(f"{where}: activity '{a}' has both {given[0]} and posterior draws",
                                    "leave its parameters empty: its curve is the mean of its draws")
                if not draws[a]:
                    raise DataError(f"{where}: activity '{a}' has an empty list of posterior draws", "give at least one")
                drawn[pos] = {p: np.full(len(draws[a]), np.nan) for p in ("beta", "k", "s", "lam")}
                for d, one in enumerate(draws[a]):
                    for p in need:
                        drawn[pos][p][d] = _positive(one.get(p), f"{where}: activity '{a}' ({family}), draw {d + 1}", p)
                continue
            for p in need:
                arr[p][pos] = _positive(row.get(p), f"{where}: activity '{a}' ({family})", p)
            if family in TABULAR:
                pts = points.get(a, [])
                if len(pts) < 2:
                    raise DataError(f"{where}: table curve of '{a}' has {len(pts)} point(s)",
                                    "give at least two (spend, response) rows in curve_points.csv")
                px = np.array([p[0] for p in pts], float)
                py = np.array([p[1] for p in pts], float)
                if not (np.isfinite(px).all() and np.isfinite(py).all()):
                    raise DataError(f"{where}: table curve of '{a}' has a missing or infinite value",
                                    "write a finite spend and response on every row")
                if np.any(np.diff(px) <= 0):
                    raise DataError(f"{where}: table curve of '{a}' does not have increasing spend",
                                    "sort its points by spend, one point per spend")
                if np.any(np.diff(py) < 0):
                    k = int(np.flatnonzero(np.diff(py) < 0)[0])
                    raise DataError(f"{where}: table curve of '{a}' falls from {py[k]:g} to {py[k + 1]:g} "
                                    f"between spend {px[k]:g} and {px[k + 1]:g}",
                                    "a response curve must not decrease with spend; fix or smooth the table")
                if family == "samples" and len(px) < 3:
                    raise DataError(f"{where}: the samples of '{a}' are {len(px)} points; between two samples a concave "
                                    "curve can lie arbitrarily far above them", "give at least three samples")
                if family == "samples" and not _concave_points(px, py):
                    k = int(np.flatnonzero(np.diff(np.diff(py) / np.diff(px)) > 1e-12 * (1 + np.abs(py[1:-1])))[0])
                    raise DataError(f"{where}: the samples of '{a}' are not those of a concave curve (the slope rises at "
                                    f"spend {px[k + 1]:g}), so how far the curve lies above them between samples "
                                    "cannot be bounded", "give the points as a 'table' (the certificate then covers the "
                                    "table itself), or the curve in closed form")
                tables[pos] = (px, py)
        counts = {activities[i]: len(d["beta"]) for i, d in drawn.items()}
        if len(set(counts.values())) > 1:
            few = min(counts, key=counts.__getitem__)
            raise DataError(f"{where}: activity '{few}' has {counts[few]} posterior draws and "
                            f"'{max(counts, key=counts.__getitem__)}' has {max(counts.values())}",
                            "give every activity with draws the same draws (one row per draw number)")
        return cls(tuple(fam), arr["beta"], arr["k"], arr["s"], arr["lam"], tables, drawn)

    def sample_error(self, lower: np.ndarray, upper: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For ``samples`` curves, how far the concave curve through the samples can lie above their
        interpolation: (at the spends ``at``, anywhere in [lower, upper]); 0 for every other family.

        On the segment [x_j, x_j+1] of slope s_j a concave curve lies below the extensions of the
        neighbouring segments (slopes s_j−1 ≥ s_j ≥ s_j+1): with A = s_j−1 − s_j and B = s_j − s_j+1 the
        gap at t = x − x_j is at most min(A·t, B·(h − t)), at most A·B·h/(A + B); an end segment with one
        neighbour is bounded by that neighbour alone (A·h or B·h). The bound needs only the points.
        """
        n = len(self.family)
        at_spend, over = np.zeros(n), np.zeros(n)
        for i, (px, py) in self.tables.items():
            if self.family[i] != "samples" or len(px) < 3:
                continue                 # two samples: a concave curve through them may be anywhere above: no bound
            h = np.diff(px)
            slope = np.diff(py) / h
            prev = np.r_[np.nan, slope[:-1]] - slope          # A, NaN for the first segment
            nxt = slope - np.r_[slope[1:], np.nan]            # B, NaN for the last
            with np.errstate(invalid="ignore", divide="ignore"):
                both = np.where(prev + nxt > 0, prev * nxt * h / (prev + nxt), 0.0)
            seg = np.where(np.isnan(prev), nxt * h, np.where(np.isnan(nxt), prev * h, both))
            seg = np.maximum(np.nan_to_num(seg, nan=0.0), 0.0)
            used = (px[1:] > lower[i]) & (px[:-1] < upper[i])
            over[i] = float(seg[used].max()) if used.any() else 0.0
            j = int(np.clip(np.searchsorted(px, at[i], side="right") - 1, 0, len(h) - 1))
            t = float(at[i] - px[j])
            if t <= 0 or t >= h[j]:
                continue                                        # a sample point: its value is exact
            a_, b_ = prev[j], nxt[j]
            lines = [v for v in (a_ * t if np.isfinite(a_) else np.inf, b_ * (h[j] - t) if np.isfinite(b_) else np.inf)]
            at_spend[i] = max(float(min(lines)), 0.0) if np.isfinite(min(lines)) else float(seg[j])
        return at_spend, over

    def check_spend_range(self, activities: tuple[str, ...], lower: np.ndarray, upper: np.ndarray) -> None:
        """Tables must cover each activity's allowed spend range."""
        for i, (px, _) in self.tables.items():
            if lower[i] < px[0] - 1e-9 or upper[i] > px[-1] + 1e-9:
                raise DataError(f"the table curve of '{activities[i]}' covers spend [{px[0]:g}, {px[-1]:g}], "
                                f"not its allowed range [{lower[i]:g}, {upper[i]:g}]",
                                "add points at the ends of the range, or narrow lower/upper")

    def rows(self, activities: tuple[str, ...]) -> tuple[list[dict], list[dict]]:
        """(curves.csv rows, curve_points.csv rows)."""
        curves = [{"activity": a, "family": f, "beta": self.beta[i], "k": self.k[i], "s": self.s[i],
                   "lam": self.lam[i]} for i, (a, f) in enumerate(zip(activities, self.family))]
        pts = [{"activity": activities[i], "spend": x, "response": y}
               for i, (px, py) in sorted(self.tables.items()) for x, y in zip(px.tolist(), py.tolist())]
        return curves, pts

    def draw_rows(self, activities: tuple[str, ...]) -> list[dict]:
        """The rows of ``curve_draws.csv``: one per activity and posterior draw (draws numbered from 1)."""
        return [{"activity": activities[i], "draw": d + 1, **{p: float(v[d]) for p, v in params.items()}}
                for i, params in sorted(self.draws.items()) for d in range(len(params["beta"]))]


def _concave_points(px: np.ndarray, py: np.ndarray) -> bool:
    """Whether the slopes between consecutive points never rise (up to round-off)."""
    slopes = np.diff(py) / np.diff(px)
    return bool(np.all(np.diff(slopes) <= 1e-12 * (1 + np.abs(py[1:-1]))))


def _is_nan(v: object) -> bool:
    return isinstance(v, float) and np.isnan(v)


def _positive(v: object, where: str, p: str) -> float:
    """A curve parameter: a positive finite number, or the project's error naming it."""
    try:
        value = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{where} has {p} = {v!r}, not a number", f"give {p} a positive number") from None
    if not np.isfinite(value) or value <= 0:
        raise DataError(f"{where} has {p} = {value:g}; it must be positive", f"give {p} a positive finite number")
    return value


def _closed_form(family: str, x: np.ndarray, beta: Any, k: Any, s: Any, lam: Any, order: int) -> np.ndarray:
    """r (order 0) or r′ (order 1) of a Hill, Michaelis–Menten or logistic curve at x."""
    if family == "logistic":
        return _logistic(x, beta, lam, order)
    return _hill(x, beta, k, 1.0 if family == "michaelis_menten" else s, order)


def _hill(x: np.ndarray, beta: Any, k: Any, s: Any, order: int) -> np.ndarray:
    x = np.maximum(x, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (x / k) ** s                                # xˢ/kˢ, stable for large k
        if order == 0:
            return beta * ratio / (1 + ratio)
        # r′ = β·s·(x/k)ˢ/(x·(1 + (x/k)ˢ)²); at x = 0 it is β/k for s = 1, 0 for s > 1, ∞ for s < 1
        d = beta * s * ratio / (x * (1 + ratio) ** 2)
        at0 = np.where(s == 1, beta / k, np.where(s > 1, 0.0, np.inf))
        return np.where(x > 0, d, at0)


def _logistic(x: np.ndarray, beta: Any, lam: Any, order: int) -> np.ndarray:
    x = np.maximum(x, 0.0)
    th = np.tanh(lam * x / 2)
    return beta * th if order == 0 else beta * lam / 2 * (1 - th * th)


def _table(x: float, px: np.ndarray, py: np.ndarray, order: int) -> float:
    if order == 0:
        return float(np.interp(x, px, py))
    k = int(np.clip(np.searchsorted(px, x, side="right") - 1, 0, len(px) - 2))
    return float((py[k + 1] - py[k]) / (px[k + 1] - px[k]))
