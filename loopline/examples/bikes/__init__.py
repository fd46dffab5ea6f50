"""The bike-sharing example: hourly rentals in Washington D.C., 2011-2012 (UCI, CC BY 4.0)."""

from importlib import resources
from pathlib import Path

DATA_FILE = "bike_sharing_hour.csv"


def data_path() -> Path:
    """The bundled hourly table (17,379 rows) inside the installed package."""
    return Path(str(resources.files(__name__) / "data" / DATA_FILE))


__all__ = ["DATA_FILE", "data_path"]
