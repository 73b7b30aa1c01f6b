"""A time-phased curve folder (docs/mathematics.md §14): the folder of a steady curve instance, plus

* ``periods.csv`` — ``period, budget_lower, budget_upper``: periods 1..T, amounts per period (an empty cell or a
  missing column: unbounded);
* ``curves.csv`` may add ``adstock`` (θ in [0, 1)), ``adstock_lmax`` (L, whole, default 0; the lags whose weights
  carry less than the rounding of their sum are left out, :func:`~mmo_pyomo.instance.periods.adstock_lag`, and the
  log says so) and ``adstock_normalize`` (1 or 0, default 1);
* ``history.csv`` (optional) — ``activity, period, spend`` for periods ≤ 0 (default: the baseline in every
  past period);
* ``baseline_plan.csv`` (optional) — ``activity, period, spend``: a baseline per cell (default: the activity's
  baseline in every period);
* ``rules.csv`` may add ``period``: a rule with one applies in that period, a rule without one in each period
  separately;
* ``settings.csv`` may add ``carry_out`` (1: count periods T+1..T+L too, with no spend after T).

``activities.csv``'s baseline, lower, upper and min_change are per period. ``budget_upper``/``budget_lower`` bound
the whole horizon, as fractions of the baseline total. The result is a cell instance
(:mod:`mmo_pyomo.instance.periods`).
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo import ranges
from mmo_pyomo.curves.curve_files import with_curves
from mmo_pyomo.curves.families import ADSTOCK_COLUMNS, CURVE_COLUMNS, TABULAR, ResponseCurves
from mmo_pyomo.errors import DataError, MMOError
from mmo_pyomo.instance.periods import ADSTOCK_TAIL, Horizon, adstock_weights, cell_name
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.reading import read_table

log = logging.getLogger(__name__)

PERIOD_COLUMNS = ("period", "budget_lower", "budget_upper")
CELL_COLUMNS = ("activity", "period", "spend")


def _number(value: str, where: str, what: str, default: float | None = None) -> float:
    text = str(value).strip() if value is not None else ""
    if not text:
        if default is None:
            raise DataError(f"{where}: {what} is empty", f"give {what} a number")
        return default
    try:
        return ranges.finite(text, what)
    except MMOError as exc:                    # the same check as every number, located in its file and row
        raise DataError(f"{where}: {exc.cause}", exc.fix) from None


def _whole(value: str, where: str, what: str) -> int:
    x = _number(value, where, what)
    if x != int(x):
        raise DataError(f"{where}: {what} = {value!r} is not a whole number", f"give {what} a whole number")
    return int(x)


def read_periods(folder: Path) -> tuple[int, dict[int, tuple[float, float]]]:
    """T and each period's (budget_lower, budget_upper) amounts (±inf where not given)."""
    path = folder / "periods.csv"
    frame = read_table(path, PERIOD_COLUMNS, required=("period",), key=("period",))
    periods: dict[int, tuple[float, float]] = {}
    for k, row in enumerate(frame.to_dict("records")):
        where = f"'{path}', row {k + 2}"
        t = _whole(row["period"], where, "period")
        lo = _number(row.get("budget_lower", ""), where, "budget_lower", -np.inf)
        hi = _number(row.get("budget_upper", ""), where, "budget_upper", np.inf)
        if lo > hi:
            raise DataError(f"{where}: budget_lower {lo:g} is above budget_upper {hi:g}", "swap or fix them")
        periods[t] = (lo, hi)
    if not periods:
        raise DataError(f"'{path}' has no periods", "give one row per period 1..T")
    want = set(range(1, len(periods) + 1))
    if set(periods) != want:
        gone = sorted(want - set(periods))
        odd = sorted(set(periods) - want)
        raise DataError(f"'{path}': the periods are not 1..{len(periods)} without a gap "
                        f"({'period ' + str(gone[0]) + ' is missing' if gone else ''}"
                        f"{', ' if gone and odd else ''}{'period ' + str(odd[0]) + ' is out of order' if odd else ''})",
                        "number the periods 1, 2, …, T, one row each")
    return len(periods), periods


