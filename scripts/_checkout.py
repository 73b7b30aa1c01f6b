"""What every script of this folder does first: find mmo-pyomo, from the checkout if need be.

* Run from a checkout that was not pip-installed, the package is imported from the checkout.
* If its dependencies (``install_requires`` of setup.cfg) are missing from this Python, they are
  installed, as the README's first line would do (``python -m pip install -e <checkout>``), and
  the script starts again. Set ``MMO_NO_INSTALL=1`` to get an error with the fix instead.
"""
import configparser
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent
_STARTED_AGAIN = "MMO_INSTALLED_DEPENDENCIES"


def run(command: str) -> None:
    """Run ``mmo COMMAND`` with this script's arguments."""
    missing = _missing_dependencies()
    if missing:
        _install_dependencies(missing)
    if importlib.util.find_spec("mmo_pyomo") is None:    # not installed: use the checkout itself
        sys.path.insert(0, str(CHECKOUT))
    from mmo_pyomo.cli import run_script
    run_script(command)


def _missing_dependencies() -> list[str]:
    """The base dependencies of setup.cfg that this Python cannot import."""
    cfg = configparser.ConfigParser()
    cfg.read(CHECKOUT / "setup.cfg")
    required = cfg.get("options", "install_requires", fallback="").split()
    names = [re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("-", "_") for r in required]
    return [n for n in names if n and importlib.util.find_spec(n) is None]


def _install_dependencies(missing: list[str]) -> None:
    """Install the package's dependencies into this Python and start the script again, or say how."""
    fix = f"{sys.executable} -m pip install -e {CHECKOUT}"
    what = ", ".join(missing)
    if os.environ.get("MMO_NO_INSTALL") or os.environ.get(_STARTED_AGAIN):
        sys.stderr.write(f"error: mmo-pyomo's dependencies ({what}) are not installed in {sys.executable}\n"
                         f"  fix: {fix}\n")
        sys.exit(2)
    sys.stderr.write(f"mmo-pyomo's dependencies ({what}) are not installed in this Python; installing: {fix}\n")
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "-e", str(CHECKOUT)])
    if done.returncode != 0:
        sys.stderr.write(f"error: installing mmo-pyomo's dependencies failed (pip exit {done.returncode})\n"
                         f"  fix: run '{fix}' yourself and read pip's message\n")
        sys.exit(2)
    os.environ[_STARTED_AGAIN] = "1"
    os.execv(sys.executable, [sys.executable, *sys.argv])
