"""Data layer: the instance schema, `.dat` and CSV/DataFrame I/O, validation and region bounds."""
from mmo_pyomo.instance.csv_folder import from_frames, read_csv_dir, to_frames, write_csv_dir
from mmo_pyomo.instance.dat import read_dat, write_dat
from mmo_pyomo.instance.load import load_instance
from mmo_pyomo.instance.regions import RegionBounds, region_bounds
from mmo_pyomo.instance.schema import ACTIVITY_FIELDS, Instance
from mmo_pyomo.instance.validate import validate

__all__ = [
    "ACTIVITY_FIELDS", "Instance", "RegionBounds", "region_bounds", "validate",
    "read_dat", "write_dat", "from_frames", "to_frames", "read_csv_dir", "write_csv_dir",
    "load_instance",
]