def _cells(path: Path, activities: tuple[str, ...], periods: int, past: bool) -> dict[tuple[str, int], float]:
    """(activity, period) → spend of ``history.csv`` (``past``: periods ≤ 0) or ``baseline_plan.csv`` (1..T)."""
    frame = read_table(path, CELL_COLUMNS, required=CELL_COLUMNS, key=("activity", "period"))
    known = set(activities)
    out = {}
    for k, row in enumerate(frame.to_dict("records")):
        where = f"'{path}', row {k + 2}"
        a = str(row["activity"])
        if a not in known:
            raise DataError(f"{where}: unknown activity '{a}'", "use an activity of activities.csv")
        t = _whole(row["period"], where, "period")
        if past and t > 0:
            raise DataError(f"{where}: history for period {t}, which is in the plan (periods 1..{periods})",
                            "history.csv holds the spend before the plan: periods 0, −1, …")
        if not past and not 1 <= t <= periods:
            raise DataError(f"{where}: period {t} is not in periods.csv (1..{periods})", "give periods 1..T only")
        spend = _number(row["spend"], where, "spend")
        if spend < 0:
            raise DataError(f"{where}: spend {spend:g} is negative", "give a spend ≥ 0")
        out[(a, t)] = spend
    return out


def _adstock(folder: Path, activities: tuple[str, ...]) -> list[np.ndarray]:
    """Each activity's adstock weights w_0..w_L from curves.csv (w = [1] without adstock)."""
    path = folder / "curves.csv"
    frame = read_table(path, (*CURVE_COLUMNS, *ADSTOCK_COLUMNS), required=("activity", "family"), key=("activity",))
    rows = {str(r["activity"]): (k, r) for k, r in enumerate(frame.to_dict("records"))}
    out = []
    for a in activities:
        k, row = rows.get(a, (0, {}))
        where = f"'{path}', row {k + 2} ('{a}')"
        theta = _number(row.get("adstock", ""), where, "adstock", 0.0)
        if not 0.0 <= theta < 1.0:
            raise DataError(f"{where}: adstock θ = {theta:g} is outside [0, 1)",
                            "give the geometric decay as 0 ≤ θ < 1 (0: no carry-over)")
        lmax = _whole(row.get("adstock_lmax", "") or "0", where, "adstock_lmax")
        if lmax < 0:
            raise DataError(f"{where}: adstock_lmax = {lmax} is negative", "give L ≥ 0 (the longest lag in periods)")
        norm = _whole(row.get("adstock_normalize", "") or "1", where, "adstock_normalize")
        if norm not in (0, 1):
            raise DataError(f"{where}: adstock_normalize = {norm}", "give 1 (weights sum to 1) or 0")
        if lmax > 0 and str(row.get("family", "")).strip() in TABULAR:
            raise DataError(f"{where}: a {row['family']} curve with adstock", "give adstocked curves in closed form")
        out.append(adstock_weights(theta, lmax, bool(norm)))
        if len(out[-1]) <= lmax:
            log.info("%s: adstock_lmax = %d truncated to L = %d: the weights θ^l past it (θ = %g) carry less than %.1e "
                     "of their sum, below its rounding", where, lmax, len(out[-1]) - 1, theta, ADSTOCK_TAIL)
    return out


def read_time_phased(folder: str | Path, steady: Instance, rule_periods: Sequence[tuple[str, str]] = ()) -> Instance:
    """The cell instance of a time-phased folder, from the folder's own ``steady`` reading of activities.csv,
    rules.csv (without their periods) and settings.csv (:func:`mmo_pyomo.instance.csv_folder.read_csv_dir`), and
    rules.csv's (rule, period) cells row by row."""
    folder = Path(folder)
    if steady.curves is None:
        raise DataError(f"'{folder}' has periods.csv and no curves.csv", "give the response curves in curves.csv")
    names = steady.activities
    periods, budgets = read_periods(folder)
    weights = _adstock(folder, names)
    lag = max(len(w) - 1 for w in weights)
    base_plan = _cells(folder / "baseline_plan.csv", names, periods, past=False) \
        if (folder / "baseline_plan.csv").is_file() else {}
    past = _cells(folder / "history.csv", names, periods, past=True) if (folder / "history.csv").is_file() else {}
    history = np.array([[past.get((a, -j), float(steady.baseline[i])) for j in range(max(lag, 1))]
                        for i, a in enumerate(names)])
    cells = [cell_name(a, t) for a in names for t in range(1, periods + 1)]
    act = np.repeat(np.arange(len(names)), periods)
    per = np.tile(np.arange(1, periods + 1), len(names))
    baseline = np.array([base_plan.get((names[i], int(t)), float(steady.baseline[i])) for i, t in zip(act, per)])
    rules, coef, lower, upper = _cell_rules(folder, steady, periods, budgets, rule_periods)
    params = {"baseline": baseline, "lower": steady.lower[act], "upper": steady.upper[act],
              "min_change": steady.min_change[act], "quad": np.zeros(len(cells)), "lin": np.zeros(len(cells)),
              "const": np.zeros(len(cells))}
    inst = Instance.from_mappings(cells, {f: dict(zip(cells, v.tolist())) for f, v in params.items()},
                                  budget_upper=steady.budget_upper, budget_lower=steady.budget_lower,
                                  max_changes=steady.max_changes, rules=rules, rule_coef=coef, rule_lower=lower,
                                  rule_upper=upper, name=folder.name)
    carry = _carry_out(folder)
    horizon = Horizon(names, periods, act, per, tuple(weights), history, carry)
    return with_curves(inst, _cell_curves(steady.curves, act)).with_changes(horizon=horizon)


