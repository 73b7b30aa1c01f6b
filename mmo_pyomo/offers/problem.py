"""The offer problem: scores in long form on disk, dense (customer × offer × channel) arrays in memory.

On disk (a folder):

* ``scores.parquet`` (or ``scores.csv``): ``customer_id, offer, channel, expected_profit, cost``;
  a row exists only where the offer is allowed for that customer on that channel;
* ``offers.csv``: ``offer, min_offers``; ``channels.csv``: ``channel, capacity`` (empty = unlimited);
* ``campaign.json``: ``{"budget": ..., "hurdle_rate": ...}``.

In memory, profit and cost are float32 arrays of shape (customers, offers, channels), 0 where
a row is absent, with a boolean ``eligible`` mask: one copy each. Loading reads the scores with
pyarrow (offer and channel stay dictionary codes), checks every row and scatters it into those
arrays in one compiled pass (:mod:`mmo_pyomo.offers.kernels`); the Arrow table is then dropped.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from mmo_pyomo.errors import DataError, InfeasibleInstanceError
from mmo_pyomo.offers import kernels
from mmo_pyomo.offers.policies import ContactPolicy, household_cuts
from mmo_pyomo.offers.policy_files import household_codes, load_policy, positions
from mmo_pyomo.reading import check_keys, check_names, header_of, one_format, read_json_object, read_table

SCORE_COLUMNS = ("customer_id", "offer", "channel", "expected_profit", "cost")


@dataclass
class OfferProblem:
    """One campaign. Arrays are indexed (customer, offer, channel)."""

    customer_ids: np.ndarray
    offers: list[str]
    channels: list[str]
    profit: np.ndarray
    cost: np.ndarray
    eligible: np.ndarray
    min_offers: np.ndarray            # (offers,)
    capacity: np.ndarray              # (channels,), inf = unlimited
    budget: float
    hurdle_rate: float
    name: str = "campaign"
    extra: dict = field(default_factory=dict)
    policy: ContactPolicy | None = None    # contact policies (policies.json), None: one offer per customer

    @property
    def n_customers(self) -> int:
        return len(self.customer_ids)

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.profit.shape

    def partitions(self, size: int) -> list[slice]:
        """Customer slices of about ``size`` customers: the unit of the map-reduce. With a household rule, a slice
        ends only where no household goes on (it may then be longer)."""
        n = self.n_customers
        cuts = list(range(0, n, max(1, size)))[1:]
        if self.policy is not None and self.policy.rules.max_offers_per_household is not None \
                and self.policy.household is not None:
            cuts = household_cuts(self.policy.household, cuts)
        bounds = [0, *cuts, n]
        return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]


def _scores_path(folder: Path) -> Path:
    """The folder's one scores file (scores.parquet or scores.csv; both: an error naming both, :func:`one_format`)."""
    found = one_format(folder, "scores")
    if found is None:
        raise DataError(f"no scores.parquet or scores.csv in '{folder}'", "write the scores in long form there")
    return found


def _check_score_columns(path: Path) -> list[str]:
    """The scores file's columns are exactly :data:`SCORE_COLUMNS`, and perhaps ``household_id`` (a misspelled one
    is not left unread); returns them."""
    try:
        names = pq.read_schema(path).names if path.suffix == ".parquet" else header_of(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"cannot read '{path}': {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
                        "write the scores again (parquet or CSV, long form)") from None
    check_names(names, SCORE_COLUMNS + ("household_id",), f"'{path}'", "column", required=SCORE_COLUMNS)
    return list(names)


