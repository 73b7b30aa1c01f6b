"""How numbers are written for people: one place for the terminal summaries and the plan page."""
from __future__ import annotations


def amount(x: float | None, spec: str = ",.2f") -> str:
    """A revenue, spend or profit as the summaries write it (``6,405.21``); ``unknown`` for None."""
    return "unknown" if x is None else format(x, spec)


def gap_percent(gap: float | None, missing: str = "unknown") -> str:
    """A relative gap in percent with four decimals (``0.0123%``); ``missing`` for None."""
    return missing if gap is None else f"{100 * gap:.4f}%"


def signed_percent(part: float | None, whole: float | None) -> str:
    """``part`` as a signed percentage of ``whole`` (``+2.62%``); empty where it has no meaning."""
    if part is None or not whole:
        return ""
    return f"{100 * part / abs(whole):+.2f}%"


def seconds(x: float | None) -> str:
    """A duration as the summaries write it (``0.32 s``)."""
    return f"{amount(x, '.2f')} s"


def objective_words(target: str | None, risk: str | None, word: str) -> dict[str, str]:
    """What each figure of a mix result measures, for its label (one rule for the terminal and the page).

    ``target`` and ``risk`` are the result's texts (``"mroi:1"``, ``"cvar:0.1"``), ``word`` "revenue" or "response".
    The objective is the total ``word``; net of M × spend under ``mroi:M``; the least spend under ``response:V``;
    and under a risk measure, the CVaR of that. ``response`` labels the plan's gross figure restated under a target
    (a total, or the CVaR of the gross ``word`` under a risk measure); the draws summary is always of the gross
    ``word`` (:func:`mmo_pyomo.instance.risk.risk_summary`)."""
    kind = target.partition(":")[0] if target else None
    measure = {"mroi": f"net {word}", "response": "least spend"}.get(kind or "", f"total {word}")
    gross = f"total {word}"
    if risk and kind != "response":
        measure = f"CVaR {measure.removeprefix('total ')}"
        gross = f"CVaR {word}"
    lift = f"{word} lift" if kind == "response" else f"{measure.removeprefix('total ')} lift"
    return {"objective": measure, "lift": lift, "response": gross,
            "draws": f"draws of the {word}"}
