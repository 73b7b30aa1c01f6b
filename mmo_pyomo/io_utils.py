"""Atomic file writing: results files are written whole or not at all, and a set of outputs
(``with output_set(): ...``) all together or not at all."""
from __future__ import annotations

import contextvars
import math
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Files written inside an :func:`output_set` block, waiting to be moved into place: (temp, final).
_PENDING: contextvars.ContextVar[list[tuple[str, Path]] | None] = contextvars.ContextVar("pending", default=None)


def _umask() -> int:
    """The process's umask (read by setting it and putting it back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _special(path: Path) -> bool:
    """Whether ``path`` exists and is not a regular file (a terminal, a pipe, ``/dev/stdout``)."""
    return path.exists() and not path.is_file()


def _place(tmp: str, path: Path) -> None:
    """Move a finished temporary file into place: a regular file is replaced whole; a special file
    (``/dev/stdout``, a pipe) is written in place, never replaced."""
    if _special(path):
        with open(tmp, "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        os.unlink(tmp)
    else:
        os.replace(tmp, path)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it into place only if the block succeeds.

    A symlink is followed: its target is written and the link stays a link. A special file
    (``/dev/stdout``) is written in place from a temporary file kept in the system's temporary folder.
    """
    given = Path(path)
    if _special(given):                         # /dev/stdout, a pipe: written in place, through the name given
        path = given
        fd, tmp = tempfile.mkstemp(prefix="mmo-", suffix=".tmp")
    else:
        path = Path(os.path.realpath(given))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    pending = _PENDING.get()
    done = False
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())        # mkstemp makes 0600: give the file the user's usual mode
        if pending is None:
            _place(tmp, path)
        else:
            pending.append((tmp, path))         # moved into place with the rest of its set
        done = True
    finally:
        if not done and os.path.exists(tmp):    # the block failed: the file is neither placed nor in a set
            os.unlink(tmp)


@contextmanager
def output_set() -> Iterator[None]:
    """Within the block, files written through :func:`atomic_path` (and so every writer of the
    package) wait in temporary files; they are moved into place together when the block ends
    without an error, and deleted otherwise. A results folder never holds half a set. A set
    opened inside another joins it."""
    if _PENDING.get() is not None:           # nested: the files join the enclosing set
        yield
        return
    pending: list[tuple[str, Path]] = []
    token = _PENDING.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            if os.path.exists(tmp):
                os.unlink(tmp)
        raise
    finally:
        _PENDING.reset(token)
    for tmp, path in pending:
        _place(tmp, path)


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def json_records(frame: Any) -> list[dict[str, Any]]:
    """The rows of a pandas DataFrame as JSON-ready dictionaries: missing and non-finite numbers become None
    (strict JSON has no NaN or Infinity)."""
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
            for row in frame.astype(object).where(frame.notna(), None).to_dict("records")]
