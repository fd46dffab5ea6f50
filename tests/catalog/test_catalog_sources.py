"""Declaring and reading each kind of source: files, DuckDB queries and PostgreSQL tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from loopline.catalog import DataCatalog, DatasetReadError
from loopline.config import DatasetSection, settings_from_mapping
from loopline.errors import ConfigError


def rides() -> pd.DataFrame:
    return pd.DataFrame(
        {"station": [1, 2, 1, 3], "day": ["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-02"], "n": [5, 7, 8, 2]}
    )


def settings(datasets: dict[str, dict[str, object]]):
    return settings_from_mapping({"datasets": datasets}, source="loopline.toml", environ={})


def test_a_query_reads_files_relative_to_the_workspace_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "data").mkdir()
    rides().to_parquet(tmp_path / "data" / "rides.parquet")
    decl = DatasetSection(query="select station, sum(n) n from 'data/rides.parquet' group by station order by station")
    monkeypatch.chdir(tmp_path / "data")  # a relative path would not resolve from here
    frame = DataCatalog(tmp_path, {"busy": decl}).load("busy")
    assert frame.to_dict("list") == {"station": [1, 2, 3], "n": [13, 7, 2]}


def test_a_failing_query_names_the_dataset_and_what_to_fix(tmp_path: Path) -> None:
    catalog = DataCatalog(tmp_path, {"busy": DatasetSection(query="select * from 'data/none.parquet'")})
    with pytest.raises(DatasetReadError, match=r"dataset 'busy': the query failed: .*none.parquet") as info:
        catalog.load("busy")
    assert "[datasets.busy] query" in str(info.value.hint)


def test_csv_dates_are_parsed_when_declared(tmp_path: Path) -> None:
    rides().to_csv(tmp_path / "rides.csv", index=False)
    catalog = DataCatalog(tmp_path, {"r": DatasetSection(path="rides.csv", parse_dates=["day"])})
    assert pd.api.types.is_datetime64_any_dtype(catalog.load("r")["day"])
    assert catalog.source("r") == {"kind": "csv", "path": "rides.csv", "parse_dates": ["day"]}


def test_a_file_without_a_known_suffix_asks_for_a_format(tmp_path: Path) -> None:
    (tmp_path / "rides.txt").write_text("a\n1\n")
    catalog = DataCatalog(tmp_path, {"r": DatasetSection(path="rides.txt")})
    with pytest.raises(DatasetReadError, match="unknown format 'txt'") as info:
        catalog.load("r")
    assert 'format = "csv"' in str(info.value.hint)
    assert DataCatalog(tmp_path, {"r": DatasetSection(path="rides.txt", format="csv")}).load("r")["a"].tolist() == [1]


@pytest.mark.parametrize(
    ("declared", "message"),
    [
        ({}, "declare exactly one source.*got none of them"),
        ({"path": "a.csv", "query": "select 1"}, "declare exactly one source.*got path and query"),
        ({"query": "select 1", "format": "csv"}, "format and parse_dates apply to a path only"),
        ({"table": "rides"}, "url and table go together"),
        ({"url": "mysql://h/db", "table": "rides"}, "url must start with one of postgresql://"),
        ({"url": "postgresql://h/db", "table": "rides; drop table x"}, "is not a table name"),
    ],
)
def test_bad_declarations_say_what_is_wrong(declared: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        settings({"rides": declared})
    assert "'datasets.rides'" in str(info.value)


def test_an_unknown_dataset_key_suggests_the_right_one() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'datasets.rides.pth' \(did you mean 'path'\?\)"):
        settings({"rides": {"pth": "a.csv"}})


def test_a_postgres_table_is_read_in_primary_key_order_and_its_password_never_shown(
    tmp_path: Path, postgres_url: str
) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rides (id integer PRIMARY KEY, station integer, n double precision)"))
        conn.execute(text("INSERT INTO rides VALUES (3, 1, 8.0), (1, 1, 5.0), (2, 2, 7.5)"))
    engine.dispose()
    with_password = make_url(postgres_url).set(password="s3cret").render_as_string(hide_password=False)
    catalog = DataCatalog(tmp_path, {"rides": DatasetSection(url=postgres_url, table="rides")})
    frame = catalog.load("rides")
    assert frame.to_dict("list") == {"id": [1, 2, 3], "station": [1, 2, 1], "n": [5.0, 7.5, 8.0]}
    shown = DataCatalog(tmp_path, {"rides": DatasetSection(url=with_password, table="rides")}).source("rides")
    assert shown["kind"] == "postgres" and shown["table"] == "rides"
    assert "s3cret" not in str(shown)


def test_a_missing_postgres_table_is_a_clear_error(tmp_path: Path, postgres_url: str) -> None:
    catalog = DataCatalog(tmp_path, {"rides": DatasetSection(url=postgres_url, table="nowhere")})
    with pytest.raises(DatasetReadError, match="dataset 'rides': the table 'nowhere' does not exist"):
        catalog.load("rides")
