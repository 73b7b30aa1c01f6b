"""Errors a user can act on.

Every error raised on purpose by mmo-pyomo is an :class:`MMOError`. Its message names
the cause and, on a second line, the fix. The command-line entry points print that
message and exit non-zero, without a traceback.
"""
from __future__ import annotations


class MMOError(Exception):
    """Base class: ``cause`` says what is wrong, ``fix`` says what to do about it."""

    exit_code = 2

    def __init__(self, cause: str, fix: str | None = None) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(cause if fix is None else f"{cause}\n  fix: {fix}")


class DataError(MMOError):
    """The instance data is malformed or inconsistent (names the activity/rule and field)."""


class InfeasibleInstanceError(MMOError):
    """No plan can satisfy the constraints (found before solving, or by the solver)."""

    exit_code = 3


class SolverUnavailableError(MMOError):
    """The requested engine is not installed, or its licence cannot be obtained."""


class CapabilityError(MMOError):
    """The engine cannot take this formulation (the message names the engines that can)."""


class LicenceLimitError(MMOError):
    """The model exceeds the size limit of the engine's licence (size-limited pip edition)."""


class NoSolutionError(MMOError):
    """The solve ended without a usable plan: time limit with no incumbent, or a solver error."""

    exit_code = 4


class PlanCheckError(MMOError):
    """A plan returned by a solver failed the independent checker."""

    exit_code = 5


class CertificateError(MMOError):
    """A checked plan, but a bound below a checked revenue: the engine's certificate is numerically unreliable."""

    exit_code = 6


class SolveInterrupted(KeyboardInterrupt):
    """The user stopped a solve (Ctrl-C, caught by the engine): nothing is written or stored as a result.

    A :class:`KeyboardInterrupt`, as Ctrl-C in Python code is, and not an :class:`MMOError`: a step that goes on
    without a helper whose error it catches (a cross-check, a start, one row of a comparison) does not go on past
    an interrupt. It names the cause and the fix as an :class:`MMOError` does.
    """

    exit_code = 130

    def __init__(self, cause: str, fix: str | None = None) -> None:
        self.cause = cause
        self.fix = fix
        super().__init__(cause if fix is None else f"{cause}\n  fix: {fix}")
