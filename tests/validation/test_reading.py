"""Unreadable input raises DataReadError saying what was wrong and what to do; odd names are fine."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from loopline.errors import InvalidInputError
from loopline.validation import DataFile, DataReadError, profile


def test_missing_file_says_no_file(tmp_path: Path) -> None:
    with pytest.raises(DataReadError, match=r"no file at .*nope\.csv"):
        profile(tmp_path / "nope.csv")


def test_empty_file_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataReadError, match=r"empty \(0 bytes\)") as info:
        profile(path)
    assert "written completely" in str(info.value)


def test_binary_garbage_named_csv(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(DataReadError, match=r"binary data \(NUL bytes\)"):
        profile(path)


def test_binary_garbage_named_parquet(tmp_path: Path) -> None:
    path = tmp_path / "garbage.parquet"
    path.write_bytes(b"not parquet at all" * 100)
    with pytest.raises(DataReadError, match=r"cannot read .*garbage\.parquet as Parquet"):
        profile(path)


def test_wrong_encoding_names_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("name,v\ncafé,1\nnaïve,2\n".encode("latin-1"))
    with pytest.raises(DataReadError, match="not UTF-8 encoded") as info:
        profile(path)
    assert "encoding='latin-1'" in str(info.value)
    stats = profile(DataFile(path, encoding="latin-1"))
    assert stats.column("name").categories.counts() == {"café": 1, "naïve": 1}


def test_malformed_csv_says_rows_do_not_fit(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('a,b,c\n1,2,3\n4,5\n6,7,8,9,10\n"unterminated,1,2\n')
    with pytest.raises(DataReadError, match=r"cannot read .*bad\.csv as CSV") as info:
        profile(path)
    assert "number of fields" in str(info.value)


def test_unknown_suffix_and_unknown_type(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_text("x")
    with pytest.raises(DataReadError, match=r"cannot tell the format .*'\.xlsx'"):
        profile(path)
    with pytest.raises(DataReadError, match="cannot read data of type list"):
        profile([1, 2, 3])  # type: ignore[arg-type]
    assert issubclass(DataReadError, InvalidInputError)


def test_duplicate_column_names_in_a_frame() -> None:
    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(DataReadError, match=r"duplicate column names: \['a'\]"):
        profile(frame)


def test_header_only_csv_is_an_empty_dataset_not_an_error(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text("a,b\n")
    stats = profile(path)
    assert stats.rows == 0 and stats.names == ("a", "b")


def test_csv_gzip_tsv_parquet_and_arrow_give_the_same_counts(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5], "s": ["a", "b", "a"]})
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_csv(tmp_path / "d.tsv", index=False, sep="\t")
    with gzip.open(tmp_path / "d.csv.gz", "wt") as handle:
        frame.to_csv(handle, index=False)
    pq.write_table(pa.Table.from_pandas(frame), tmp_path / "d.parquet")
    sources = [tmp_path / "d.csv", tmp_path / "d.tsv", tmp_path / "d.csv.gz", tmp_path / "d.parquet",
               pa.Table.from_pandas(frame), frame]
    for source in sources:
        stats = profile(source)
        assert stats.rows == 3
        assert stats.column("x").numeric.mean == pytest.approx(2.5)
        assert stats.column("s").categories.counts() == {"a": 2, "b": 1}


def test_unicode_and_quoted_column_names(tmp_path: Path) -> None:
    names = ["température °C", "名前", 'q"uote', "with space", "select"]
    frame = pd.DataFrame({n: [1.0, 2.0, 3.0] for n in names})
    frame.to_csv(tmp_path / "u.csv", index=False)
    for source in (frame, tmp_path / "u.csv"):
        stats = profile(source)
        assert stats.names == tuple(names)
        assert all(stats.column(n).numeric.max == 3.0 for n in names)


def _csv_with_a_late_row(tmp_path: Path, late: str) -> Path:
    path = tmp_path / "late.csv"
    lines = ["a,b", *(f"{i},{2 * i}" for i in range(30_000)), late, "1,2"]  # beyond DuckDB's type sniffing
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_late_row_with_too_many_fields_names_its_line(tmp_path: Path) -> None:
    with pytest.raises(DataReadError, match=r"as CSV: line 30002: Expected Number of Columns: 2 Found: 3"):
        profile(_csv_with_a_late_row(tmp_path, "1,2,3"))


def test_a_late_value_of_another_type_becomes_mixed_types(tmp_path: Path) -> None:
    column = profile(_csv_with_a_late_row(tmp_path, "n/a,4")).column("a")
    assert column.mixed_types == ("number", "text") and column.count == 30_002
    assert column.categories.numeric_like == 30_001
