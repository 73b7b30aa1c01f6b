"""One entry point for reading an instance from disk, whatever its format."""
from __future__ import annotations

from pathlib import Path

from mmo_pyomo.errors import DataError
from mmo_pyomo.instance.csv_folder import read_csv_dir
from mmo_pyomo.instance.dat import read_dat
from mmo_pyomo.instance.schema import Instance
from mmo_pyomo.instance.validate import validate


def load_instance(path: str | Path, *, check: bool = True) -> Instance:
    """Read a `.dat` file or a CSV folder, and validate it unless ``check`` is False."""
    if not isinstance(path, (str, Path)):
        raise DataError(f"load_instance() takes a path, not {type(path).__name__}",
                        "pass the path of a .dat file or a CSV folder")
    path = Path(path)
    if path.is_dir():
        inst = read_csv_dir(path)
    elif path.suffix == ".dat":
        inst = read_dat(path)
    elif not path.exists():
        raise DataError(f"data path '{path}' does not exist", "pass a .dat file or a folder of CSV files")
    else:
        raise DataError(f"'{path}' is neither a .dat file nor a CSV folder",
                        "pass a .dat file or a folder holding activities.csv and settings.csv")
    return validate(inst) if check else inst