def read_scores_table(path: Path) -> pa.Table:
    """The scores as an Arrow table, offer and channel as dictionary columns (no Python object per row)."""
    _check_score_columns(path)
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path, columns=list(SCORE_COLUMNS), read_dictionary=["offer", "channel"])
        else:
            from pyarrow import csv as pacsv
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                include_columns=list(SCORE_COLUMNS),
                column_types={"offer": pa.dictionary(pa.int32(), pa.string()),
                              "channel": pa.dictionary(pa.int32(), pa.string()),
                              "expected_profit": pa.float64(), "cost": pa.float64()}))
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError, KeyError, ValueError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "No match for FieldRef" in text or "not in" in text or "does not exist" in text or "include_columns" in text:
            raise DataError(f"'{path}' lacks a column of {', '.join(SCORE_COLUMNS)} ({text})",
                            f"give it the columns {', '.join(SCORE_COLUMNS)}") from None
        raise DataError(f"cannot read '{path}': {text}", "write the scores again (parquet or CSV, long form)") from None
    missing = [c for c in SCORE_COLUMNS if c not in table.column_names]
    if missing:
        raise DataError(f"'{path}' lacks column(s) {missing}", f"give it the columns {', '.join(SCORE_COLUMNS)}")
    return table


def load_problem(folder: str | Path) -> OfferProblem:
    """Read and validate a campaign folder."""
    shell, path = load_campaign(folder)
    columns = _check_score_columns(path)
    if path.suffix == ".parquet":
        ids, P, C, E = stream_scores(path, shell.offers, shell.channels)
    else:
        ids, P, C, E = layout_scores(read_scores_table(path), shell.offers, shell.channels, str(path))
    household = scores_households(path, ids) if "household_id" in columns else None
    prob = OfferProblem(ids, shell.offers, shell.channels, P, C, E, shell.min_offers, shell.capacity, shell.budget,
                        shell.hurdle_rate, name=shell.name,
                        policy=load_policy(path.parent, shell.offers, ids, household=household,
                                           channels=len(shell.channels)))
    check_feasible_campaign(prob)
    return prob


def scores_households(path: Path, ids: np.ndarray) -> np.ndarray:
    """The household of each customer from the scores' ``household_id`` column: on every row, and the same on every
    row of a customer."""
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path, columns=["customer_id", "household_id"])
        else:
            from pyarrow import csv as pacsv
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                include_columns=["customer_id", "household_id"]))
    except (pa.ArrowInvalid, OSError) as exc:
        raise DataError(f"cannot read '{path}': {str(exc).splitlines()[0]}", "write the scores again") from None
    column = table.column("household_id")
    if column.null_count:
        raise DataError(f"'{path}' gives a household_id on some rows but not on {column.null_count:,} others",
                        "give every row a household_id (a household of one is its own id), or drop the column")
    house = household_codes(column, path)
    cid = table.column("customer_id").to_numpy(zero_copy_only=False)
    pos = positions(cid, ids)                      # every row's customer is one of ``ids``: they came from these rows
    out = np.empty(len(ids), np.int64)
    out[pos] = house
    differ = np.flatnonzero(out[pos] != house)
    if len(differ):
        r = int(differ[0])
        raise DataError(f"'{path}' row {r + 1:,} gives customer {cid[r]} household {house[r]}, and another row of "
                        f"that customer household {out[pos[r]]}", "give each customer one household_id")
    return out


