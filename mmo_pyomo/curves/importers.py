"""Response curves from media-mix modelling tools, written as an mmo-pyomo instance folder.

**Time units.** mmo-pyomo works per period: an activity's spend and its response are those of
one period (a week, say) of steady spending. PyMC-Marketing and Robyn curves are already per
period. Their adstock is normalised, so a constant spend x gives an adstocked spend of x in steady
state. The baseline is the mean spend per period of the training data, or Robyn's
``initSpendUnit``. A total budget over P periods is divided by P.

**Posterior mean response.** A Bayesian fit gives many curves, one per posterior draw. The
importer writes the posterior *mean response* E[r(x)] on a spend grid, as a ``table`` curve: a
mean of concave curves is concave. The curve at the mean parameters would be a different curve,
and a biased one.

Importers:

* :func:`from_table`: a long table ``activity, spend, response`` (any tool, e.g. Meridian's
  ``response_curves()`` exported to CSV);
* :func:`from_pymc_marketing`: a fitted ``pymc_marketing.mmm.MMM`` (or its saved ``.nc``),
  through :func:`export_pymc_marketing`, whose JSON output needs no PyMC to read back;
* :func:`from_meridian`: a fitted Meridian model, through :func:`export_meridian` (its
  ``Analyzer.response_curves()``: the posterior mean incremental outcome against spend). Meridian
  computes these curves and its optimizer's budget over the whole analysed window, so the
  instance's spends and responses are totals over that window, the unit Meridian itself plans in;
* :func:`mmo_pyomo.curves.robyn.from_robyn`: Robyn's ``pareto_hyperparameters.csv``, ``pareto_aggregated.csv``
  and the ``<solID>_reallocated.csv`` of one solution id (Hill curves: coef·x^α/(x^α + inflexion^α)).
"""
from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mmo_pyomo.curves.curve_files import with_curves
from mmo_pyomo.curves.exports import check_export, matrix, read_adstock, read_export
from mmo_pyomo.curves.families import ResponseCurves
from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.reading import Field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanningRules:
    """The rules an imported instance gets: spend bounds and minimum change as multiples of the
    baseline, K (default: every activity), and the budget as a fraction of the baseline total."""

    lower: float = 0.5
    upper: float = 2.0
    min_change: float = 0.0
    max_changes: int | None = None
    budget_upper: float = 1.0
    budget_lower: float = 0.0


def build_instance(name: str, baseline: Mapping[str, float], curves: ResponseCurves, rules: PlanningRules,
                   lower: Mapping[str, float] | None = None, upper: Mapping[str, float] | None = None) -> Instance:
    """The instance of ``curves`` around ``baseline`` under ``rules`` (explicit bounds win)."""
    names = tuple(baseline)
    x = np.array([baseline[a] for a in names], float)
    lo = np.array([(lower or {}).get(a, rules.lower * x[i]) for i, a in enumerate(names)], float)
    hi = np.array([(upper or {}).get(a, rules.upper * x[i]) for i, a in enumerate(names)], float)
    zero = np.zeros(len(names))
    inst = Instance(activities=names, baseline=x, lower=lo, upper=hi, min_change=rules.min_change * x, quad=zero,
                    lin=zero, const=zero, budget_upper=rules.budget_upper, budget_lower=rules.budget_lower,
                    max_changes=len(names) if rules.max_changes is None else rules.max_changes, name=name)
    return with_curves(inst, curves)


