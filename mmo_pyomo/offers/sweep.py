"""Strategic what-ifs: profit and marginal value against the budget or a channel capacity."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mmo_pyomo.errors import MMOError
from mmo_pyomo.io_utils import atomic_path, json_records
from mmo_pyomo.offers.exact import solve_exact
from mmo_pyomo.offers.problem import OfferProblem, check_feasible_campaign
from mmo_pyomo.plotting import pyplot, save_figure


def parse_amount(text: str) -> float:
    """'0.5M' → 500000, '250k' → 250000, '1e6' → 1000000."""
    text = text.strip().lower()
    scale = {"k": 1e3, "m": 1e6}.get(text[-1:], 1.0)
    try:
        value = float(text[:-1] if scale != 1.0 else text) * scale
    except ValueError:
        raise MMOError(f"cannot read the amount '{text}'", "write amounts like 500000, 250k or 0.5M") from None
    if not np.isfinite(value) or value < 0:
        raise MMOError(f"the amount '{text}' is not a finite number ≥ 0",
                       "budgets and capacities are amounts like 500000, 250k or 0.5M")
    return value


def parse_range(spec: str) -> np.ndarray:
    """'LO:HI:STEPS' → STEPS values from LO to HI (amounts ≥ 0, STEPS a whole number ≥ 1)."""
    parts = spec.split(":")
    if len(parts) != 3:
        raise MMOError(f"cannot read the range '{spec}'", "write LO:HI:STEPS, e.g. 0.5M:2M:10")
    lo, hi = parse_amount(parts[0]), parse_amount(parts[1])
    try:
        steps = int(parts[2])
    except ValueError:
        steps = 0
    if steps < 1:
        raise MMOError(f"the range '{spec}' has STEPS = '{parts[2]}', not a whole number ≥ 1",
                       "write LO:HI:STEPS with STEPS the number of what-ifs, e.g. 0.5M:2M:10")
    return np.linspace(lo, hi, steps)


def channel_position(prob: OfferProblem, channel: str | None) -> int:
    """The position of a capacity sweep's channel, or the project's error naming the channels."""
    if channel not in prob.channels:
        raise MMOError(f"unknown channel '{channel}'", f"choose one of {', '.join(prob.channels)}")
    return prob.channels.index(channel)


def sweep(prob: OfferProblem, what: str, values: np.ndarray, channel: str | None = None, **kw) -> pd.DataFrame:
    """Solve ``exact`` for each value; each solve starts from the previous multipliers."""
    rows, lam = [], None
    position = channel_position(prob, channel) if what == "capacity" else -1
    for v in values:
        if what == "budget":
            p, key = replace(prob, budget=float(v)), "budget"
        else:
            cap = prob.capacity.copy()
            cap[position] = float(v)
            p, key = replace(prob, capacity=cap), f"capacity[{channel}]"
        check_feasible_campaign(p)              # a what-if below the minimums' cost has no plan: say so
        r = solve_exact(p, lam0=lam, gap=None, **kw)       # marginal values from a converged dual
        lam = r.info["lam"]
        rows.append({key: float(v), "profit": r.check.profit, "bound": r.bound, "bound_gap": r.bound_gap, "roi": r.check.roi,
                     "marginal_value": (r.marginal_values or {}).get(key), "time_s": r.time_s})
    return pd.DataFrame(rows)


def sweep_record(campaign: str | Path, frames: list[pd.DataFrame]) -> dict[str, Any]:
    """The JSON of ``mmo offers sweep --json`` (kind ``offers_sweep``): each sweep's rows, NaN as null."""
    sweeps = []
    for frame in frames:
        sweeps.append({"parameter": str(frame.columns[0]), "rows": json_records(frame)})
    return {"kind": "offers_sweep", "campaign": str(campaign), "sweeps": sweeps}


def sweep_files(budget: str | None, capacity: str | None) -> list[str]:
    """The files the sweeps asked for write (``--budget``, ``--capacity CHANNEL:…``)."""
    stems = (["sweep_budget"] if budget else []) + ([f"sweep_capacity_{capacity.partition(':')[0]}"] if capacity else [])
    return [f"{stem}.{ext}" for stem in stems for ext in ("csv", "png")]


def write_sweep(frame: pd.DataFrame, out: str | Path, stem: str) -> None:
    """CSV and PNG (profit and marginal value against the swept amount)."""
    plt = pyplot()

    out = Path(out)
    with atomic_path(out / f"{stem}.csv") as tmp:
        frame.to_csv(tmp, index=False)
    x = frame.columns[0]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(frame[x], frame["profit"], marker="o", label="expected profit")
    ax.set_xlabel(x)
    ax.set_ylabel("expected profit ($)")
    ax2 = ax.twinx()
    ax2.plot(frame[x], frame["marginal_value"], marker="s", color="tab:red", label="marginal value")
    ax2.set_ylabel("marginal value (profit per unit)")
    ax.set_title(f"Profit and marginal value against {x}")
    fig.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, out / f"{stem}.png", dpi=110)
