"""The content-addressed artifact store: verified objects and folders, and Python values in and out."""

from loopline.artifacts.errors import (
    ArtifactIntegrityError,
    ArtifactNotFound,
    InvalidArtifactUri,
    StoreNotOpen,
    UnknownFormatError,
    UnsafePathError,
)
from loopline.artifacts.formats import (
    FORMATS,
    Encoded,
    FormatRegistry,
    NotEncodable,
    StoredValue,
    decode,
    encode,
    store_value,
)
from loopline.artifacts.manifest import ManifestEntry
from loopline.artifacts.paths import ensure_inside, safe_relative_path
from loopline.artifacts.store import ArtifactStore, StoredObject

__all__ = [
    "FORMATS",
    "ArtifactIntegrityError",
    "ArtifactNotFound",
    "ArtifactStore",
    "Encoded",
    "FormatRegistry",
    "InvalidArtifactUri",
    "ManifestEntry",
    "NotEncodable",
    "StoreNotOpen",
    "StoredObject",
    "StoredValue",
    "UnknownFormatError",
    "UnsafePathError",
    "decode",
    "encode",
    "ensure_inside",
    "safe_relative_path",
    "store_value",
]
