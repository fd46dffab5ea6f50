"""Shared fixtures: the bundled bike-sharing data (UCI hour.csv) and small frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

BIKE_CSV = Path("/work/shared/data/bike_sharing_hour.csv")
if not BIKE_CSV.exists():  # the copy shipped inside the package (same bytes)
    BIKE_CSV = Path(__file__).resolve().parents[2] / "loopline/examples/bikes/data/bike_sharing_hour.csv"


@pytest.fixture(scope="session")
def bike_csv() -> Path:
    return BIKE_CSV


@pytest.fixture(scope="session")
def bike_frame() -> pd.DataFrame:
    return pd.read_csv(BIKE_CSV)


@pytest.fixture(scope="session")
def bike_profile():  # type: ignore[no-untyped-def]
    from loopline.validation import profile

    return profile(BIKE_CSV)
