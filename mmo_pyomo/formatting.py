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
