"""``python -m mmo_pyomo COMMAND ...``: the ``mmo`` command without the installed entry point."""
from mmo_pyomo.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
