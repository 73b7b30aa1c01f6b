"""The plan page: one self-contained HTML file (figures as inline SVG, styles inline, no script, no network)
drawn from a result record alone, so that ``mmo page RESULT.json`` draws it again from a saved result.

Record kinds (the ``kind`` key): ``mix`` (``mmo solve --json``), ``pareto`` (``mmo pareto --json``),
``offers`` (``report.json`` of ``mmo offers solve``) and ``offers_sweep`` (``mmo offers sweep --json``).
This package reads dictionaries only: it imports nothing that solves.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from mmo_pyomo.io_utils import atomic_write_text
from mmo_pyomo.page.record import check_record


def _renderers() -> dict[str, Callable[[dict[str, Any], str], str]]:
    from mmo_pyomo.page.mix_page import mix_page, pareto_page
    from mmo_pyomo.page.offers_page import offers_page, sweep_page
    return {"mix": mix_page, "pareto": pareto_page, "offers": offers_page, "offers_sweep": sweep_page}


def render_page(record: dict[str, Any], source: str = "") -> str:
    """The page of ``record`` as one HTML document; a record whose fields the page cannot read is an
    ``MMOError`` naming the field (checked whole before anything is drawn)."""
    kind = check_record(record)
    return _renderers()[kind](record, source)


def write_page(record: dict[str, Any], path: str | Path, source: str = "") -> Path:
    """Render ``record`` and write it to ``path`` whole (through the current output set, if any)."""
    return atomic_write_text(path, render_page(record, source))
