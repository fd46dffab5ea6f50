"""The data catalog: datasets declared in ``loopline.toml``, loaded by name and recorded as versions."""

from loopline.catalog.catalog import CatalogStores, DataCatalog
from loopline.catalog.errors import DatasetNotFound, DatasetReadError
from loopline.catalog.sources import READERS, SourceReader
from loopline.catalog.versions import DatasetSnapshot, DatasetVersion, DatasetVersions

__all__ = [
    "READERS",
    "CatalogStores",
    "DataCatalog",
    "DatasetNotFound",
    "DatasetReadError",
    "DatasetSnapshot",
    "DatasetVersion",
    "DatasetVersions",
    "SourceReader",
]