def _carry_out(folder: Path) -> bool:
    path = folder / "settings.csv"
    frame = read_table(path, ("name", "value"), required=("name", "value"))
    values = dict(zip(frame["name"], frame["value"]))
    raw = values.get("carry_out", "0")
    v = _whole(raw or "0", f"'{path}'", "carry_out")
    if v not in (0, 1):
        raise DataError(f"'{path}': carry_out = {raw!r}", "give 1 (count the periods after T) or 0")
    return bool(v)


def _cell_rules(folder: Path, steady: Instance, periods: int, budgets: dict[int, tuple[float, float]],
                rule_periods: Sequence[tuple[str, str]]):
    """The rules over cells: each period's budget (from periods.csv), and each rule of rules.csv in its period, or
    in every period when it names none (then called ``rule@t``)."""
    names = steady.activities
    rules: list[str] = []
    coef: dict[tuple[str, str], float] = {}
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    for t, (lo, hi) in budgets.items():
        if np.isfinite(lo) or np.isfinite(hi):
            r = cell_name("budget", t)
            rules.append(r)
            coef.update({(r, cell_name(a, t)): 1.0 for a in names})
            lower[r], upper[r] = lo, hi
    rule_period = _rule_periods(folder / "rules.csv", rule_periods, periods)
    terms = steady.rule_terms()
    for k, r in enumerate(steady.rules):
        one = rule_period.get(r)
        for t in ([one] if one is not None else range(1, periods + 1)):
            name = cell_name(r, t)
            if name in lower:
                raise DataError(f"'{folder / 'rules.csv'}': rule '{r}' in period {t} is named like the period's budget",
                                "rename the rule")
            rules.append(name)
            coef.update({(name, cell_name(a, t)): c for a, c in terms[r]})
            lower[name], upper[name] = float(steady.rule_lower[k]), float(steady.rule_upper[k])
    return rules, coef, lower, upper


def _rule_periods(path: Path, cells: Sequence[tuple[str, str]], periods: int) -> dict[str, int | None]:
    """rule → its period from rules.csv's ``period`` cells, row by row (None: every period)."""
    out: dict[str, int | None] = {}
    for k, (r, raw) in enumerate(cells):
        where = f"'{path}', row {k + 2}"
        t = None if not str(raw).strip() else _whole(raw, where, "period")
        if t is not None and not 1 <= t <= periods:
            raise DataError(f"{where}: rule '{r}' names period {t}, which is not in periods.csv (1..{periods})",
                            "give a period 1..T, or leave it empty for every period")
        if r in out and out[r] != t:
            raise DataError(f"{where}: rule '{r}' names different periods on its rows", "give one period per rule")
        out[str(r)] = t
    return out


def _cell_curves(curves: ResponseCurves, act: np.ndarray) -> ResponseCurves:
    """Each activity's curve on every one of its cells."""
    from dataclasses import replace
    where = {int(i): [k for k, a in enumerate(act) if a == i] for i in set(act.tolist())}
    return replace(curves, family=tuple(curves.family[i] for i in act), beta=curves.beta[act], k=curves.k[act],
                   s=curves.s[act], lam=curves.lam[act],
                   tables={k: t for i, t in curves.tables.items() for k in where.get(i, [])},
                   draws={k: d for i, d in curves.draws.items() for k in where.get(i, [])},
                   table_draws={k: d for i, d in curves.table_draws.items() for k in where.get(i, [])})


def plan_rows(inst: Instance, delta: np.ndarray) -> pd.DataFrame:
    """The plan of a time-phased instance: one row per (activity, period) with its baseline, new spend and change."""
    h = inst.horizon
    assert h is not None
    return pd.DataFrame({"activity": [h.activities[i] for i in h.cell_activity], "period": h.cell_period,
                         "baseline": inst.baseline, "new_spend": inst.baseline + delta, "change": delta})
