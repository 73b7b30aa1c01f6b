"""Two studies of the same instances side by side (say, without a start and from the chord start),
next to the paper's Table 2: the share proved within 1e-4, median gaps, times and nodes, and the
per-instance ratios between the two settings and between formulations."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from mmo_pyomo.study.report import FORMULATION_ORDER, _fmt, starved, with_design
from mmo_pyomo.study.runs import STARVED_CPU_SHARE

#: The paper's Table 2 (Gurobi 7, 4 threads, 100 s, 35 instances per cell, MIP gap 1e-4): median
#: gap of the MIQP and the MISOCP, and median MISOCP/MIQP time and node ratios, by class.
PAPER_TABLE_2: dict[str, dict[str, float]] = {
    "uncorrelated": {"gap_miqp": 0.0396, "gap_misocp": 0.0, "time_misocp/miqp": 0.09, "nodes_misocp/miqp": 0.01},
    "weak": {"gap_miqp": 0.0416, "gap_misocp": 0.0, "time_misocp/miqp": 0.08, "nodes_misocp/miqp": 0.01},
    "strong": {"gap_miqp": 0.0424, "gap_misocp": 0.0, "time_misocp/miqp": 0.09, "nodes_misocp/miqp": 0.01},
    "all": {"gap_miqp": 0.0408, "gap_misocp": 0.0, "time_misocp/miqp": 0.09, "nodes_misocp/miqp": 0.01},
}

GOOD = ("optimal", "feasible", "time_limit")


def _common(a: pd.DataFrame, b: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Only the (instance, formulation) runs both studies finished, so that every ratio is paired."""
    key = ["instance", "formulation"]
    both = a[key].merge(b[key], on=key)
    pick = pd.MultiIndex.from_frame(both)
    return (a[pd.MultiIndex.from_frame(a[key]).isin(pick)].copy(), b[pd.MultiIndex.from_frame(b[key]).isin(pick)].copy())


def _proved(frame: pd.DataFrame, tol: float) -> pd.Series:
    return frame["objective"].notna() & frame["gap"].notna() & (frame["gap"] <= tol)


def _pct(v: float) -> str:
    return _fmt("gap_", float(v))          # the report's formats: a gap, a share, a median


def _share(v: float) -> str:
    return _fmt("optimal_", float(v))


def _num(v: float) -> str:
    return _fmt("median", float(v))


def _rows(a: pd.DataFrame, b: pd.DataFrame, groups: list[tuple[str, pd.Series, pd.Series]],
          forms: list[str]) -> list[str]:
    lines = []
    for label, ga, gb in groups:
        for f in forms:
            fa, fb = a[ga & (a["formulation"] == f)], b[gb & (b["formulation"] == f)]
            if fa.empty:
                continue
            pair = fa.set_index("instance")[["time_s", "nodes"]].merge(
                fb.set_index("instance")[["time_s", "nodes", "start_time_s"]], how="left", left_index=True,
                right_index=True, suffixes=("_a", "_b"))
            time_ratio = (pair["time_s_b"] / pair["time_s_a"]).median()
            node_ratio = (pair["nodes_b"].clip(lower=1) / pair["nodes_a"].clip(lower=1)).median()
            lines.append(
                f"| {label} | {f} | {len(fa)} | {_share(_proved(fa, 1e-4).mean())} / {_share(_proved(fb, 1e-4).mean())} "
                f"| {_share(_proved(fa, 1e-6).mean())} / {_share(_proved(fb, 1e-6).mean())} "
                f"| {_pct(fa['gap'].fillna(np.inf).median())} / {_pct(fb['gap'].fillna(np.inf).median())} "
                f"| {_pct(fa['lift_gap'].median())} / {_pct(fb['lift_gap'].median())} "
                f"| {_num(fa['time_s'].median())} / {_num(fb['time_s'].median())} "
                f"| {_num(pair['start_time_s'].median())} | {_num(time_ratio)} "
                f"| {_num(fa['nodes'].median())} / {_num(fb['nodes'].median())} | {_num(node_ratio)} |")
    return lines


def _formulation_ratios(frame: pd.DataFrame, num: str, den: str, metric: str) -> pd.Series:
    wide = frame.pivot_table(index="instance", columns="formulation", values=metric, aggfunc="first")
    if num not in wide or den not in wide:
        return pd.Series(dtype=float)
    a, b = wide[num], wide[den]
    if metric == "nodes":
        a, b = a.clip(lower=1), b.clip(lower=1)
    return a / b


