from pathlib import Path

import pandas as pd
import pytest

from loopline.catalog import DataCatalog, DatasetNotFound, DatasetReadError
from loopline.config import DatasetSection


def test_loads_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    frame.to_csv(tmp_path / "t.csv", index=False)
    frame.to_parquet(tmp_path / "t.parquet")
    catalog = DataCatalog(
        tmp_path, {"csv": DatasetSection(path="t.csv"), "pq": DatasetSection(path="t.parquet")}
    )
    pd.testing.assert_frame_equal(catalog.load("csv"), frame, check_dtype=False)
    pd.testing.assert_frame_equal(catalog.load("pq"), frame)
    assert catalog.names() == ["csv", "pq"]


def test_unknown_dataset_suggests_a_close_name(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path, {"bike_hours": DatasetSection(path="x.csv")})
    with pytest.raises(DatasetNotFound, match="dataset 'bike_hour' is not declared") as info:
        catalog.load("bike_hour")
    assert "did you mean 'bike_hours'?" in str(info.value)


def test_missing_or_unreadable_files_say_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "bad.parquet").write_bytes(b"\x00\x01 not parquet")
    catalog = DataCatalog(
        tmp_path, {"gone": DatasetSection(path="gone.csv"), "bad": DatasetSection(path="bad.parquet")}
    )
    with pytest.raises(DatasetReadError, match=r"dataset 'gone': file .*gone.csv does not exist"):
        catalog.load("gone")
    with pytest.raises(DatasetReadError, match=r"dataset 'bad': cannot read .*bad.parquet as parquet"):
        catalog.load("bad")
