"""Plots of the study as PNG: a performance profile of run times and the gap against time."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.plotting import pyplot, save_figure


def performance_profile(frame: pd.DataFrame, path: str | Path, solver: str = "scip") -> Path:
    """Dolan–Moré profile: share of instances each formulation solves within τ × the best time."""
    plt = pyplot()
    runs = frame[frame["solver"] == solver]
    times = runs.pivot_table(index="instance", columns="formulation", values="time_s", aggfunc="first")
    solved = runs.pivot_table(index="instance", columns="formulation", values="status",
                              aggfunc=lambda s: (s == "optimal").any())
    times = times.where(solved.reindex_like(times).fillna(False).astype(bool), np.inf)
    best = times.min(axis=1).replace(np.inf, np.nan)
    ratio = times.div(best, axis=0)
    taus = np.logspace(0, 3, 200)
    fig, ax = plt.subplots(figsize=(6, 4))
    for f in ratio.columns:
        r = ratio[f].to_numpy()
        ax.step(taus, [(r <= t).mean() for t in taus], where="post", label=f)
    ax.set_xscale("log")
    ax.set_xlabel("τ (time / best time)")
    ax.set_ylabel("share of instances solved to optimality")
    ax.set_title(f"Performance profile ({solver}, {len(ratio)} instances)")
    ax.set_ylim(0, 1.02)
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    return Path(path)


def gap_vs_time(frame: pd.DataFrame, path: str | Path, solver: str = "scip") -> Path:
    """Final gap against run time, one colour per formulation (gap 0 drawn at 10⁻⁸)."""
    plt = pyplot()
    runs = frame[(frame["solver"] == solver) & frame["gap"].notna()]
    fig, ax = plt.subplots(figsize=(6, 4))
    for f, grp in runs.groupby("formulation"):
        ax.scatter(grp["time_s"], grp["gap"].clip(lower=1e-8), label=f, s=14, alpha=0.7)
    ax.set_yscale("log")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("final relative gap")
    ax.set_title(f"Gap against time ({solver})")
    ax.legend()
    fig.tight_layout()
    save_figure(fig, path, dpi=120)
    return Path(path)
