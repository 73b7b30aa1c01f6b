"""The same instance as pandas DataFrames or CSV files, for users who keep data in spreadsheets.

Layout of a CSV folder:

* ``activities.csv``: columns ``activity, baseline, lower, upper, min_change, quad, lin, const``;
* ``rules.csv`` (optional): long form ``rule, activity, coef, rule_lower, rule_upper``; the
  bounds repeat on every row of a rule (an empty cell means unbounded);
* ``settings.csv``: two columns ``name, value`` with ``budget_upper``, ``max_changes`` and,
  optionally, ``budget_lower``;
* ``curves.csv`` (optional) replaces the quadratic by response curves (:mod:`mmo_pyomo.curves.curve_files`):
  ``activities.csv`` then has no ``quad, lin, const`` columns.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.schema import ACTIVITY_FIELDS, Instance
from mmo_pyomo.io_utils import atomic_path, output_set
from mmo_pyomo.reading import check_keys, check_names, check_unique_rows, header_of, read_table

log = logging.getLogger(__name__)

RULE_COLUMNS = ("rule", "activity", "coef", "rule_lower", "rule_upper")
RULE_REQUIRED = ("rule", "activity", "coef")

#: The settings of ``settings.csv`` (``budget_lower`` may be left out).
SETTINGS = ("budget_lower", "budget_upper", "max_changes")


def _numbers(frame: pd.DataFrame, col: str, table: str) -> list[float]:
    """A column as floats; a cell that is not a number is an error naming its row (empty cells are NaN,
    which validation then reports by activity)."""
    raw = frame[col]
    values = pd.to_numeric(raw.replace("", np.nan), errors="coerce")
    bad = values.isna() & raw.notna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        k = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataError(f"{table}, row {k + 2}: {col} = {raw.iloc[k]!r} is not a number",
                        f"write a number in every {col} cell")
    return [float(v) for v in values]


def from_frames(activities: pd.DataFrame, rules: pd.DataFrame | None = None, *,
                budget_upper: float, max_changes: int, budget_lower: float = 0.0,
                name: str = "instance") -> Instance:
    """Build an instance from an activities table and an optional long-form rules table.

    Every column must be known and given once (:mod:`mmo_pyomo.reading`): a misspelled one is an error,
    not a column silently left out.
    """
    check_names(list(map(str, activities.columns)), ("activity", *ACTIVITY_FIELDS), "the activities table",
                required=("activity", *ACTIVITY_FIELDS))
    check_unique_rows(activities.reset_index(drop=True), ("activity",), "the activities table")
    names = activities["activity"].astype(str).tolist()
    params = {f: dict(zip(names, _numbers(activities, f, "activities table"))) for f in ACTIVITY_FIELDS}
    rule_names: list[str] = []
    coef: dict[tuple[str, str], float] = {}
    lower: dict[str, float] = {}
    upper: dict[str, float] = {}
    if rules is not None:
        check_names(list(map(str, rules.columns)), RULE_COLUMNS, "the rules table", required=RULE_REQUIRED)
    if rules is not None and len(rules):
        rules = rules.assign(rule=rules["rule"].astype(str), activity=rules["activity"].astype(str))
        rule_names = list(dict.fromkeys(rules["rule"]))
        for r, a, c in zip(rules["rule"], rules["activity"], _numbers(rules, "coef", "rules table")):
            if (r, a) in coef:
                raise DataError(f"rules table repeats rule '{r}', activity '{a}'", "keep one row per (rule, activity)")
            coef[(r, a)] = c
        for col, target in (("rule_lower", lower), ("rule_upper", upper)):
            if col in rules.columns:
                rules = rules.assign(**{col: _numbers(rules, col, "rules table")})
                for r, grp in rules.groupby("rule", sort=False)[col]:
                    vals = grp.dropna().unique()
                    if len(vals) > 1:
                        raise DataError(f"rule '{r}' has different {col} values {list(vals)[:3]}",
                                        f"repeat the same {col} on every row of the rule")
                    if len(vals):
                        target[r] = float(vals[0])
    return Instance.from_mappings(names, params, budget_upper=budget_upper, budget_lower=budget_lower,
                                  max_changes=max_changes, rules=rule_names, rule_coef=coef,
                                  rule_lower=lower, rule_upper=upper, name=name)


def to_frames(inst: Instance) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, float]]:
    """(activities table, rules table, settings) of an instance."""
    acts = pd.DataFrame({"activity": list(inst.activities), **{f: getattr(inst, f) for f in ACTIVITY_FIELDS}})
    rules = pd.DataFrame({
        "rule": [inst.rules[r] for r in inst.rule_index],
        "activity": [inst.activities[a] for a in inst.rule_activity],
        "coef": inst.rule_coef,
        "rule_lower": inst.rule_lower[inst.rule_index] if len(inst.rules) else np.zeros(0),
        "rule_upper": inst.rule_upper[inst.rule_index] if len(inst.rules) else np.zeros(0),
    }, columns=list(RULE_COLUMNS))
    rules = rules.replace([np.inf, -np.inf], np.nan)
    settings = {"budget_lower": inst.budget_lower, "budget_upper": inst.budget_upper,
                "max_changes": inst.max_changes}
    return acts, rules, settings


def read_csv_dir(folder: str | Path) -> Instance:
    """Read ``activities.csv``, ``rules.csv`` (optional) and ``settings.csv`` from a folder."""
    folder = Path(folder)
    acts_path, rules_path, settings_path = (folder / "activities.csv", folder / "rules.csv", folder / "settings.csv")
    for p in (acts_path, settings_path):
        if not p.is_file():
            raise DataError(f"'{p}' does not exist", "a CSV instance folder holds activities.csv, settings.csv "
                            "and optionally rules.csv (see mmo_pyomo.instance.csv_folder)")
    _warn_unread(folder)
    phased = (folder / "periods.csv").is_file()          # a time-phased plan (mmo_pyomo.curves.periods_files)
    settings_df = read_table(settings_path, ("name", "value"), required=("name", "value"))
    if not phased:
        _refuse_time_phased_parts(folder, settings_df)
    check_keys(settings_df["name"].tolist(), (*SETTINGS, "carry_out") if phased else SETTINGS, f"'{settings_path}'",
               required=("budget_upper", "max_changes"))
    settings_df = settings_df[settings_df["name"] != "carry_out"]
    values = dict(zip(settings_df["name"], _numbers(settings_df, "value", str(settings_path))))
    rules = read_table(rules_path, (*RULE_COLUMNS, "period") if phased else RULE_COLUMNS, RULE_REQUIRED) \
        if rules_path.is_file() else None
    rule_periods: list[tuple[str, str]] = []
    if rules is not None and "period" in rules.columns:
        rule_periods = list(zip(rules["rule"].astype(str), rules["period"]))
        rules = rules.drop(columns="period")
    has_curves = (folder / "curves.csv").is_file()
    fields = ("activity", *ACTIVITY_FIELDS)
    if has_curves:
        from mmo_pyomo.curves.curve_files import QUADRATIC_COLUMNS
        given = [c for c in QUADRATIC_COLUMNS if c in header_of(acts_path)]
        if given:
            raise DataError(f"'{acts_path}' has column(s) {given} and the folder has curves.csv",
                            "keep either the quadratic columns or curves.csv, not both")
        fields = tuple(c for c in fields if c not in QUADRATIC_COLUMNS)
    acts = read_table(acts_path, fields, required=fields, key=("activity",))
    if has_curves:
        acts = acts.assign(**{c: "0" for c in QUADRATIC_COLUMNS})
    inst = from_frames(acts, rules, budget_upper=values["budget_upper"], budget_lower=values.get("budget_lower", 0.0),
                       max_changes=values["max_changes"], name=folder.name)
    if has_curves:
        from mmo_pyomo.curves.curve_files import read_curves, with_curves
        inst = with_curves(inst, read_curves(folder, inst.activities))
    if phased:
        from mmo_pyomo.curves.periods_files import read_time_phased
        return read_time_phased(folder, inst, rule_periods)
    return inst


def _warn_unread(folder: Path) -> None:
    """A table in the folder that no reader reads (``rate_cards.csv``, a misspelled ``rule.csv``) is named in a
    warning, with the files that are read, instead of being ignored without a word."""
    unread = sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.name not in READ_FILES)
    if unread:
        log.warning("'%s': %s %s not read: an instance folder's files are %s", folder, ", ".join(unread),
                    "is" if len(unread) == 1 else "are", ", ".join(READ_FILES))


def _refuse_time_phased_parts(folder: Path, settings: pd.DataFrame) -> None:
    """A folder without periods.csv is one steady period: what belongs to a time-phased plan is an error naming it."""
    for extra in ("history.csv", "baseline_plan.csv"):
        if (folder / extra).is_file():
            raise DataError(f"'{folder / extra}' belongs to a time-phased plan, and '{folder}' has no periods.csv",
                            "add periods.csv (period, budget_lower, budget_upper), or remove the file")
    curves = folder / "curves.csv"
    from mmo_pyomo.curves.families import ADSTOCK_COLUMNS
    if curves.is_file() and set(header_of(curves)) & set(ADSTOCK_COLUMNS):
        raise DataError(f"'{curves}' has adstock columns, and '{folder}' has no periods.csv",
                        "add periods.csv (adstock carries spend from one period to the next), or drop the columns")
    if "carry_out" in set(settings["name"]):
        raise DataError(f"'{folder / 'settings.csv'}' sets carry_out, and '{folder}' has no periods.csv",
                        "add periods.csv, or remove carry_out (it counts the periods after a time-phased plan)")


#: The files an instance folder may hold (:func:`write_csv_dir` writes those the instance needs).
CSV_FILES = ("activities.csv", "rules.csv", "settings.csv", "curves.csv", "curve_points.csv", "curve_draws.csv",
             "curve_draw_points.csv", "periods.csv")


def write_csv_dir(inst: Instance, folder: str | Path, extra: dict[str, pd.DataFrame] | None = None) -> Path:
    """Write the CSV files of an instance into ``folder``: all of them or none. ``extra`` adds files, or replaces
    the instance's own (a time-phased import adds periods.csv and the adstock columns of curves.csv)."""
    folder = Path(folder)
    acts, rules, settings = to_frames(inst)
    files = [("activities.csv", acts), ("rules.csv", rules),
             ("settings.csv", pd.DataFrame({"name": list(settings), "value": list(settings.values())}))]
    if inst.curves is not None:
        from mmo_pyomo.curves.curve_files import QUADRATIC_COLUMNS, curve_frames
        curves, points, draws, table_draws = curve_frames(inst)
        files[0] = ("activities.csv", acts.drop(columns=list(QUADRATIC_COLUMNS)))
        files += [("curves.csv", curves)] + ([("curve_points.csv", points)] if len(points) else []) \
            + ([("curve_draws.csv", draws)] if len(draws) else []) \
            + ([("curve_draw_points.csv", table_draws)] if len(table_draws) else [])
    files = [(name, (extra or {}).get(name, frame)) for name, frame in files] \
        + [(name, frame) for name, frame in (extra or {}).items() if name not in dict(files)]
    stale = _stale_files(folder, [name for name, _ in files])
    with output_set():
        for fname, frame in files:
            with atomic_path(folder / fname) as tmp:
                frame.to_csv(tmp, index=False)
    for path in stale:                                  # the folder is the instance written, and nothing else
        path.unlink()
    if stale:
        log.warning("%s: removed %s of an earlier instance, which this one does not have", folder,
                    ", ".join(p.name for p in stale))
    return folder


#: The files that the reader of an instance folder reads, beside those :func:`write_csv_dir` writes.
USER_FILES = ("history.csv", "baseline_plan.csv")

#: Every file the reader of an instance folder reads.
READ_FILES = (*CSV_FILES, *USER_FILES)


def _stale_files(folder: Path, written: list[str]) -> list[Path]:
    """The files of an earlier instance in ``folder`` that this write would leave beside it, changing what the
    folder means (a periods.csv makes a steady instance a time-phased plan): those the writer writes are returned,
    to be removed; a user's file (history.csv) is refused, so that nothing of the user's is deleted."""
    mine = [folder / name for name in CSV_FILES if name not in written and (folder / name).is_file()]
    theirs = [name for name in USER_FILES if name not in written and (folder / name).is_file()]
    if theirs:
        raise DataError(f"'{folder}' holds {', '.join(theirs)}, which the instance written there would read as its own",
                        "give the output a new folder, or move the file(s) out of it first")
    return mine