def mean_response_table(names: Sequence[str], spend_grid: np.ndarray, responses: np.ndarray,
                        source: str = "imported curves") -> ResponseCurves:
    """Curves from a tool's mean responses (activities × grid points) on each activity's ``spend_grid``.

    The points are samples of the tool's smooth curve: where they are those of a concave curve they become
    ``samples`` curves, whose bound adds how far the curve can lie above them between samples; otherwise
    ``table`` curves, and a warning says that the certificate covers the table, not the tool's curve. A
    response that falls with spend (a tool's numerical noise) is raised to the level before it, and a
    warning names the activities and how many points changed.
    """
    raised = np.maximum.accumulate(responses, axis=1)
    changed = (raised > responses).sum(axis=1)
    if changed.any():
        named = ", ".join(f"'{names[i]}' ({int(changed[i])} of {responses.shape[1]} points, by up to "
                          f"{float((raised[i] - responses[i]).max()):.4g})" for i in np.flatnonzero(changed)[:5])
        log.warning("%s: the mean response falls with spend for %d activities; it was held level instead: %s",
                    source, int((changed > 0).sum()), named)
    rows, points, tabled = {}, {}, []
    for i, a in enumerate(names):
        px, py = spend_grid[i], raised[i]
        concave = len(px) >= 3 and bool(np.all(np.diff(np.diff(py) / np.diff(px)) <= 1e-12 * (1 + np.abs(py[1:-1]))))
        rows[a] = {"family": "samples" if concave else "table"}
        points[a] = list(zip(px.tolist(), py.tolist()))
        if not concave:
            tabled.append(a)
    if tabled:
        log.warning("%s: the mean response of %s is not concave on its samples, so how far the tool's curve lies "
                    "above them cannot be bounded: the certificate covers the interpolated table", source,
                    ", ".join(f"'{a}'" for a in tabled[:5]))
    return ResponseCurves.from_rows(tuple(names), rows, points, source)


# --------------------------------------------------------------------------- a long table
def from_table(path: str | Path, baseline: Mapping[str, float], rules: PlanningRules,
               baseline_source: str = "the baseline") -> Instance:
    """Curves from a CSV ``activity, spend, response`` (one row per point; the table is the user's model), around
    ``baseline`` (read from ``baseline_source``): the two must name the same activities."""
    from mmo_pyomo.reading import read_table
    columns = ("activity", "spend", "response")
    frame = read_table(Path(path), columns, required=columns, key=("activity", "spend"))
    spend, response = _numbers_of(frame, "spend", path), _numbers_of(frame, "response", path)
    points: dict[str, list[tuple[float, float]]] = {}
    for a, x, y in zip(frame["activity"], spend, response):
        points.setdefault(str(a), []).append((x, y))
    _same_activities(list(points), f"'{path}'", list(baseline), baseline_source)
    curves = ResponseCurves.from_rows(tuple(baseline), {a: {"family": "table"} for a in baseline}, points, str(path))
    return build_instance(Path(path).stem, baseline, curves, rules)


def _same_activities(curves: Sequence[str], curve_source: str, baseline: Sequence[str], baseline_source: str) -> None:
    """Refuse curves and baselines that do not name the same activities, naming those one source lacks."""
    no_baseline = [a for a in dict.fromkeys(curves) if a not in set(baseline)]
    if no_baseline:
        raise DataError(f"{baseline_source} gives no baseline for {_activities(no_baseline)} of {curve_source}: "
                        f"{_listed(no_baseline)}",
                        f"add a row activity,baseline for each to {baseline_source}, or remove their points from "
                        f"{curve_source}")
    no_curve = [a for a in baseline if a not in set(curves)]
    if no_curve:
        raise DataError(f"{curve_source} has no curve for {_activities(no_curve)} of {baseline_source}: "
                        f"{_listed(no_curve)}",
                        f"give each its points in {curve_source}, or remove it from {baseline_source}")


def _activities(names: Sequence[str]) -> str:
    return f"{len(names)} activit{'y' if len(names) == 1 else 'ies'}"


def _listed(names: Sequence[str]) -> str:
    return ", ".join(repr(a) for a in names[:5]) + (" …" if len(names) > 5 else "")


def _numbers_of(frame: pd.DataFrame, column: str, path: str | Path) -> list[float]:
    """A column of a user's table as numbers, or the project's error naming the row."""
    out = []
    for k, v in enumerate(frame[column]):
        try:
            out.append(float(v))
        except ValueError:
            raise DataError(f"'{path}', row {k + 2}: {column} = {v!r} is not a number",
                            f"write a number in every {column} cell") from None
    return out


