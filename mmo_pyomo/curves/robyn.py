"""Robyn's curves of one solution (Hill curves: coef·x^α/(x^α + inflexion^α)), from its CSV outputs, read strictly:
every column the importer needs present, no channel or solution given twice, every number a number."""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from mmo_pyomo.curves.families import ResponseCurves
from mmo_pyomo.curves.importers import PlanningRules, build_instance
from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.reading import check_unique_rows, closest


def from_robyn(folder: str | Path, solution: str, rules: PlanningRules) -> Instance:
    """Hill curves of one Robyn solution: shape α and inflexion from ``pareto_hyperparameters.csv``
    (columns ``solID``, ``<channel>_alphas``, ``<channel>_gammas`` and ``<channel>_inflexion``), the
    coefficient from ``pareto_aggregated.csv`` (``solID, rn, coef``), the baseline and the bounds
    from ``<solution>_reallocated.csv`` (``channels, initSpendUnit, constr_low, constr_up``)."""
    folder = Path(folder)
    hyper = _solution_rows(folder / "pareto_hyperparameters.csv", solution, ("solID",))
    agg = _solution_rows(folder / "pareto_aggregated.csv", solution, ("solID", "rn"))
    found = sorted(folder.glob(f"{solution}_reallocated*.csv"))
    if not found:
        raise DataError(f"no '{solution}_reallocated.csv' in '{folder}'", "run robyn_allocator for that solution first")
    if len(found) > 1:                             # two allocations of one solution: which is the baseline?
        raise DataError(f"'{folder}' has {len(found)} allocations of solution '{solution}': "
                        f"{', '.join(p.name for p in found)}", "keep the one to re-plan from (move the others out)")
    alloc = _table(found[0], ("channels", "initSpendUnit"), key=("channels",))
    channels = [str(c) for c in alloc["channels"]]
    base = _numbers(alloc, "initSpendUnit", found[0])
    baseline = dict(zip(channels, base))
    lower = upper = None
    if {"constr_low", "constr_up"} <= set(alloc.columns):
        lower = {c: b * lo for c, b, lo in zip(channels, base, _numbers(alloc, "constr_low", found[0]))}
        upper = {c: b * up for c, b, up in zip(channels, base, _numbers(alloc, "constr_up", found[0]))}
    if len(hyper) > 1:
        raise DataError(f"'{folder / 'pareto_hyperparameters.csv'}' has {len(hyper)} rows for solution '{solution}'",
                        "keep one row per solution")
    coef = dict(zip(agg["rn"].astype(str), _numbers(agg, "coef", folder / "pareto_aggregated.csv")))
    rows = {}
    for c in channels:
        need = [f"{c}_alphas", f"{c}_inflexion"]
        absent = [col for col in need if col not in hyper.columns]
        if absent or c not in coef:
            raise DataError(f"Robyn outputs lack {absent or ['coef of ' + c]} for channel '{c}'",
                            "export the solution's hyperparameters with each channel's inflexion")
        path = folder / "pareto_hyperparameters.csv"
        rows[c] = {"family": "hill", "beta": coef[c], "k": _numbers(hyper, f"{c}_inflexion", path)[0],
                   "s": _numbers(hyper, f"{c}_alphas", path)[0]}
    curves = ResponseCurves.from_rows(tuple(channels), rows, {}, str(folder))
    return build_instance(f"robyn_{solution}", baseline, curves, rules, lower, upper)


def _table(path: Path, required: Sequence[str], key: Sequence[str]) -> pd.DataFrame:
    """One of Robyn's CSV outputs, as text: its other columns are Robyn's own, but every ``required`` column is there
    and no two rows share their ``key``."""
    if not path.is_file():
        raise DataError(f"'{path}' does not exist", "point --input at Robyn's output folder")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read '{path}': {str(exc).strip().splitlines()[0] if str(exc).strip() else exc}",
                        "give Robyn's CSV output as written") from None
    for column in required:
        if column not in frame.columns:
            raise DataError(f"'{path}' has no column '{column}'{closest(column, frame.columns)}",
                            "give Robyn's CSV output as written")
    check_unique_rows(frame, key, f"'{path}'")
    return frame


def _solution_rows(path: Path, solution: str, key: Sequence[str]) -> pd.DataFrame:
    """The rows of one solution of a Robyn output that lists every solution (``solID``)."""
    frame = _table(path, key, key)
    rows = frame[frame["solID"] == solution]
    if rows.empty:
        raise DataError(f"'{path}' has no solution '{solution}'", f"choose one of {list(frame['solID'].unique())[:5]}")
    return rows


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> list[float]:
    """A column of a Robyn output as finite numbers, or the project's error naming the file's row."""
    out = []
    for k, v in zip(frame.index, frame[column]):
        try:
            x = float(v)
        except ValueError:
            x = math.nan
        if not math.isfinite(x):
            raise DataError(f"'{path}', row {int(k) + 2}: {column} = {v!r} is not a finite number",
                            "give Robyn's CSV output as written")
        out.append(x)
    return out
