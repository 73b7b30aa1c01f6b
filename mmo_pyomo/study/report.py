"""The Table-2-style report: median gaps, run-time and node ratios, share solved to optimality."""
from __future__ import annotations

import numpy as np
import pandas as pd

from mmo_pyomo.study.runs import design_of

#: (numerator, denominator) formulation pairs whose per-instance ratios are reported.
RATIO_PAIRS = (("misocp", "miqp"), ("hull", "misocp"))
DESIGN_COLUMNS = ["correlation", "n", "min_change", "max_changes"]


def with_design(frame: pd.DataFrame) -> pd.DataFrame:
    """Add class, n, δ and κ parsed from the instance names, and the root gap."""
    design = pd.DataFrame([design_of(str(name)) for name in frame["instance"]], index=frame.index)
    for col in DESIGN_COLUMNS:
        frame[col] = design[col] if col in design else np.nan
    best = frame.groupby("instance")["objective"].transform("max")
    frame["root_gap"] = (frame["root_bound"] - best) / best.abs()
    return frame


def _ratios(frame: pd.DataFrame, solver: str) -> pd.DataFrame:
    runs = frame[frame["solver"] == solver]
    out = {}
    for metric in ("time_s", "nodes"):
        wide = runs.pivot_table(index="instance", columns="formulation", values=metric, aggfunc="first")
        for num, den in RATIO_PAIRS:
            if num in wide and den in wide:
                # nodes can be 0 (solved at the root): count a root solve as one node
                a, b = (wide[num].clip(lower=1), wide[den].clip(lower=1)) if metric == "nodes" else (wide[num], wide[den])
                out[f"{metric}_{num}/{den}"] = a / b
    return pd.DataFrame(out)


def summarize(frame: pd.DataFrame, by: list[str], solver: str) -> pd.DataFrame:
    """One row per group: runs, median gap and share optimal per formulation, median ratios."""
    frame = with_design(frame.copy())
    runs = frame[(frame["solver"] == solver) & frame["status"].isin(["optimal", "feasible", "time_limit"])]
    ratios = _ratios(frame, solver)
    design_by_instance = frame.drop_duplicates("instance").set_index("instance")[DESIGN_COLUMNS]
    ratios = ratios.join(design_by_instance)
    rows = []
    grouped = runs.groupby(by, dropna=False) if by else [((), runs)]
    for key, grp in grouped:
        key = key if isinstance(key, tuple) else (key,)
        row = dict(zip(by, key)) if by else {}
        row["instances"] = grp["instance"].nunique()
        for f, fg in grp.groupby("formulation"):
            row[f"gap_{f}"] = fg["gap"].fillna(np.inf).median()
            row[f"optimal_{f}"] = (fg["status"] == "optimal").mean()
            row[f"root_gap_{f}"] = fg["root_gap"].median()
        sel = ratios
        for col, val in zip(by, key):
            sel = sel[sel[col] == val]
        for col in ratios.columns:
            if col not in DESIGN_COLUMNS:
                row[f"median {col}"] = sel[col].median() if len(sel) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _fmt(col: str, v) -> str:
    if isinstance(v, float) and np.isnan(v):
        return "–"
    if col.startswith("optimal_"):
        return f"{100 * v:.0f}%"
    if col.startswith(("gap_", "root_gap_")):
        return "∞" if v == np.inf else f"{100 * v:.4f}%"
    if col.startswith("median"):
        return f"{v:.3g}"
    if col in ("instances", "n"):
        return str(int(v))
    if col in ("min_change", "max_changes"):
        return f"{int(round(100 * v))}%"
    return str(v)


def markdown(table: pd.DataFrame) -> str:
    """A Markdown table."""
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, row in table.iterrows():
        lines.append("| " + " | ".join(_fmt(c, row[c]) for c in cols) + " |")
    return "\n".join(lines)


def report(frame: pd.DataFrame, solver: str = "scip") -> str:
    """The whole report: by class (as the paper's Table 2), then by class × n × δ × κ."""
    parts = [f"# Tightness study ({solver})", "",
             "Gaps are (bound − objective)/|objective| at the time limit; root gaps are (root relaxation bound − "
             "best objective found by any run)/|best|. Ratios are medians of per-instance ratios (nodes: a root "
             "solve counts as one node).", "", "## By coefficient class", "",
             markdown(summarize(frame, ["correlation"], solver)), "", "## Overall", "",
             markdown(summarize(frame, [], solver)), "", "## By class, n, δ and κ", "",
             markdown(summarize(frame, DESIGN_COLUMNS, solver)), ""]
    return "\n".join(parts)