def read_baselines(path: str | Path) -> dict[str, float]:
    """A CSV ``activity, baseline`` (the spend per period of each activity), checked."""
    from mmo_pyomo.reading import read_table
    frame = read_table(Path(path), ("activity", "baseline"), required=("activity", "baseline"), key=("activity",))
    return dict(zip(map(str, frame["activity"]), _numbers_of(frame, "baseline", path)))


# --------------------------------------------------------------------------- PyMC-Marketing
_PYMC_FAMILIES = {"LogisticSaturation": "logistic", "MichaelisMentenSaturation": "michaelis_menten",
                  "HillSaturation": "hill"}


def export_pymc_marketing(mmm: Any, data: pd.DataFrame | None = None) -> dict[str, Any]:
    """What mmo-pyomo needs of a fitted PyMC-Marketing MMM, as plain JSON-ready data: the saturation family, its
    posterior draws (original units come from the channel and target scales), each activity's mean spend per
    period (from ``data``, default the fitted X), and the geometric adstock's draws where the model has one.

    Takes the current ``pymc_marketing.mmm.multidimensional.MMM`` — with extra dims such as a geo, every
    (channel, geo) is one activity, named ``channel|geo`` — and the deprecated ``pymc_marketing.mmm.MMM``."""
    kind = type(mmm.saturation).__name__
    if kind not in _PYMC_FAMILIES:
        raise DataError(f"PyMC-Marketing saturation {kind} is not supported",
                        f"fit with one of {', '.join(_PYMC_FAMILIES)}")
    post = mmm.idata.posterior
    channels = [str(c) for c in post["channel"].values]
    dims = tuple(getattr(mmm, "dims", None) or ())
    if hasattr(mmm, "scalers"):                                 # multidimensional.MMM
        channel_scale, target_scale = mmm.scalers._channel, mmm.scalers._target
    else:                                                       # the deprecated MMM: scalars or one per channel
        import xarray as xr
        channel_scale = xr.DataArray(np.broadcast_to(np.asarray(mmm.channel_scale, float), (len(channels),)),
                                     dims=("channel",), coords={"channel": channels})
        target_scale = xr.DataArray(float(np.asarray(mmm.target_scale, float)))
    cells = _pymc_cells(post, channels, dims)
    X = data if data is not None else mmm.X
    params: dict[str, list[list[float]]] = {}
    for var in post.data_vars:
        if var.startswith("saturation_"):
            params[var.removeprefix("saturation_")] = _per_cell(post[var], cells)
    export = {"tool": "pymc-marketing", "family": _PYMC_FAMILIES[kind], "channels": [c["name"] for c in cells],
              "params": params,
              "channel_scale": [float(channel_scale.sel(_where(channel_scale, c))) for c in cells],
              "target_scale": [float(target_scale.sel(_where(target_scale, c))) for c in cells],
              "mean_spend": [float(_rows(X, c)[c["channel"]].mean()) for c in cells]}
    adstock = getattr(mmm, "adstock", None)
    if adstock is not None and type(adstock).__name__ == "GeometricAdstock" and "adstock_alpha" in post:
        export["adstock"] = {"family": "geometric", "l_max": int(adstock.l_max),
                             "normalize": bool(getattr(adstock, "normalize", True)),
                             "alpha": _per_cell(post["adstock_alpha"], cells)}
    return export


def _pymc_cells(post: Any, channels: list[str], dims: tuple[str, ...]) -> list[dict[str, Any]]:
    """One activity per channel, or per channel and value of the model's extra dims (``channel|geo``)."""
    if not dims:
        return [{"name": c, "channel": c, "coords": {}} for c in channels]
    import itertools
    values = [[str(v) for v in post[d].values] for d in dims]
    return [{"name": "|".join([c, *combo]), "channel": c, "coords": dict(zip(dims, combo))}
            for combo in itertools.product(*values) for c in channels]


def _where(arr: Any, cell: dict[str, Any]) -> dict[str, str]:
    """The coordinates of ``cell`` that the array ``arr`` has."""
    out = {d: v for d, v in cell["coords"].items() if d in arr.dims}
    if "channel" in arr.dims:
        out["channel"] = cell["channel"]
    return out


