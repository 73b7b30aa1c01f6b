"""results.csv: one line per finished run, appended as runs finish, so a crash loses nothing."""
from __future__ import annotations

import csv
import io
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from mmo_pyomo.solvers.stats import STATUSES, Status
from mmo_pyomo.study.runs import COLUMNS, RunKey

log = logging.getLogger(__name__)


class ResultStore:
    """Append-only CSV store keyed by (instance, formulation, solver)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._stored: set[RunKey] | None = None         # keys stored with a result, read on first append
        self._warned: tuple[int, ...] = ()               # the lines last named in a warning (each named once)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._drop_torn_tail()
        if not self.path.exists() or self.path.stat().st_size == 0:
            self._append_line(",".join(COLUMNS) + "\n")
        else:
            self._extend_header()

    def _extend_header(self) -> None:
        """A file written before columns were added gets today's header, and its rows empty cells for the
        new columns, so that appended rows line up with it and every whole row has the header's width."""
        with open(self.path, newline="") as fh:
            header = next(csv.reader([fh.readline()]), [])
        if tuple(header) == COLUMNS or tuple(header) != COLUMNS[:len(header)]:
            return
        rows = list(csv.reader(io.StringIO(self.path.read_text())))[1:]
        pad = len(COLUMNS) - len(header)
        buf = io.StringIO()
        csv.writer(buf).writerows([list(COLUMNS), *(r + [""] * pad if len(r) == len(header) else r for r in rows)])
        tmp = self.path.with_name(self.path.name + ".header")
        tmp.write_text(buf.getvalue())
        os.replace(tmp, self.path)       # the store appends to this path at once: no deferred output set here

    def _drop_torn_tail(self) -> None:
        """Cut a last line that a crash left without its newline, so appends stay aligned."""
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with open(self.path, "r+b") as fh:
                fh.truncate(data.rfind(b"\n") + 1)

    def _append_line(self, text: str) -> None:
        # one write of a whole line, then fsync: a crash leaves whole lines only (or one torn last line,
        # which read() drops)
        with open(self.path, "a", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())

    def append(self, record: dict[str, Any]) -> None:
        """Write one finished run; a run of a key already stored with a result is not written again
        (a failed run may be; :meth:`read` keeps the last line of each key)."""
        key = RunKey(str(record.get("path") or record.get("instance")), str(record.get("formulation")),
                     str(record.get("solver")))
        if self._stored is None:
            self._stored = self.finished(retry_failed=True)
        if key in self._stored or record.get("status") == "interrupted":    # an interrupted run is not finished
            return
        if record.get("status") != "error":
            self._stored.add(key)
        buf = io.StringIO()
        csv.writer(buf).writerow(["" if record.get(c) is None else record.get(c) for c in COLUMNS])
        self._append_line(buf.getvalue())

    def read(self) -> pd.DataFrame:
        """All finished runs. A line that is not a whole record (another number of fields than the header, as a torn
        last line from a crash or a line cut short anywhere leaves; a status that is not one; a plan's status
        without its objective) is not a finished run: it is skipped, with a warning naming its line, so that the
        run is made again."""
        text = self.path.read_text()
        if not text.endswith("\n"):
            text = text[: text.rfind("\n") + 1]
        reader = csv.reader(io.StringIO(text))
        header = next(reader, list(COLUMNS))
        whole: list[list[str]] = []
        cut: list[int] = []                                # the file's line numbers of the lines skipped
        for row in reader:
            if row and _whole(row, header):
                whole.append(row)
            elif row:
                cut.append(reader.line_num)
        if cut and tuple(cut) != self._warned:
            self._warned = tuple(cut)
            shown = ", ".join(map(str, cut[:10])) + (" …" if len(cut) > 10 else "")
            log.warning("%s: line(s) %s are not whole records (cut short, or a status without its numbers); their "
                        "runs count as not done and run again", self.path, shown)
        buf = io.StringIO()
        csv.writer(buf).writerows([header, *whole])
        frame = pd.read_csv(io.StringIO(buf.getvalue()), dtype={"instance": str, "path": str})
        frame = frame.dropna(subset=["status"])
        if "path" not in frame:
            frame["path"] = pd.NA
        # a retried run supersedes the failed one: the last line of each key wins
        key = frame["path"].fillna(frame["instance"])
        return frame.loc[~pd.DataFrame({"k": key, "f": frame["formulation"], "s": frame["solver"]})
                         .duplicated(keep="last")].reset_index(drop=True)

    def finished(self, retry_failed: bool = False) -> set[RunKey]:
        """Keys of the runs already stored (without those that ended in error, with ``retry_failed``).

        A key holds the instance's resolved path; rows from before paths were recorded hold the name."""
        frame = self.read()
        if retry_failed:
            frame = frame[frame["status"] != "error"]
        key = frame["path"].fillna(frame["instance"])
        return {RunKey(str(i), str(f), str(s)) for i, f, s in zip(key, frame["formulation"], frame["solver"])}

    def pending(self, keys: Iterable[RunKey]) -> list[RunKey]:
        """The keys not yet finished, in order."""
        done = self.finished()
        return [k for k in keys if k not in done]


#: The statuses of a run that has a plan, so an objective.
_WITH_PLAN = {Status.OPTIMAL.value, Status.FEASIBLE.value, Status.UNRELIABLE.value}


def _whole(row: list[str], header: list[str]) -> bool:
    """Whether a line of results.csv is a whole record: one field per column, a known status and, for a status
    with a plan, its objective as a number."""
    if len(row) != len(header) or "status" not in header:
        return False
    fields = dict(zip(header, row))
    if fields["status"] not in STATUSES:
        return False
    if fields["status"] in _WITH_PLAN and "objective" in fields:
        try:
            float(fields["objective"])
        except ValueError:
            return False
    return True
