"""Response curves in a CSV instance folder: ``curves.csv``; for tables ``curve_points.csv``; for means of
posterior draws ``curve_draws.csv`` (``activity, draw, beta, k, s, lam``: one row per draw).

With curves, ``activities.csv`` needs only ``activity, baseline, lower, upper, min_change``; the
usual ``rules.csv`` and ``settings.csv`` stay as they are.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.curves.families import (
    ADSTOCK_COLUMNS,
    CURVE_COLUMNS,
    DRAW_COLUMNS,
    DRAW_POINT_COLUMNS,
    FAMILIES,
    POINT_COLUMNS,
    TABULAR,
    ResponseCurves,
)
from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.reading import read_table

#: The quadratic's columns, which a curve instance leaves out of activities.csv.
QUADRATIC_COLUMNS = ("quad", "lin", "const")


def with_curves(inst: Instance, curves: ResponseCurves) -> Instance:
    """``inst`` with revenues given by ``curves``: quad = lin = 0 and const = r(x̄) (the baseline's revenue)."""
    curves.check_spend_range(inst.activities, inst.lower, inst.upper)
    zero = np.zeros(inst.n)
    return inst.with_changes(quad=zero, lin=zero.copy(), const=curves.response(inst.baseline), curves=curves)


def read_curves(folder: Path, activities: tuple[str, ...]) -> ResponseCurves:
    """The curves of ``activities`` from ``folder/curves.csv`` (and ``curve_points.csv``)."""
    path = folder / "curves.csv"
    frame = read_table(path, (*CURVE_COLUMNS, *ADSTOCK_COLUMNS), required=("activity", "family"), key=("activity",))
    frame = frame.drop(  # the adstock is read with the periods of a time-phased plan
columns=[c for c in ADSTOCK_COLUMNS if c in frame.columns])
    rows = {a: {c: _cell(v) for c, v in row.items()} for a, row in frame.set_index("activity").iterrows()}
    points: dict[str, list[tuple[float, float]]] = {}
    pts_path = folder / "curve_points.csv"
    if pts_path.is_file():
        pts = read_table(pts_path, POINT_COLUMNS, required=POINT_COLUMNS, key=("activity", "spend"))
        for k, (a, x, y) in enumerate(zip(pts["activity"], pts["spend"], pts["response"])):
            try:
                points.setdefault(a, []).append((float(x), float(y)))
            except ValueError:
                raise DataError(f"'{pts_path}', row {k + 2}: spend {x!r} or response {y!r} is not a number",
                                "write numbers in the spend and response columns") from None
    _points_of_tables(points, rows, pts_path)
    draws: dict[str, list[dict[str, object]]] = {}
    draws_path = folder / "curve_draws.csv"
    if draws_path.is_file():
        frame = read_table(draws_path, DRAW_COLUMNS, required=("activity", "draw"), key=("activity", "draw"))
        draws = _aligned_draws(frame, draws_path)
    curves = ResponseCurves.from_rows(activities, rows, points, str(path), draws)
    table_path = folder / "curve_draw_points.csv"
    if table_path.is_file():
        curves = _with_table_draws(curves, activities, table_path)
    return curves


def _points_of_tables(points: dict[str, list[tuple[float, float]]], rows: dict[str, dict[str, object]],
                      path: Path) -> None:
    """Refuse points that no curve reads: of an activity without a row in curves.csv, or of a closed-form curve."""
    for a in points:
        if a not in rows:
            raise DataError(f"'{path}' has points for '{a}', which has no row in curves.csv",
                            "remove its points, or give it a table curve in curves.csv and a row in activities.csv")
        family = str(rows[a].get("family", "")).strip()
        if family in FAMILIES and family not in TABULAR:
            raise DataError(f"'{path}' has points for '{a}', whose curve in curves.csv is {family}, not a table",
                            "remove its points, or make its family table or samples")


def _aligned_draws(frame: pd.DataFrame, path: Path) -> dict[str, list[dict[str, object]]]:
    """Each activity's draws in draw-number order; every activity with draws has the same draw numbers (draw s of
    every curve is one joint posterior sample)."""
    frame = _numbered_draws(frame, path).sort_values(["activity", "draw"], kind="stable")
    draws: dict[str, list[dict[str, object]]] = {}
    for row in frame.to_dict("records"):
        row.pop("draw")
        draws.setdefault(str(row.pop("activity")), []).append({c: _cell(v) for c, v in row.items()})
    return draws


def _numbered_draws(frame: pd.DataFrame, path: Path) -> pd.DataFrame:
    """``frame`` with whole draw numbers, the same set for every activity (else the project's error naming them)."""
    numbers = pd.to_numeric(frame["draw"], errors="coerce")
    bad = numbers.isna() | (numbers != numbers.round())
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"'{path}', row {k + 2}: draw {frame['draw'].iloc[k]!r} is not a whole number",
                        "number the draws 1, 2, … (the same numbers for every activity)")
    frame = frame.assign(draw=numbers.astype(int))
    ids = {str(a): set(g["draw"]) for a, g in frame.groupby("activity", sort=False)}
    every = set().union(*ids.values())
    for a, have in ids.items():
        if have != every:
            gone = min(every - have)
            raise DataError(f"'{path}': draw {gone} has no row for activity '{a}'",
                            "give every draw number a row for every activity with draws")
    return frame