def _per_cell(var: Any, cells: list[dict[str, Any]]) -> list[list[float]]:
    """A posterior variable's draws (chain × draw stacked) for every activity, broadcast over the dims it lacks."""
    flat = var.stack(sample=("chain", "draw"))
    return [np.asarray(flat.sel(_where(flat, c)).transpose("sample").values, float).tolist() for c in cells]


def _rows(X: pd.DataFrame, cell: dict[str, Any]) -> pd.DataFrame:
    """The rows of the fitted data that belong to ``cell`` (all of them without extra dims)."""
    for d, v in cell["coords"].items():
        X = X[X[d].astype(str) == v]
    return X


def _scaled_response(family: str, x: np.ndarray, p: Mapping[str, np.ndarray]) -> np.ndarray:
    """The saturation of PyMC-Marketing on scaled spend x (grid × draws); its own parameter names."""
    if family == "logistic":                         # β·(1 − e^(−λx))/(1 + e^(−λx))
        e = np.exp(-p["lam"] * x)
        return p["beta"] * (1 - e) / (1 + e)
    if family == "michaelis_menten":                 # α·x/(λ + x)
        return p["alpha"] * x / (p["lam"] + x)
    return p["beta"] * x ** p["slope"] / (p["kappa"] ** p["slope"] + x ** p["slope"])      # β·xˢ/(κˢ + xˢ)


def _draws_in_original_units(family: str, params: Mapping[str, np.ndarray], x_scale: float,
                             y_scale: float) -> list[dict[str, float]]:
    """One channel's posterior draws as this package's curves of the original spend x and response:
    r(x) = y_scale · f(x / x_scale; θ) is again a curve of the family (β' = y_scale·β; λ' = λ/x_scale for
    the logistic, k' = λ·x_scale for Michaelis–Menten, k' = κ·x_scale for the Hill curve)."""
    n = len(next(iter(params.values())))
    if family == "logistic":
        cols = {"beta": y_scale * params["beta"], "lam": params["lam"] / x_scale}
    elif family == "michaelis_menten":
        cols = {"beta": y_scale * params["alpha"], "k": params["lam"] * x_scale}
    else:
        cols = {"beta": y_scale * params["beta"], "k": params["kappa"] * x_scale, "s": params["slope"]}
    return [{p: float(v[d]) for p, v in cols.items()} for d in range(n)]


def curves_from_pymc_export(export: Mapping[str, Any], rules: PlanningRules) -> Instance:
    """The instance of an :func:`export_pymc_marketing` export: each channel's curve is the mean of its
    posterior draws, exactly (value and slope), not a grid: the certificate is about the model's curve."""
    where = "the PyMC-Marketing export"
    names = {"logistic": ("beta", "lam"), "michaelis_menten": ("alpha", "lam"), "hill": ("beta", "kappa", "slope")}
    export = check_export(export, {**dict.fromkeys(("channels", "params", "channel_scale", "target_scale",
                                                    "mean_spend"), Field("any", required=True)),
                                   "family": Field("text", required=True, choices=tuple(names)),
                                   "tool": Field("text", choices=("pymc-marketing",)),
                                   **dict.fromkeys(("provenance", "budget_optimizer", "adstock"), Field("any"))}, where)
    channels, family, n = export["channels"], export["family"], len(export["channels"])
    if not isinstance(export["params"], Mapping):
        raise DataError(f"{where}: params is not an object of parameter draws", "write it again with the export function")
    from mmo_pyomo.reading import check_keys
    check_keys(list(export["params"]), names[family], f"{where} params", required=names[family])
    params = {k: matrix(v, n, f"{where} params.{k}", positive=True, names=channels) for k, v in export["params"].items()}
    if len({v.shape[1] for v in params.values()}) > 1:
        raise DataError(f"{where}: the parameters have different numbers of draws", "write it again with the export function")
    mean_spend = matrix([export["mean_spend"]], 1, f"{where} mean_spend", width=n, names=channels, nonnegative=True)[0]
    x_scale = matrix([export["channel_scale"]], 1, f"{where} channel_scale", width=n, names=channels,
                     nonnegative=True)[0]
    _refuse_unspent(channels, x_scale, mean_spend, where)
    target = export["target_scale"]                   # one for the model, or one per activity (a scale per geo)
    y_scales = matrix([target if isinstance(target, list) else [target] * n], 1, f"{where} target_scale",
                      positive=True, width=n, names=channels)[0]
    if export["adstock"] is not None:                 # checked whether or not --periods uses it
        read_adstock(export["adstock"], channels, where)
    draws = {c: _draws_in_original_units(family, {k: v[i] for k, v in params.items()}, float(x_scale[i]),
                                         float(y_scales[i])) for i, c in enumerate(channels)}
    curves = ResponseCurves.from_rows(tuple(channels), {c: {"family": family} for c in channels}, {},
                                      "the PyMC-Marketing export", draws)
    return build_instance("pymc_marketing", dict(zip(channels, mean_spend.tolist())), curves, rules)