def _starved_line(a: pd.DataFrame, b: pd.DataFrame, la: str, lb: str) -> list[str]:
    """A warning when runs of either study shared their core with other work (empty otherwise)."""
    na, nb = int(starved(a).sum()), int(starved(b).sum())
    if not na and not nb:
        return []
    return [f"**Warning:** {na} {la} and {nb} {lb} runs had less than {STARVED_CPU_SHARE:.0%} of a core while they "
            "solved (cpu_s/wall_s in results.csv): their times and gaps measure the machine's load.", ""]


def side_by_side(a: pd.DataFrame, b: pd.DataFrame, labels: tuple[str, str] = ("cold", "warm"),
                 baseline_revenue: Mapping[str, float] | None = None, solver: str = "scip") -> str:
    """Markdown comparing study ``a`` with study ``b`` run for run, by class and overall, with the paper."""
    a = with_design(a[(a["solver"] == solver) & a["status"].isin(GOOD)].copy(), baseline_revenue)
    b = with_design(b[(b["solver"] == solver) & b["status"].isin(GOOD)].copy(), baseline_revenue)
    a, b = _common(a, b)
    for frame in (a, b):
        if "lift_gap" not in frame:          # baseline revenues not given: the lift gaps print as "–"
            frame["lift_gap"] = np.nan
    forms = sorted(set(a["formulation"]), key=lambda f: FORMULATION_ORDER.index(f) if f in FORMULATION_ORDER else 99)
    la, lb = labels
    classes = [c for c in ("uncorrelated", "weak", "strong") if c in set(a["correlation"])]
    groups = [(c, a["correlation"] == c, b["correlation"] == c) for c in classes]
    groups.append((f"all {a['instance'].nunique()}", a["instance"].notna(), b["instance"].notna()))
    head = [f"# {la} against {lb}, run for run", "",
            f"{a['instance'].nunique()} instances; only the runs finished in both settings are counted "
            f"({len(a)} pairs). Each cell is {la} / {lb}. 'Proved' means a plan with (bound − objective)/objective "
            f"within the tolerance at the end of the run. Time is the engine's; the start's time (the chord "
            f"heuristic) is its own column. Ratios are medians of per-instance {lb}/{la} ratios (nodes: a root "
            "solve counts as one).", "",
            *_starved_line(a, b, la, lb),
            "| class | formulation | runs | proved ≤ 1e-4 | proved ≤ 1e-6 | median gap | median lift gap "
            "| median time (s) | median start (s) | time ratio | median nodes | node ratio |",
            "|" + "---|" * 12]
    lines = head + _rows(a, b, groups, forms)
    lines += ["", f"## Formulation ratios next to the paper's Table 2 (MISOCP/MIQP; {la} / {lb})", "",
              "| class | MIQP gap (paper / " + f"{la} / {lb})" + " | MISOCP gap (paper / " + f"{la} / {lb})"
              + " | MISOCP/MIQP time (paper / " + f"{la} / {lb})" + " | MISOCP/MIQP nodes (paper / "
              + f"{la} / {lb})" + f" | hull/MISOCP time ({la} / {lb}) |", "|" + "---|" * 6]
    for label, ga, gb in [*groups[:-1], ("all", groups[-1][1], groups[-1][2])]:
        fa, fb = a[ga], b[gb]
        paper = PAPER_TABLE_2.get(label, {})

        def gap(frame: pd.DataFrame, f: str) -> str:
            return _pct(frame[frame["formulation"] == f]["gap"].fillna(np.inf).median())

        def ratio(frame: pd.DataFrame, num: str, den: str, metric: str) -> str:
            return _num(_formulation_ratios(frame, num, den, metric).median())

        lines.append(
            f"| {label} | {_pct(paper.get('gap_miqp', np.nan))} / {gap(fa, 'miqp')} / {gap(fb, 'miqp')} "
            f"| {_pct(paper.get('gap_misocp', np.nan))} / {gap(fa, 'misocp')} / {gap(fb, 'misocp')} "
            f"| {_num(paper.get('time_misocp/miqp', np.nan))} / {ratio(fa, 'misocp', 'miqp', 'time_s')} / "
            f"{ratio(fb, 'misocp', 'miqp', 'time_s')} "
            f"| {_num(paper.get('nodes_misocp/miqp', np.nan))} / {ratio(fa, 'misocp', 'miqp', 'nodes')} / "
            f"{ratio(fb, 'misocp', 'miqp', 'nodes')} "
            f"| {ratio(fa, 'hull', 'misocp', 'time_s')} / {ratio(fb, 'hull', 'misocp', 'time_s')} |")
    by_n = [(f"n = {n}", a["n"] == n, b["n"] == n) for n in sorted(set(a["n"].dropna()))]
    if by_n:
        lines += ["", "## By n", "", head[-2], head[-1], *_rows(a, b, by_n, forms)]
    lines.append("")
    return "\n".join(lines)

