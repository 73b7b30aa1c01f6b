"""Keeping engines' own output (banners, licence notices) off the terminal."""
from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_engine(log_file: str | None = None) -> Iterator[None]:
    """Send what C libraries write to file descriptors 1 and 2 to ``log_file`` (or discard it),
    and silence Python warnings, for the duration of the block.

    Only for short calls made from the main thread (licence probes, version queries): a long
    solve keeps its output through the engine's own log options instead.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    target = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666) if log_file \
        else os.open(os.devnull, os.O_WRONLY)
    saved = []
    try:
        for fd in (1, 2):
            try:
                saved.append((fd, os.dup(fd)))
                os.dup2(target, fd)
            except OSError:   # no such descriptor (embedded interpreters): nothing to hide
                pass
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        for fd, copy in saved:
            os.dup2(copy, fd)
            os.close(copy)
        os.close(target)