def _refuse_unspent(channels: Sequence[str], x_scale: np.ndarray, mean_spend: np.ndarray, where: str) -> None:
    """A channel never spent in the fitted data (PyMC-Marketing's channel scale, its largest spend, is 0) has no
    curve in spend: an error naming it. One spent at times but 0 on average is held at 0: a warning names it."""
    unspent = [c for c, x in zip(channels, x_scale) if x == 0]
    if unspent:
        raise DataError(f"{where}: channel(s) {', '.join(repr(c) for c in unspent[:5])} have a channel scale of 0 (mean "
                        "spend 0): they were never spent in the fitted data, so the model has no curve in spend for them",
                        "fit the model without these channels (nothing can be re-planned for a channel never spent), "
                        "or with data in which they were spent")
    held = [c for c, m in zip(channels, mean_spend) if m == 0]
    if held:
        log.warning("%s: %s have a mean spend of 0, so their bounds (multiples of the baseline) hold them at 0",
                    where, ", ".join(repr(c) for c in held[:5]))


def pymc_export_of(source: str | Path | Any) -> dict[str, Any]:
    """The export of a fitted MMM, of its saved ``.nc`` (needs pymc-marketing), or of an export ``.json`` as read."""
    if isinstance(source, (str, Path)) and str(source).endswith(".json"):
        return read_export(source, "the PyMC-Marketing export")
    if isinstance(source, (str, Path)):
        source = _load_pymc_model(str(source))
    return export_pymc_marketing(source)


def from_pymc_marketing(source: str | Path | Any, rules: PlanningRules) -> Instance:
    """From a fitted MMM, its saved ``.nc`` (needs pymc-marketing) or an export ``.json``."""
    return curves_from_pymc_export(pymc_export_of(source), rules)


def pymc_time_phased(export: Mapping[str, Any], inst: Instance, periods: int,
                     max_changes: int | None = None) -> dict[str, pd.DataFrame]:
    """The files that make an imported PyMC-Marketing instance a plan over ``periods`` periods
    (:mod:`mmo_pyomo.curves.periods_files`): periods.csv (no per-period budget), curves.csv with the model's
    geometric adstock at the posterior mean decay (θ = mean α, L = l_max − 1, normalized as the model), and
    settings.csv with K counted in cells (``max_changes``, default every cell)."""
    if export.get("adstock") is None:
        raise DataError("the PyMC-Marketing export has no geometric adstock",
                        "export a model fitted with GeometricAdstock (export_pymc_marketing writes it), or drop --periods")
    ad = read_adstock(export["adstock"], inst.activities, "the PyMC-Marketing export")
    assert inst.curves is not None
    from mmo_pyomo.curves.curve_files import curve_frames
    curves = curve_frames(inst)[0].assign(adstock=ad.alpha.mean(axis=1).round(12), adstock_lmax=ad.l_max - 1,
                                          adstock_normalize=int(ad.normalize))
    from mmo_pyomo.instance.csv_folder import to_frames
    settings = to_frames(inst)[2]
    settings["max_changes"] = inst.n * periods if max_changes is None else max_changes
    return {"curves.csv": curves,
            "periods.csv": pd.DataFrame({"period": range(1, periods + 1), "budget_lower": "", "budget_upper": ""}),
            "settings.csv": pd.DataFrame({"name": list(settings), "value": list(settings.values())})}


