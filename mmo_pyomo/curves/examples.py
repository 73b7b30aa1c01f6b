"""Small instances with response curves, for tests, examples and teaching."""
from __future__ import annotations

import numpy as np

from mmo_pyomo.curves.curve_files import with_curves
from mmo_pyomo.curves.families import ResponseCurves
from mmo_pyomo.instance.schema import Instance


def curve_instance(n: int = 8, family: str = "michaelis_menten", *, seed: int = 0, max_changes: int | None = None,
                   min_change: float = 0.10, budget_upper: float = 1.0, shape: float = 2.0) -> Instance:
    """``n`` channels with curves of ``family`` (hill with slope ``shape``), baselines spread so
    that marginal returns differ, spend bounds [0.5x̄, 2x̄], a minimum change of ``min_change``·x̄,
    K = ``max_changes`` (default n/2) and a total budget of ``budget_upper``·Σx̄."""
    rng = np.random.default_rng(seed)
    baseline = np.round(rng.uniform(50, 150, n), 2)
    k = np.round(baseline * rng.uniform(0.5, 2.0, n), 2)           # half-saturation near the baseline
    beta = np.round(rng.uniform(2.0, 5.0, n) * baseline, 2)
    lam = np.round(1.5 / k, 6)
    names = tuple(f"ch{i}" for i in range(n))
    rows = {a: {"family": family, "beta": beta[i], "k": k[i], "s": shape, "lam": lam[i]} for i, a in enumerate(names)}
    points: dict[str, list[tuple[float, float]]] = {}
    if family == "table":                                            # a concave table through an MM curve
        for i, a in enumerate(names):
            xs = np.linspace(0.0, 2.5 * baseline[i], 9)
            rows[a] = {"family": "table"}
            points[a] = list(zip(xs.tolist(), (beta[i] * xs / (k[i] + xs)).tolist()))
    curves = ResponseCurves.from_rows(names, rows, points, "curve_instance")
    zero = np.zeros(n)
    inst = Instance(activities=names, baseline=baseline, lower=np.round(0.5 * baseline, 2),
                    upper=np.round(2.0 * baseline, 2), min_change=np.round(min_change * baseline, 2), quad=zero,
                    lin=zero, const=zero, budget_upper=budget_upper,
                    max_changes=n // 2 if max_changes is None else max_changes, name=f"{family}_n{n}_s{seed}")
    return with_curves(inst, curves)


def drawn_instance(n: int = 10, draws: int = 200, *, seed: int = 0, max_changes: int | None = None,
                   min_change: float = 0.10, spread: float = 0.25) -> Instance:
    """``n`` logistic channels (as :func:`curve_instance`) whose curves are the mean of ``draws`` joint posterior
    draws: each draw scales every β by its own lognormal factor of spread ``spread`` and each λ by another, with a
    factor shared by all channels in a draw (a good or a bad draw for the whole market)."""
    base = curve_instance(n, "logistic", seed=seed, max_changes=max_changes, min_change=min_change)
    assert base.curves is not None
    rng = np.random.default_rng(seed + 1)
    market = rng.lognormal(0.0, spread, draws)
    rows = {a: {"family": "logistic"} for a in base.activities}
    drawn = {a: [{"beta": float(base.curves.beta[i] * market[d] * rng.lognormal(0.0, spread / 2)),
                  "lam": float(base.curves.lam[i] * rng.lognormal(0.0, spread / 2))} for d in range(draws)]
             for i, a in enumerate(base.activities)}
    curves = ResponseCurves.from_rows(base.activities, rows, {}, "drawn_instance", drawn)
    return with_curves(base, curves).with_changes(name=f"drawn_n{n}_S{draws}_s{seed}")


def write_time_phased(folder: str, channels: int = 20, periods: int = 52, lag: int = 8, *, seed: int = 0,
                      max_changes: int | None = None, min_change: float = 0.0, carry_out: bool = True) -> str:
    """A time-phased curve folder (:mod:`mmo_pyomo.curves.periods_files`): ``channels`` logistic channels over
    ``periods`` periods, geometric adstock with L = ``lag`` and θ in [0.2, 0.7], bounds [0.3x̄, 2.5x̄] per period, a
    minimum change of ``min_change``·x̄, K = ``max_changes`` cells (default all) and the baseline total as budget."""
    from pathlib import Path

    import pandas as pd
    rng = np.random.default_rng(seed)
    path = Path(folder)
    path.mkdir(parents=True, exist_ok=True)
    names = [f"ch{i:02d}" for i in range(channels)]
    base = np.round(rng.uniform(50, 150, channels), 2)
    pd.DataFrame({"activity": names, "baseline": base, "lower": np.round(0.3 * base, 2),
                  "upper": np.round(2.5 * base, 2), "min_change": np.round(min_change * base, 2)}).to_csv(
        path / "activities.csv", index=False)
    pd.DataFrame({"activity": names, "family": "logistic", "beta": np.round(base * rng.uniform(2, 4, channels), 2),
                  "k": "", "s": "", "lam": np.round(rng.uniform(0.5, 1.5, channels) / base, 6),
                  "adstock": np.round(rng.uniform(0.2, 0.7, channels), 3), "adstock_lmax": lag,
                  "adstock_normalize": 1}).to_csv(path / "curves.csv", index=False)
    pd.DataFrame({"period": range(1, periods + 1), "budget_lower": "", "budget_upper": ""}).to_csv(
        path / "periods.csv", index=False)
    k = channels * periods if max_changes is None else max_changes
    pd.DataFrame({"name": ["budget_lower", "budget_upper", "max_changes", "carry_out"],
                  "value": [0, 1.0, k, int(carry_out)]}).to_csv(path / "settings.csv", index=False)
    return str(path)