def load_campaign(folder: str | Path) -> tuple[OfferProblem, Path]:
    """The campaign without its scores (offers, channels, budget, hurdle; no customers), and the
    path of its scores file. Used where workers read the scores themselves."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"'{folder}' is not a folder", "pass the folder written by 'offers.py generate'")
    path = _scores_path(folder)
    for name in ("offers.csv", "channels.csv", "campaign.json"):
        if not (folder / name).is_file():
            raise DataError(f"'{folder / name}' is missing", "a campaign folder holds scores, offers.csv, "
                            "channels.csv and campaign.json")
    offers_df = _read_small_csv(folder / "offers.csv")
    channels_df = _read_small_csv(folder / "channels.csv")
    budget, hurdle = _read_campaign_json(folder / "campaign.json")
    offers, channels, mins, cap = _tables(offers_df, channels_df)
    J, K = len(offers), len(channels)
    shell = OfferProblem(np.zeros(0, np.int64), offers, channels, np.zeros((0, J, K), np.float32),
                         np.zeros((0, J, K), np.float32), np.zeros((0, J, K), np.bool_), mins, cap, budget, hurdle,
                         name=folder.name)
    return shell, path


CAMPAIGN_KEYS = ("budget", "hurdle_rate")


def _read_campaign_json(path: Path) -> tuple[float, float]:
    """(budget, hurdle_rate) from campaign.json: exactly these two keys, each once, each a JSON number."""
    campaign = read_json_object(path, '{"budget": <number>, "hurdle_rate": <number>}')
    for key in CAMPAIGN_KEYS:
        if key not in campaign:
            raise DataError(f"campaign.json has no '{key}'", f"add \"{key}\": <number>")
    check_keys(list(campaign), CAMPAIGN_KEYS, f"'{path}'")
    for key in CAMPAIGN_KEYS:
        value = campaign[key]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError(f"campaign.json '{key}' is {value!r}, not a number",
                            f"write it as a bare number, e.g. \"{key}\": {'1000000' if key == 'budget' else '0.2'}")
    return _campaign_numbers(campaign["budget"], campaign["hurdle_rate"], "campaign.json ")


def _campaign_numbers(budget: object, hurdle_rate: object, where: str = "") -> tuple[float, float]:
    """The budget (finite, ≥ 0) and the ROI hurdle rate (finite, ≥ 0; 0.2 asks 20% over cost)."""
    b = _finite_number(budget, f"{where}budget")
    h = _finite_number(hurdle_rate, f"{where}hurdle_rate")
    if b < 0:
        raise DataError(f"{where}budget {b} is negative", "use a non-negative budget")
    if h < 0:
        raise DataError(f"{where}hurdle_rate {h} is negative", "use 0 for no hurdle, or the ROI asked of the campaign "
                        "(0.2 for 20%)")
    return b, h


#: The columns of offers.csv and channels.csv: (allowed, required).
TABLE_COLUMNS = {"offers.csv": (("offer", "min_offers"), ("offer",)), "channels.csv": (("channel", "capacity"), ("channel",))}


def _read_small_csv(path: Path) -> pd.DataFrame:
    """offers.csv or channels.csv, every cell as written (checked and converted later); a column that is
    not known is an error (a misspelled 'min_ofers' would make every minimum 0)."""
    allowed, required = TABLE_COLUMNS[path.name]
    return read_table(path, allowed, required)


def _finite_number(value: object, what: str) -> float:
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DataError(f"{what} is {value!r}, not a number", "give a finite number") from None
    if not np.isfinite(x):
        raise DataError(f"{what} is {value!r}, not a finite number", "give a finite number")
    return x


def _blank(v: object) -> bool:
    """An empty cell: '' in a CSV read as text, None or NaN in a DataFrame."""
    return v is None or (isinstance(v, float) and np.isnan(v)) or str(v).strip() == ""


def _tables(offers_df: pd.DataFrame, channels_df: pd.DataFrame) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    """Offers with their minimums, channels with their capacities (empty = unlimited), validated."""
    for frame, table in ((offers_df, "offers.csv"), (channels_df, "channels.csv")):
        allowed, required = TABLE_COLUMNS[table]
        check_names(list(map(str, frame.columns)), allowed, table, "column", required)
    for frame, col, table in ((offers_df, "offer", "offers.csv"), (channels_df, "channel", "channels.csv")):
        if col not in frame.columns:
            raise DataError(f"{table} has no '{col}' column", f"give {table} a '{col}' column")
        names = frame[col].astype(str)
        if names.duplicated().any():
            raise DataError(f"{table} repeats {col} '{names[names.duplicated()].iloc[0]}'", f"list every {col} once")
        if (names.str.strip() == "").any():
            raise DataError(f"{table} has an empty {col} name", f"name every {col}")
    offers = offers_df["offer"].astype(str).tolist()
    channels = channels_df["channel"].astype(str).tolist()
    mins = np.zeros(len(offers))
    if "min_offers" in offers_df.columns:
        for k, v in enumerate(offers_df["min_offers"].tolist()):
            mins[k] = 0.0 if _blank(v) else _finite_number(v, f"offers.csv min_offers of '{offers[k]}'")
            if mins[k] != round(mins[k]):
                raise DataError(f"offers.csv min_offers of '{offers[k]}' is {v!r}, not a whole number",
                                "give each offer's minimum as a count of customers")
    cap = np.full(len(channels), np.inf)
    if "capacity" in channels_df.columns:
        for k, v in enumerate(channels_df["capacity"].tolist()):
            if not _blank(v):
                cap[k] = _finite_number(v, f"channels.csv capacity of '{channels[k]}'")
                if cap[k] != round(cap[k]):
                    raise DataError(f"channels.csv capacity of '{channels[k]}' is {v!r}, not a whole number",
                                    "give each channel's capacity as a count of contacts (empty: unlimited)")
    for values, names, what in ((mins, offers, "offers.csv min_offers"), (cap, channels, "channels.csv capacity")):
        if (values < 0).any():
            k = int(np.argmax(values < 0))
            raise DataError(f"{what} of '{names[k]}' is {values[k]:g}, which is negative",
                            "use a non-negative number (an empty capacity means unlimited)")
    return offers, channels, mins, cap


def _dictionary_map(arr: pa.DictionaryArray, known: list[str]) -> np.ndarray:
    """Batch dictionary index → position in ``known`` (−1 for a name not in it)."""
    where = {name: k for k, name in enumerate(known)}
    return np.array([where.get(v, -1) for v in arr.dictionary.to_pylist()] or [-1], np.int64)


def _as_dictionary(col: pa.Array) -> pa.DictionaryArray:
    return col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col.cast(pa.string()))


def _customer_codes(cid: pa.ChunkedArray) -> tuple[np.ndarray | None, np.ndarray, int]:
    """(codes per row or None when the ids are sorted integers, customer ids in code order, n).

    Sorted integer ids (as written by the generator) need no hashing: a new code starts at each
    change of id, computed batch by batch. Other ids are factorized once (sorted).
    """
    if pa.types.is_integer(cid.type):
        runs = _sorted_runs(cid.chunks)
        if runs is not None:
            return None, np.empty(runs, np.int64), runs
    codes, uniques = pd.factorize(cid.to_numpy(), sort=True)
    return codes.astype(np.int64), np.asarray(uniques), len(uniques)


def _sorted_runs(arrays) -> int | None:
    """The number of distinct customer ids in Arrow integer arrays read in order, or None as soon as an id is
    smaller than the one before (the ids are then not sorted)."""
    last, started, runs = np.int64(0), False, 0
    for arr in arrays:
        a = arr.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
        r, ok, last = kernels.sorted_run_count(a, last, started)
        if not ok:
            return None
        started = started or len(a) > 0
        runs += r
    return runs


def build_problem(scores: pa.Table | pd.DataFrame, offers_df: pd.DataFrame, channels_df: pd.DataFrame, budget: float,
                  hurdle_rate: float, name: str = "campaign", source: str = "scores") -> OfferProblem:
    """Validate long-form scores and tables, and lay them out densely in one compiled pass.

    ``scores`` is an Arrow table (as :func:`read_scores_table` gives) or a DataFrame.
    """
    if isinstance(scores, pd.DataFrame):
        missing = [c for c in SCORE_COLUMNS if c not in scores.columns]
        if missing:
            raise DataError(f"the scores lack column(s) {missing}", f"give them the columns {', '.join(SCORE_COLUMNS)}")
        scores = pa.Table.from_pandas(scores[list(SCORE_COLUMNS)], preserve_index=False)
    budget, hurdle_rate = _campaign_numbers(budget, hurdle_rate)
    offers, channels, mins, cap = _tables(offers_df, channels_df)
    ids, P, C, E = layout_scores(scores, offers, channels, source)
    prob = OfferProblem(ids, offers, channels, P, C, E, mins, cap, float(budget), float(hurdle_rate), name=name)
    check_feasible_campaign(prob)
    return prob


def _text(t: pa.DataType) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t) or (
        pa.types.is_dictionary(t) and (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)))


def check_score_types(schema: pa.Schema, source: str = "scores") -> None:
    """The scores' column types: customer ids integers or text, offers and channels text, profits and costs
    numbers (not text, not true/false, which would be read as 1 and 0)."""
    kinds = {
        "customer_id": (lambda t: pa.types.is_integer(t) or _text(t), "integers or text"),
        "offer": (_text, "text (offer names)"),
        "channel": (_text, "text (channel names)"),
        "expected_profit": (lambda t: pa.types.is_integer(t) or pa.types.is_floating(t), "numbers"),
        "cost": (lambda t: pa.types.is_integer(t) or pa.types.is_floating(t), "numbers"),
    }
    for col, (ok, want) in kinds.items():
        t = schema.field(col).type
        if not ok(t):
            raise DataError(f"{source}: column {col} holds {t}, not {want}",
                            f"write {col} as {want}" + (" (a float id such as 1.0 is ambiguous)"
                                                         if col == "customer_id" and pa.types.is_floating(t) else ""))


def layout_scores(scores: pa.Table, offers: list[str], channels: list[str],
                  source: str = "scores") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Check every row of an Arrow scores table and scatter it into dense (customer, offer, channel)
    arrays: (customer ids, profit, cost, eligible). One compiled pass; no Python object per row."""
    check_score_types(scores.schema, source)
    for col in SCORE_COLUMNS:
        if scores.column(col).null_count:
            raise DataError(f"{source}: {scores.column(col).null_count:,} row(s) have no {col}",
                            f"fill every {col} or remove those rows")
    codes, ids, n = _customer_codes(scores.column("customer_id"))
    return _scatter(scores.select(list(SCORE_COLUMNS)).to_batches(), codes, ids, n, offers, channels, source)


