"""The options of a solve, declared once: :class:`SolveOptions` is checked where it is made and travels as
one object from the command line or the API to the engine adapter (compare Pyomo's
``contrib/solver/common/config.py``). Nothing downstream checks them again.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from mmo_pyomo import ranges
from mmo_pyomo.errors import MMOError


@dataclass(frozen=True)
class SolveOptions:
    """What a solve may take: the common vocabulary every engine maps to its own names
    (:meth:`mmo_pyomo.solvers.engines.Engine.native_options`), a log file, and engine-native extras.

    * ``time_limit``: seconds, in [0, 10⁹];
    * ``mip_gap``: the relative gap to stop at, in [0, 1);
    * ``threads``: in [1, 1024]; ``seed``: in [0, 2³¹ − 1];
    * ``log_file``: the engine's own log is appended to it;
    * ``native``: engine-native options, passed as they are (``{"limits/nodes": 10}`` for SCIP);
    * ``deadline``: the moment (on :func:`time.monotonic`'s clock) by which every engine solve made with these
      options must end, whatever its own ``time_limit``: the user's limit shared by every step of a command
      (:mod:`mmo_pyomo.solvers.deadline`);
    * ``on_bound``: called with the engine's best bound (in the model's own quantity) each time the engine logs
      progress during a MIP solve, where its interface reports it (HiGHS); others call it never.

    ``None`` leaves the engine's default.
    """

    time_limit: float | None = None
    mip_gap: float | None = None
    threads: int | None = None
    seed: int | None = None
    log_file: str | None = None
    native: Mapping[str, Any] = field(default_factory=dict)
    deadline: float | None = field(default=None, compare=False)
    on_bound: Callable[[float], None] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, "time_limit", ranges.optional(ranges.seconds, self.time_limit, "time_limit"))
        put(self, "mip_gap", ranges.optional(ranges.relative_gap, self.mip_gap, "mip_gap"))
        put(self, "threads", ranges.optional(ranges.threads, self.threads, "threads"))
        put(self, "seed", ranges.optional(ranges.seed, self.seed, "seed"))
        if self.deadline is not None:
            put(self, "deadline", ranges.finite(self.deadline, "deadline"))
        if self.log_file is not None and not isinstance(self.log_file, str):
            put(self, "log_file", str(self.log_file))
        if not isinstance(self.native, Mapping) or not all(isinstance(k, str) for k in self.native):
            raise MMOError("native options must be a mapping of option names to values",
                           'give native={"name": value, ...} in the engine\'s own names')
        put(self, "native", MappingProxyType(dict(self.native)))
        if self.on_bound is not None and not callable(self.on_bound):
            raise MMOError("on_bound must be a function of the engine's bound", "pass on_bound=lambda bound: ...")

    def with_changes(self, **changes: Any) -> SolveOptions:
        """A copy with some options replaced (checked again, as every new record is)."""
        return replace(self, **changes)

    def common(self) -> dict[str, Any]:
        """The common vocabulary: time_limit, mip_gap, threads, seed (None where not given)."""
        return {"time_limit": self.time_limit, "mip_gap": self.mip_gap, "threads": self.threads, "seed": self.seed}

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The option names, in declaration order."""
        return tuple(f.name for f in fields(cls))


#: No options: every engine's defaults.
DEFAULTS = SolveOptions()
