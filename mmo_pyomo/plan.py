"""The plan table: one row per activity with its baseline, new spend, change, region and revenue."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.io_utils import atomic_path


def plan_frame(inst: Instance, delta: np.ndarray) -> pd.DataFrame:
    """Columns activity, baseline, new_spend, change, region (decrease/none/increase), revenue."""
    region = np.where(delta > 0, "increase", np.where(delta < 0, "decrease", "none"))
    return pd.DataFrame({
        "activity": list(inst.activities), "baseline": inst.baseline, "new_spend": inst.baseline + delta,
        "change": delta, "region": region, "revenue": inst.revenue(delta),
    })


def write_plan_csv(inst: Instance, delta: np.ndarray, path: str | Path) -> Path:
    """Write the plan table as CSV, atomically."""
    with atomic_path(path) as tmp:
        plan_frame(inst, delta).to_csv(tmp, index=False)
    return Path(path)
