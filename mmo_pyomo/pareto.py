"""The Pareto curve of revenue against the maximum number of changes K (the paper's Figure 2)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.plotting import pyplot, save_figure
from mmo_pyomo.runner import solve


def k_grid(n: int, steps: int) -> list[int]:
    """K from 0 to n in about ``steps`` equal steps (distinct integers, both ends included)."""
    return sorted({int(round(v)) for v in np.linspace(0, n, steps + 1)})


def knee_index(ks: np.ndarray, revenue: np.ndarray) -> int:
    """The knee: the point farthest above the chord from the first to the last point (Kneedle),
    both axes scaled to [0, 1]."""
    x = (ks - ks[0]) / max(ks[-1] - ks[0], 1e-12)
    span = revenue[-1] - revenue[0]
    y = (revenue - revenue[0]) / (span if abs(span) > 1e-12 else 1.0)
    return int(np.argmax(y - x))


def pareto_curve(inst: Instance, formulation: str = "misocp", solver: str = "scip", steps: int = 20,
                 time_limit: float | None = None) -> pd.DataFrame:
    """Solve for each K of :func:`k_grid`, from K = 0 upwards, each warm-started from the previous plan.

    The previous plan stays feasible when K grows, so with a MIP start the curve never goes down.
    Columns: max_changes, status, revenue, bound, gap, n_changes, time_s, revenue_pct (of the
    revenue at K = n, as in the paper) and lift_pct (share of the largest lift over the baseline).
    """
    rows, start = [], None
    for k in k_grid(inst.n, steps):
        r = solve(inst.with_changes(max_changes=k), formulation, solver, time_limit=time_limit, start=start)
        r.raise_for_status()
        start = r.delta
        rows.append({"max_changes": k, "status": r.status, "revenue": r.objective, "bound": r.bound, "gap": r.gap,
                     "n_changes": r.n_changes, "time_s": r.time_s})
    frame = pd.DataFrame(rows)
    top = frame["revenue"].iloc[-1]
    base = float(inst.const.sum())
    frame["revenue_pct"] = 100 * frame["revenue"] / top
    frame["lift_pct"] = 100 * (frame["revenue"] - base) / (top - base) if top != base else 100.0
    frame["knee"] = False
    frame.loc[knee_index(frame["max_changes"].to_numpy(float), frame["revenue"].to_numpy()), "knee"] = True
    return frame


def plot_pareto(frame: pd.DataFrame, n: int, path: str | Path, title: str = "") -> Path:
    """Revenue (% of the maximum) against K (% of n), with the knee marked."""
    plt = pyplot()

    x = 100 * frame["max_changes"] / n
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(x, frame["revenue_pct"], marker="o", ms=3)
    knee = frame[frame["knee"]].iloc[0]
    ax.scatter([100 * knee["max_changes"] / n], [knee["revenue_pct"]], color="red", zorder=3,
               label=f"knee: K = {int(knee['max_changes'])} ({100 * knee['max_changes'] / n:.0f}% of n), "
                     f"{knee['revenue_pct']:.2f}% of max")
    ax.set_xlabel("maximum number of changes K (% of activities)")
    ax.set_ylabel("revenue (% of the maximum)")
    ax.set_title(title or "Revenue against K")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    return Path(path)
