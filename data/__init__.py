"""The shipped data, installed as the package ``mmo_pyomo.data`` (so ``mmo solve`` works from any directory).

* ``example.dat``: the 40-activity example, 8 channels × 5 regions and 3 group rules
  (:func:`mmo_pyomo.mix.instances.example_instance`);
* ``example/``: the same instance as a CSV folder (``activities.csv``, ``rules.csv``, ``settings.csv``);
* ``curves/``: a small response-curve case (6 channels, logistic curves) as a CSV folder;
* ``bank/``: a small offers campaign (500 customers) as a campaign folder.

``tests/test_data_io.py`` checks that each is what its generator writes.
"""
from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

#: The 40-activity example (.dat).
EXAMPLE_DAT: Path = HERE / "example.dat"
#: The same instance as a CSV folder.
EXAMPLE_CSV: Path = HERE / "example"
#: A small response-curve case (CSV folder).
CURVES: Path = HERE / "curves"
#: A small offers campaign (campaign folder).
BANK: Path = HERE / "bank"

__all__ = ["BANK", "CURVES", "EXAMPLE_CSV", "EXAMPLE_DAT"]
