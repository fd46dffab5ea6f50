"""The data catalog: datasets declared in ``loopline.toml`` and loaded by name."""

from loopline.catalog.catalog import DataCatalog, DatasetNotFound, DatasetReadError

__all__ = ["DataCatalog", "DatasetNotFound", "DatasetReadError"]