def _with_table_draws(curves: ResponseCurves, activities: tuple[str, ...], path: Path) -> ResponseCurves:
    """``curves`` with the posterior draws of its table curves from ``curve_draw_points.csv`` (``activity, draw,
    spend, response``): every draw at the table's own spends, and the table (curve_points.csv) their mean."""
    from dataclasses import replace
    frame = _numbered_draws(read_table(path, DRAW_POINT_COLUMNS, required=DRAW_POINT_COLUMNS,
                                       key=("activity", "draw", "spend")), path)
    position = {a: k for k, a in enumerate(activities)}
    out: dict[int, np.ndarray] = {}
    for a, group in frame.groupby("activity", sort=False):
        k = position.get(str(a))
        if k is None or k not in curves.tables:
            raise DataError(f"'{path}': activity '{a}' is not a table or samples curve of curve_points.csv",
                            "give tabulated draws only to activities whose curve is a table of points")
        px, py = curves.tables[k]
        rows = []
        for d, one in group.groupby("draw", sort=True):
            spend = pd.to_numeric(one["spend"], errors="coerce").to_numpy()
            resp = pd.to_numeric(one["response"], errors="coerce").to_numpy()
            order = np.argsort(spend)
            if not (np.isfinite(spend).all() and np.isfinite(resp).all()):
                raise DataError(f"'{path}': draw {d} of '{a}' has a spend or response that is not a finite number",
                                "write numbers in the spend and response columns")
            if len(spend) != len(px) or not np.allclose(spend[order], px, rtol=1e-12, atol=0.0):
                raise DataError(f"'{path}': draw {d} of '{a}' is not at the spends of its curve_points.csv rows",
                                "give every draw the same spends as the activity's points")
            rows.append(resp[order])
        table = np.array(rows)
        if not np.allclose(table.mean(axis=0), py, rtol=1e-9, atol=1e-9 * float(np.abs(py).max(initial=1.0))):
            raise DataError(f"'{path}': the mean of the draws of '{a}' is not its curve_points.csv response",
                            "write the draws' mean in curve_points.csv (mmo import-curves does)")
        out[int(k)] = table
    if curves.draws and out and len(next(iter(out.values()))) != curves.n_draws:
        raise DataError(f"'{path}' has {len(next(iter(out.values())))} draws and curve_draws.csv {curves.n_draws}",
                        "give both files the same draws")
    return replace(curves, table_draws=out)


def _cell(v: object) -> object:
    return None if isinstance(v, str) and not v.strip() else v


def curve_frames(inst: Instance) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(curves.csv, curve_points.csv, curve_draws.csv, curve_draw_points.csv) of a curve instance."""
    assert inst.curves is not None
    curves, pts = inst.curves.rows(inst.activities)
    draws = inst.curves.draw_rows(inst.activities)
    table_draws = [{"activity": inst.activities[i], "draw": d + 1, "spend": float(x), "response": float(y)}
                   for i, t in sorted(inst.curves.table_draws.items())
                   for d, row in enumerate(t) for x, y in zip(inst.curves.tables[i][0], row)]
    return (pd.DataFrame(curves, columns=list(CURVE_COLUMNS)), pd.DataFrame(pts, columns=list(POINT_COLUMNS)),
            pd.DataFrame(draws, columns=list(DRAW_COLUMNS)), pd.DataFrame(table_draws, columns=list(DRAW_POINT_COLUMNS)))
