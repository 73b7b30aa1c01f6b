"""Draw formulations/tangent_cuts.png: one Michaelis–Menten activity and its tangent cuts.

Run: python docs/figures/tangent_cuts.py (needs matplotlib, in the test extra).
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

BETA, K, BASE, LOW, UP, MIN = 300.0, 100.0, 100.0, 50.0, 200.0, 10.0


def r(x):
    return BETA * x / (K + x)


def slope(x):
    return BETA * K / (K + x) ** 2


def main() -> None:
    fig, ax = plt.subplots(figsize=(7, 4.2))
    x = np.linspace(LOW, UP, 400)
    ax.axvspan(BASE - MIN, BASE + MIN, color="0.9", label="the hole: |δ| < m")
    for lo, hi in ((LOW, BASE - MIN), (BASE + MIN, UP)):
        for d in np.linspace(lo, hi, 4):
            xs = np.linspace(lo, hi, 50)
            ax.plot(xs, r(d) + slope(d) * (xs - d), color="tab:orange", lw=1)
            ax.plot([d], [r(d)], "o", color="tab:orange", ms=3)
    ax.plot(x, r(x), color="tab:blue", lw=2, label="r(x) = 300x/(100 + x)")
    ax.plot([], [], color="tab:orange", lw=1, label="tangent cuts (4 per region)")
    ax.plot([BASE], [r(BASE)], "ks", label="baseline x̄ = 100")
    ax.set_xlabel("spend x")
    ax.set_ylabel("response")
    ax.set_title("Tangents over-estimate a concave response on each region")
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    out = Path(__file__).resolve().parents[2] / "formulations" / "tangent_cuts.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