#: Rows per batch when the scores are streamed from Parquet (:func:`stream_scores`).
STREAM_BATCH = 1 << 20


def stream_scores(path: Path, offers: list[str], channels: list[str],
                  source: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`layout_scores` for a Parquet file, streamed: the customer ids are counted in a first pass over their
    column alone, and the rows are then scattered batch by batch, so the whole table is never decoded at once
    (the peak is the dense arrays and one batch)."""
    source = source or str(path)
    try:
        pf = pq.ParquetFile(path, read_dictionary=["offer", "channel"])
        check_score_types(pf.schema_arrow, source)
        _check_no_nulls(pf, source)
        codes, ids, n = _streamed_customer_codes(pf)
        batches = _prefetched(pf.iter_batches(batch_size=STREAM_BATCH, columns=list(SCORE_COLUMNS)))
        return _scatter(batches, codes, ids, n, offers, channels, source, check_nulls=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OSError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DataError(f"cannot read '{path}': {text}", "write the scores again (parquet or CSV, long form)") from None


def _prefetched(batches, depth: int = 2):
    """``batches``, decoded one or two ahead in a thread: Parquet decoding and the scatter kernel both release the
    GIL, so the two overlap. An error in the reader is raised where the batch would have been."""
    import queue
    import threading

    done = object()
    box: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def read() -> None:
        try:
            for batch in batches:
                while not stop.is_set():
                    try:
                        box.put(batch, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(done)
        except BaseException as exc:          # handed to the consumer, raised there
            box.put(exc)

    thread = threading.Thread(target=read, name="mmo-parquet-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = box.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)


def _check_no_nulls(pf: pq.ParquetFile, source: str) -> None:
    """Empty cells, counted from the row groups' statistics where every group has them (else per batch)."""
    meta = pf.metadata
    names = pf.schema_arrow.names
    for col in SCORE_COLUMNS:
        i = names.index(col)
        counts = []
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(i).statistics
            if stats is None or not stats.has_null_count:
                return
            counts.append(stats.null_count)
        if sum(counts):
            raise DataError(f"{source}: {sum(counts):,} row(s) have no {col}", f"fill every {col} or remove those rows")


def _streamed_customer_codes(pf: pq.ParquetFile) -> tuple[np.ndarray | None, np.ndarray, int]:
    """:func:`_customer_codes` over the customer_id column, read batch by batch while the ids are sorted integers."""
    if pa.types.is_integer(pf.schema_arrow.field("customer_id").type):
        runs = _sorted_runs(b.column(0) for b in pf.iter_batches(batch_size=STREAM_BATCH, columns=["customer_id"]))
        if runs is not None:
            return None, np.empty(runs, np.int64), runs
    return _customer_codes(pf.read(columns=["customer_id"]).column(0))


def _scatter(batches, codes: np.ndarray | None, ids: np.ndarray, n: int, offers: list[str], channels: list[str],
             source: str, check_nulls: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Scatter record batches (columns by name, as :data:`SCORE_COLUMNS`) into the dense arrays."""
    J, K = len(offers), len(channels)
    P = np.zeros(n * J * K, np.float32)
    C = np.zeros(n * J * K, np.float32)
    E = np.zeros(n * J * K, np.bool_)
    last, code, start = np.int64(0), np.int64(-1), 0
    for batch in batches:
        rows = batch.num_rows
        cols = [batch.column(batch.schema.get_field_index(c)) for c in SCORE_COLUMNS]
        if check_nulls:
            for col, values in zip(SCORE_COLUMNS, cols):
                if values.null_count:
                    raise DataError(f"{source}: {values.null_count:,} row(s) of rows {start:,}–{start + rows - 1:,} "
                                    f"have no {col}", f"fill every {col} or remove those rows")
        if codes is None:
            cid = cols[0].to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
            bcodes, last, code = kernels.sorted_codes(cid, last, code, ids)
        else:
            bcodes = codes[start:start + rows]
        off, ch = _as_dictionary(cols[1]), _as_dictionary(cols[2])
        status, row = kernels.scatter_scores(
            bcodes, off.indices.to_numpy(zero_copy_only=False), ch.indices.to_numpy(zero_copy_only=False),
            _dictionary_map(off, offers), _dictionary_map(ch, channels),
            cols[3].to_numpy(zero_copy_only=False), cols[4].to_numpy(zero_copy_only=False),
            P, C, E, J, K)
        if status != kernels.OK:
            bad = pa.RecordBatch.from_arrays([c.slice(row, 1) for c in cols], names=list(SCORE_COLUMNS))
            _raise_row_error(status, bad.to_pylist()[0], start + row, source, offers, channels)
        start += rows
    return np.asarray(ids), P.reshape(n, J, K), C.reshape(n, J, K), E.reshape(n, J, K)


def _raise_row_error(status: int, row: dict, index: int, source: str, offers: list[str], channels: list[str]) -> None:
    where = f"{source}, row {index + 1:,} (customer_id {row['customer_id']})"
    if status == kernels.UNKNOWN_OFFER:
        raise DataError(f"{where} names unknown offer '{row['offer']}'", "add it to offers.csv or remove its rows")
    if status == kernels.UNKNOWN_CHANNEL:
        raise DataError(f"{where} names unknown channel '{row['channel']}'", "add it to channels.csv or remove its rows")
    if status == kernels.BAD_COST:
        raise DataError(f"{where} has cost {row['cost']}: a negative or missing cost", "every cost must be a number ≥ 0")
    if status == kernels.BAD_PROFIT:
        raise DataError(f"{where} has expected_profit {row['expected_profit']}, not a finite number",
                        "fill every expected_profit with a finite number")
    raise DataError(f"{where} repeats a (customer_id, offer, channel) row: ({row['customer_id']}, {row['offer']}, "
                    f"{row['channel']})", "keep one row per combination")


@dataclass(frozen=True)
class ScoreSummary:
    """What the campaign checks need of the scores (of a whole campaign, or of one partition)."""

    customers: int
    allowed: np.ndarray            # per offer: customers who may receive it
    cheapest: list[np.ndarray]     # per offer j: the min_j cheapest contact costs of customers allowed it
    best_return: float             # largest profit/cost of any allowed option (0 when no minimum needs it)


def summarize_scores(prob: OfferProblem) -> ScoreSummary:
    """The :class:`ScoreSummary` of ``prob``'s customers (compiled passes over the dense arrays)."""
    n, J, K = prob.shape
    cheapest, allowed = kernels.cheapest_per_offer(prob.cost.reshape(n, J * K), prob.eligible.reshape(n, J * K), J, K)
    smallest = []
    for j in range(J):
        m = min(int(prob.min_offers[j]), n)
        smallest.append(np.partition(cheapest[j], m - 1)[:m] if m else np.zeros(0, np.float32))
    ratio = 0.0
    if prob.min_offers.sum() > 0 and n:
        ratio = kernels.best_return(prob.profit.reshape(n, J * K), prob.cost.reshape(n, J * K),
                                    prob.eligible.reshape(n, J * K))
    return ScoreSummary(n, allowed, smallest, ratio)


def merge_summaries(parts: list[ScoreSummary]) -> ScoreSummary:
    """The summary of several partitions together (minimums' cheapest costs pooled, then cut again)."""
    J = len(parts[0].allowed)
    pooled = []
    for j in range(J):
        keep = max(len(p.cheapest[j]) for p in parts)
        costs = np.concatenate([p.cheapest[j] for p in parts])
        pooled.append(np.partition(costs, keep - 1)[:keep] if keep else costs[:0])
    return ScoreSummary(sum(p.customers for p in parts), np.sum([p.allowed for p in parts], axis=0), pooled,
                        max(p.best_return for p in parts))


def check_feasible_campaign(prob: OfferProblem, summary: ScoreSummary | None = None) -> None:
    """Raise :class:`InfeasibleInstanceError`, naming the rows, when no plan can meet the campaign's
    minimums under its budget, capacities and hurdle. ``summary`` describes the scores when they
    are not in ``prob`` (held by Dask workers); by default it is computed from ``prob``."""
    s = summarize_scores(prob) if summary is None else summary
    for j, offer in enumerate(prob.offers):
        if s.allowed[j] < prob.min_offers[j]:
            raise InfeasibleInstanceError(
                f"offer '{offer}' needs {int(prob.min_offers[j]):,} offers but only {int(s.allowed[j]):,} "
                "customers may receive it", f"lower min_offers for '{offer}'")
    # the cheapest way to meet every minimum: each offer's min_j cheapest eligible contacts
    need = sum(float(np.sort(s.cheapest[j])[:int(m)].sum(dtype=np.float64))
               for j, m in enumerate(prob.min_offers) if m)
    if need > prob.budget * (1 + 1e-9):
        raise InfeasibleInstanceError(
            f"the offer minimums cost at least ${need:,.2f}, more than the budget ${prob.budget:,.2f}",
            f"raise the budget to at least ${need:,.2f} or lower min_offers")
    finite_cap = prob.capacity[np.isfinite(prob.capacity)]
    if np.isfinite(prob.capacity).all() and prob.min_offers.sum() > finite_cap.sum():
        raise InfeasibleInstanceError(
            f"the minimums ask for {int(prob.min_offers.sum()):,} contacts but the channels' capacities "
            f"allow only {int(finite_cap.sum()):,} (rows: "
            + ", ".join(f"capacity[{c}]" for c in prob.channels) + ")",
            "raise a capacity or lower min_offers")
    if prob.min_offers.sum() > 0 and s.customers and s.best_return < 1 + prob.hurdle_rate:
        raise InfeasibleInstanceError(
            f"no contact returns the ROI hurdle of {prob.hurdle_rate:.0%}: the best profit per dollar of any "
            f"allowed offer is {s.best_return:.3f}, so the offer minimums cannot be met at that hurdle "
            "(rows: roi_hurdle and the minimums)", "lower hurdle_rate in campaign.json, or the minimums")
    if prob.min_offers.sum() > s.customers:
        raise InfeasibleInstanceError(f"the minimums ask for {int(prob.min_offers.sum()):,} offers but there are "
                                      f"only {s.customers:,} customers", "lower min_offers")
