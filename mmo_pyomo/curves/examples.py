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
