"""Datasets declared in the workspace (``[datasets.NAME]``), loaded by name into DataFrames."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from loopline.config import DatasetSection, resolve_path
from loopline.errors import InvalidInputError, NotFoundError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd


class DatasetNotFound(NotFoundError):
    """No dataset of that name is declared in the workspace."""


class DatasetReadError(InvalidInputError):
    """A declared dataset's file is missing or cannot be read."""


class DataCatalog:
    """Maps dataset names to their declarations; ``load`` reads one."""

    def __init__(self, root: Path, datasets: Mapping[str, DatasetSection]) -> None:
        self.root = root
        self.datasets = dict(datasets)

    def names(self) -> list[str]:
        return sorted(self.datasets)

    def __contains__(self, name: object) -> bool:
        return name in self.datasets

    def declaration(self, name: str) -> DatasetSection:
        try:
            return self.datasets[name]
        except KeyError:
            hint = did_you_mean(name, self.datasets) or (
                f"declared datasets: {', '.join(self.names())}" if self.datasets else "no dataset is declared"
            )
            raise DatasetNotFound(
                f"dataset '{name}' is not declared in loopline.toml",
                hint=f"{hint}; declare it under [datasets.{name}] with a path",
            ) from None

    def path(self, name: str) -> Path:
        return resolve_path(self.root, self.declaration(name).path)

    def load(self, name: str) -> pd.DataFrame:
        import pandas as pd

        decl = self.declaration(name)
        path = self.path(name)
        fmt = decl.format or path.suffix.lstrip(".").lower()
        if not path.exists():
            raise DatasetReadError(
                f"dataset '{name}': file {path} does not exist",
                hint=f"fix [datasets.{name}] path in loopline.toml or put the file there",
            )
        try:
            if fmt == "csv":
                return pd.read_csv(path, parse_dates=decl.parse_dates or False)
            if fmt == "parquet":
                return pd.read_parquet(path)
        except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise DatasetReadError(
                f"dataset '{name}': cannot read {path} as {fmt}: {exc}",
                hint="check the file's format and encoding (UTF-8 CSV or Parquet)",
            ) from None
        raise DatasetReadError(
            f"dataset '{name}': unknown format '{fmt}' for {path}",
            hint=f"set format = \"csv\" or \"parquet\" under [datasets.{name}]",
        )