def _load_pymc_model(path: str) -> Any:
    """A saved PyMC-Marketing model: the current ``multidimensional.MMM``, or the deprecated ``MMM``."""
    try:
        from pymc_marketing.mmm.multidimensional import MMM
    except ImportError:
        raise DataError("reading a PyMC-Marketing model file needs pymc-marketing",
                        'pip install "mmo-pyomo[pymc]" (pymc-marketing only; [mmm] adds Meridian), or pass '
                        'the JSON of export_pymc_marketing') from None
    try:
        return MMM.load(path)
    except Exception:                                 # saved by the deprecated class (removed in 0.20.0)
        try:
            from pymc_marketing.mmm import MMM as Legacy
        except ImportError:
            raise DataError(f"'{path}' is not a multidimensional.MMM, and this pymc-marketing has no other MMM",
                            "save the model with pymc_marketing.mmm.multidimensional.MMM") from None
        return Legacy.load(path)


# --------------------------------------------------------------------------- Meridian
def export_meridian(mmm: Any, multipliers: Sequence[float] | None = None, draws: bool = False) -> dict[str, Any]:
    """The posterior mean response curves of a fitted ``meridian.model.Meridian``, as JSON-ready
    data: spend and mean incremental outcome per channel at each spend multiplier (default 0 to
    2.5 in steps of 0.1), and the historical spend (multiplier 1). With ``draws``, also every posterior
    draw's incremental outcome at those spends (``response_draws``: channel × multiplier × draw), for
    ``--risk cvar:ALPHA``: they are the very draws Meridian's ``response_curves`` averages."""
    from meridian.analysis import analyzer
    mult = list(np.round(np.linspace(0.0, 2.5, 26), 10)) if multipliers is None else list(multipliers)
    if 1.0 not in mult:
        mult = sorted(set(mult) | {1.0})
    seen: list[np.ndarray] = []
    summarize = analyzer.get_central_tendency_and_ci
    if draws:                 # response_curves summarizes each multiplier's draws here: keep them on the way
        def keep(values: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(np.asarray(values, float))
            return summarize(values, *args, **kwargs)
        analyzer.get_central_tendency_and_ci = keep
    try:
        rc = analyzer.Analyzer(mmm).response_curves(spend_multipliers=mult)
    finally:
        analyzer.get_central_tendency_and_ci = summarize
    export = meridian_export_from_dataset(rc)
    if draws:
        nonzero = [m for m in mult if m != 0]               # multiplier 0 is no spend: no outcome in any draw
        if len(seen) != len(nonzero):
            raise DataError(f"Meridian's response_curves summarized {len(seen)} sets of draws for {len(nonzero)} "
                            "spend multipliers", "export without draws, or report the Meridian version")
        flat = [v.reshape(-1, v.shape[-1]) for v in seen]                  # (chain·draw, channel) each
        by_mult = iter(flat)
        cube = np.stack([np.zeros_like(flat[0]) if m == 0 else next(by_mult) for m in mult])   # (mult, S, ch)
        export["response_draws"] = cube.transpose(2, 0, 1).tolist()         # channel × multiplier × draw
    return export


def meridian_export_from_dataset(rc: Any) -> dict[str, Any]:
    """:func:`export_meridian` from a ``response_curves()`` dataset (an xarray Dataset)."""
    channels = [str(c) for c in rc["channel"].values]
    mult = np.asarray(rc["spend_multiplier"].values, float)
    spend = np.asarray(rc["spend"].transpose("channel", "spend_multiplier").values, float)
    mean = np.asarray(rc["incremental_outcome"].sel(metric="mean").transpose("channel", "spend_multiplier").values,
                      float)
    at_one = int(np.argmin(np.abs(mult - 1.0)))
    return {"tool": "meridian", "channels": channels, "spend": spend.tolist(), "response": mean.tolist(),
            "baseline_spend": spend[:, at_one].tolist()}


def curves_from_meridian_export(export: Mapping[str, Any], rules: PlanningRules) -> Instance:
    """The instance of an :func:`export_meridian` export: the mean response curves as tables."""
    where = "the Meridian export"
    export = check_export(export, {**dict.fromkeys(("channels", "spend", "response", "baseline_spend"),
                                                   Field("any", required=True)),
                                   "tool": Field("text", choices=("meridian",)),
                                   **dict.fromkeys(("provenance", "budget_optimizer", "response_draws"), Field("any"))},
                          where)
    channels = export["channels"]
    spend = matrix(export["spend"], len(channels), f"{where} spend", names=channels)
    response = matrix(export["response"], len(channels), f"{where} response", width=spend.shape[1], names=channels)
    matrix([export["baseline_spend"]], 1, f"{where} baseline_spend", positive=True, width=len(channels), names=channels)
    if export["response_draws"] is not None:
        draws = _response_draws(export["response_draws"], channels, spend, where)
        curves = mean_response_table(channels, spend, draws.mean(axis=2), "the Meridian export")
        curves = _with_table_draws(curves, channels, draws, where)
    else:
        curves = mean_response_table(channels, spend, response, "the Meridian export")
    return build_instance("meridian", dict(zip(channels, export["baseline_spend"])), curves, rules)


def _response_draws(value: Any, channels: list[str], spend: np.ndarray, where: str) -> np.ndarray:
    """The export's ``response_draws`` (channel × spend point × draw), checked: finite, and never falling with spend."""
    try:
        cube = np.asarray(value, float)
    except (TypeError, ValueError):
        raise DataError(f"{where}: response_draws is not a table of numbers", "export it again") from None
    if cube.ndim != 3 or cube.shape[:2] != spend.shape or cube.shape[2] < 1 or not np.isfinite(cube).all():
        raise DataError(f"{where}: response_draws has shape {cube.shape}, not channel × spend point × draw "
                        f"({spend.shape[0]} × {spend.shape[1]} × S) of finite numbers", "export it again")
    falls = np.argwhere(np.diff(cube, axis=1) < -1e-9 * (1 + np.abs(cube[:, 1:])))
    if len(falls):
        c, k, d = (int(v) for v in falls[0])
        raise DataError(f"{where}: draw {d + 1} of '{channels[c]}' falls from {cube[c, k, d]:g} to {cube[c, k + 1, d]:g} "
                        f"between spend {spend[c, k]:g} and {spend[c, k + 1]:g}", "export it again, with more draws kept")
    return cube


def _with_table_draws(curves: ResponseCurves, channels: list[str], draws: np.ndarray, where: str) -> ResponseCurves:
    """``curves`` (the draws' mean as tables) with each draw's table: a ``samples`` curve keeps that family only where
    every draw is concave on its samples (each draw's error is bounded like the mean's), else it becomes a ``table``."""
    from dataclasses import replace
    family = list(curves.family)
    tabled = []
    for i, a in enumerate(channels):
        px = curves.tables[i][0]
        slopes = np.diff(draws[i], axis=0) / np.diff(px)[:, None]
        if family[i] == "samples" and np.any(np.diff(slopes, axis=0) > 1e-12 * (1 + np.abs(draws[i][1:-1]))):
            family[i] = "table"
            tabled.append(a)
    if tabled:
        log.warning("%s: some draws of %s are not concave on their samples: the certificate covers the tables",
                    where, ", ".join(f"'{a}'" for a in tabled[:5]))
    return replace(curves, family=tuple(family), table_draws={i: draws[i].T.copy() for i in range(len(channels))})


def from_meridian(source: str | Path | Any, rules: PlanningRules) -> Instance:
    """From a fitted Meridian model or an export ``.json``."""
    if isinstance(source, (str, Path)):
        if not str(source).endswith(".json"):
            raise DataError(f"'{source}' is not a Meridian export (.json)",
                            "write one with mmo_pyomo.curves.importers.export_meridian(mmm)")
        return curves_from_meridian_export(read_export(source, "the Meridian export"), rules)
    return curves_from_meridian_export(export_meridian(source), rules)
