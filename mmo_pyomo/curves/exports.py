"""The JSON exports of media-mix tools, read strictly: each object through :func:`mmo_pyomo.reading.read_object`
(no unknown key, every value of its kind), every per-channel value checked and, when wrong, named by its channel."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mmo_pyomo.errors import DataError
from mmo_pyomo.reading import Field, read_json, read_object

#: The fix of an export that is not as the export functions write it.
FIX = "write it again with the export function"


def read_export(path: str | Path, what: str) -> Any:
    """The JSON of an export file (each key once in every object), or the project's error (missing, unreadable,
    not JSON)."""
    return read_json(path, what, "give the path of the .json file that the export function wrote")


def check_export(export: Any, fields: Mapping[str, Field], where: str) -> dict[str, Any]:
    """The export's top-level object checked against ``fields`` (which hold ``channels``), with a non-empty list of
    distinct channel names."""
    out = read_object(export, fields, where, FIX)
    channels = out["channels"]
    if not isinstance(channels, list) or not channels or not all(isinstance(c, str) for c in channels) \
            or len(set(channels)) != len(channels):
        raise DataError(f"{where}: channels must be a list of distinct names", FIX)
    return out


def matrix(value: Any, rows: int, where: str, positive: bool = False, width: int | None = None,
           names: Sequence[str] | None = None, nonnegative: bool = False) -> np.ndarray:
    """``value`` as a finite float matrix of ``rows`` rows of one length (``width`` if given), or an error; with
    ``positive`` (``nonnegative``) every value > 0 (≥ 0). A wrong value is named by its channel: the row's (one row
    per channel) or, for a vector given as one row, the column's (``names``)."""
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"{where} is not a table of numbers (rows of equal length)", FIX) from None
    if arr.ndim != 2 or arr.shape[0] != rows or (width is not None and arr.shape[1] != width) or arr.shape[1] == 0:
        if rows == 1 and width is not None and arr.ndim == 2:     # a vector, given as one row
            raise DataError(f"{where} holds {arr.shape[1]} value(s), not one per channel ({width})", FIX)
        shape = "×".join(map(str, arr.shape)) or "a single value"
        raise DataError(f"{where} has shape {shape}, not one row per channel ({rows})"
                        + ("" if width is None else f" of {width} values"), FIX)
    bad = ~np.isfinite(arr) | (positive & (arr <= 0)) | (nonnegative & (arr < 0))
    if bad.any():
        r, c = (int(v) for v in np.argwhere(bad)[0])
        need = "positive " if positive else "non-negative " if nonnegative else ""
        channel = (names[c] if rows == 1 else names[r]) if names is not None else None
        of = f" of '{channel}'" if channel is not None else ""
        raise DataError(f"{where}{of} holds {arr[r, c]:g}, not a {need}finite number", FIX)
    return arr


# --------------------------------------------------------------------------- PyMC-Marketing's geometric adstock
#: The keys of an export's ``adstock`` object (PyMC-Marketing's GeometricAdstock: l_max lags, normalized by default).
ADSTOCK_FIELDS = {"family": Field("text", required=True, choices=("geometric",)),
                  "l_max": Field("whole", required=True, minimum=1),
                  "normalize": Field("bool", default=True),
                  "alpha": Field("any", required=True)}


@dataclass(frozen=True)
class Adstock:
    """A geometric adstock of every channel: decay draws α (channel × draw, each in [0, 1)), l_max lags
    (the spend of this period and l_max − 1 before it) and whether the weights are normalized to sum 1."""

    alpha: np.ndarray
    l_max: int
    normalize: bool


def read_adstock(value: Any, channels: Sequence[str], where: str) -> Adstock:
    """The ``adstock`` object of a PyMC-Marketing export, checked (a misspelled key, ``"normalize": "false"`` or
    ``"l_max": 4.7`` is an error naming it, not a default in its place)."""
    where = f"{where} adstock"
    ad = read_object(value, ADSTOCK_FIELDS, where, FIX)
    alpha = matrix(ad["alpha"], len(channels), f"{where} alpha", names=channels)
    outside = np.flatnonzero(~((alpha >= 0) & (alpha < 1)).all(axis=1))
    if len(outside):
        i = int(outside[0])
        value_ = float(alpha[i][~((alpha[i] >= 0) & (alpha[i] < 1))][0])
        raise DataError(f"{where} alpha of '{channels[i]}' holds {value_:g}, outside [0, 1)", FIX)
    return Adstock(alpha=alpha, l_max=int(ad["l_max"]), normalize=bool(ad["normalize"]))
