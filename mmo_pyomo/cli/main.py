"""One ``main()`` for every command: argument parsing, errors, warnings, logging and Ctrl-C.

Exit codes: 0 success; 1 a study with crashed runs; 2 bad input or usage (:class:`MMOError`);
3 infeasible; 4 no solution; 5 a plan that failed the checker; 6 a certificate found unreliable (its plan
is written); 130 interrupted (Ctrl-C, or an engine stopped by it); 143 terminated (SIGTERM).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
import warnings
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from mmo_pyomo.errors import MMOError, SolveInterrupted

#: Subcommand name → module (each has HELP, add_arguments, run).
COMMANDS: dict[str, str] = {
    "solve": "mmo_pyomo.cli.solve",
    "generate": "mmo_pyomo.cli.generate",
    "study": "mmo_pyomo.cli.study",
    "pareto": "mmo_pyomo.cli.pareto",
    "offers": "mmo_pyomo.cli.offers",
    "import-curves": "mmo_pyomo.cli.import_curves",
    "page": "mmo_pyomo.cli.page",
}

#: The name each subcommand had as a script (``scripts/compare.py`` runs the study).
SCRIPT_NAMES = {"solve": "solve.py", "generate": "generate.py", "study": "compare.py", "pareto": "pareto.py",
                "offers": "offers.py", "import-curves": "import_curves.py", "page": "page.py"}


def silence_engine_warnings() -> None:
    """Engines' own notices (deprecations at import, licence banners) stay off the terminal."""
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", message=".*Community license.*")
    warnings.filterwarnings("ignore", module="pyomo.*")


def configure_logging(verbosity: int) -> None:
    """``-q`` warnings only, default info, ``-v`` debug; library modules log, the CLI prints."""
    level = logging.WARNING if verbosity < 0 else logging.INFO if verbosity == 0 else logging.DEBUG
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s" if verbosity <= 0 else "%(name)s: %(message)s"))
    root = logging.getLogger("mmo_pyomo")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    logging.getLogger("pyomo").setLevel(logging.ERROR if verbosity <= 0 else logging.WARNING)


def _load(name: str) -> ModuleType:
    return importlib.import_module(COMMANDS[name])


def _add_verbosity(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-v", "--verbose", action="store_const", const=1, dest="verbosity",
                   help="more messages (debug logging)")
    g.add_argument("-q", "--quiet", action="store_const", const=-1, dest="verbosity",
                   help="warnings and errors only")


def build_parser(only: str | None = None, prog: str | None = None) -> argparse.ArgumentParser:
    """The ``mmo`` parser with every subcommand, or the parser of one subcommand (``only``)."""
    if only is not None:
        module = _load(only)
        p = argparse.ArgumentParser(prog=prog or f"mmo {only}", description=module.__doc__)
        _add_verbosity(p)
        module.add_arguments(p)
        p.set_defaults(_command=only, verbosity=0)
        return p
    p = argparse.ArgumentParser(prog=prog or "mmo", description="mmo-pyomo: marketing mix and offer optimization.")
    sub = p.add_subparsers(dest="_command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        module = _load(name)
        sp = sub.add_parser(name, help=module.HELP, description=module.__doc__)
        _add_verbosity(sp)
        module.add_arguments(sp)
    return p


def report_error(exc: MMOError | SolveInterrupted) -> int:
    """Print ``error: cause`` and ``  fix: …`` on stderr; return the error's exit code."""
    print(f"error: {exc.cause}", file=sys.stderr)
    if exc.fix:
        print(f"  fix: {exc.fix}", file=sys.stderr)
    return exc.exit_code


class Terminated(BaseException):
    """SIGTERM, raised where Python next runs, so that every temporary file is removed on the way out."""


def _terminate(signum: int, frame: object) -> None:
    raise Terminated


class _PipeSafeStdout:
    """stdout that, once its reader has gone (``| head``), sends the rest to /dev/null instead of raising:
    the command goes on and still writes its result files."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.closed_by_reader = False

    def _gone(self) -> None:
        self.closed_by_reader = True
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), self._stream.fileno())
        except (OSError, ValueError):
            pass

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._gone()

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None, *, only: str | None = None, prog: str | None = None) -> int:
    """Entry point of ``mmo`` (or, with ``only``, of one subcommand); returns the exit code.

    User errors print ``error:``/``fix:`` lines and no traceback. Ctrl-C exits 130 and SIGTERM 143, both
    with nothing written and no temporary file left; a closed stdout does not stop the command.
    """
    silence_engine_warnings()
    argv = list(sys.argv[1:] if argv is None else argv)
    if only is None and argv and argv[0] in COMMANDS:   # load only that command's modules
        only, prog, argv = argv[0], prog or f"mmo {argv[0]}", argv[1:]
    args = build_parser(only, prog).parse_args(argv)
    configure_logging(args.verbosity or 0)
    previous = signal.signal(signal.SIGTERM, _terminate) if threading.current_thread() is threading.main_thread() \
        else None
    stdout = sys.stdout
    if not isinstance(stdout, _PipeSafeStdout):
        sys.stdout = _PipeSafeStdout(stdout)
    try:
        return int(_load(args._command).run(args))
    except MMOError as exc:
        return report_error(exc)
    except SolveInterrupted as exc:     # an engine stopped by Ctrl-C: its own words, exit 130
        return report_error(exc)
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130
    except Terminated:
        print("terminated: nothing was written", file=sys.stderr)
        return 143
    finally:
        sys.stdout = stdout
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_script(command: str) -> None:
    """The body of ``scripts/<name>.py``: run one subcommand and exit with its code."""
    sys.exit(main(sys.argv[1:], only=command, prog=SCRIPT_NAMES[command]))
