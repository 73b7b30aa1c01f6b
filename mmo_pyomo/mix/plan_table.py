"""The plan table: one row per activity with its baseline, new spend, change, region and revenue."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.io_utils import atomic_path
from mmo_pyomo.mix.checker import spend_array


def plan_frame(inst: Instance, delta: np.ndarray) -> pd.DataFrame:
    """Columns activity, baseline, new_spend, change, region (decrease/none/increase), revenue; for a time-phased
    plan activity, period, baseline, new_spend, change (one row per cell)."""
    if inst.horizon is not None:
        from mmo_pyomo.curves.periods_files import plan_rows
        return plan_rows(inst, delta)
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


def read_plan_csv(inst: Instance, path: str | Path) -> np.ndarray:
    """The new spend per activity (in activity order) of a plan CSV with columns ``activity`` and
    ``new_spend``, as ``--plan`` writes it; other columns are ignored. The plan is not checked here:
    :func:`mmo_pyomo.mix.checker.check_plan` says whether it is feasible."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"plan file {path} does not exist", "give a plan CSV, e.g. one written by solve.py --plan")
    try:
        frame = pd.read_csv(path, dtype={"activity": str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise DataError(f"plan file {path} is not a readable CSV ({str(exc).splitlines()[0]})",
                        "give a plan CSV with columns activity,new_spend") from None
    missing = [c for c in ("activity", "new_spend") if c not in frame.columns]
    if missing:
        raise DataError(f"plan file {path} has no column '{missing[0]}' (columns: {', '.join(map(str, frame.columns))})",
                        "give a plan CSV with columns activity,new_spend, as solve.py --plan writes it")
    repeated = frame["activity"][frame["activity"].duplicated()]
    if len(repeated):
        raise DataError(f"plan file {path} lists activity '{repeated.iloc[0]}' twice", "give each activity once")
    spend = pd.to_numeric(frame["new_spend"], errors="coerce")
    bad = frame["activity"][spend.isna() | ~np.isfinite(spend.fillna(0.0))]
    if len(bad):
        raise DataError(f"plan file {path}: the new_spend of activity '{bad.iloc[0]}' is not a finite number",
                        "give a number for every activity")
    return spend_array(inst, dict(zip(frame["activity"], spend.astype(float))))
