"""Connecting to a Dask scheduler, in one place: an address that does not answer is the project's error."""
from __future__ import annotations

from typing import Any

from mmo_pyomo.errors import MMOError

#: Seconds to wait for a scheduler to answer.
CONNECT_TIMEOUT_S = 10


def connect(scheduler: str) -> Any:
    """A ``distributed.Client`` of the scheduler at ``scheduler``, or :class:`MMOError` naming the address."""
    try:
        from distributed import Client
    except ImportError:
        raise MMOError("a Dask scheduler needs the distributed package", 'pip install -e ".[study]"') from None
    try:
        return Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S}s")
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise MMOError(f"cannot reach the Dask scheduler at {scheduler!r} ({text})",
                       "start one (dask scheduler; dask worker ADDRESS) and pass its address, e.g. "
                       "tcp://127.0.0.1:8786, or leave out --scheduler to run here") from None
