"""The ``mmo`` command: ``solve``, ``generate``, ``study``, ``pareto`` and ``offers`` as subcommands.

Every subcommand module exposes ``HELP`` (one line), ``add_arguments(parser)`` and
``run(args) -> int``; :func:`mmo_pyomo.cli.main.main` owns everything around them (errors,
warnings, logging, Ctrl-C). ``scripts/*.py`` are one-line shims over :func:`run_script`.
"""
from mmo_pyomo.cli.main import main, run_script

__all__ = ["main", "run_script"]
