"""Python values to artifact bytes and back: a registry of formats keyed by type.

Built in:

==========================  =========  ==================================================
value                       format     notes
==========================  =========  ==================================================
pandas DataFrame            parquet    deterministic bytes: equal frames give equal digests
numpy ndarray               npy        ``allow_pickle=False`` both ways
dict/list/str/int/float/... json       canonical (sorted keys, no spaces); JSON values only
bytes, bytearray            raw        (``text`` artifacts, UTF-8, decode to str)
pathlib.Path to a file      file       stored from the path, decoded to a local path
pathlib.Path to a folder    dir        stored from the path, decoded to a local folder
anything else               pickle     scikit-learn models and the like
==========================  =========  ==================================================

A value a format cannot hold faithfully (a dict with non-string keys, NaN, a frame with
mixed-type columns, an object array) falls back to pickle, so it still round-trips.

Decoding reads bytes only through the store, which checks their digest first. Loading a
pickle runs code chosen by whoever wrote it: decode ``pickle`` artifacts only for digests
that Loopline's own runs recorded in the metadata store, never for a uri taken from a
request, a file or another user.
"""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopline.artifacts.errors import UnknownFormatError
from loopline.errors import InvalidInputError, did_you_mean

if TYPE_CHECKING:
    from loopline.artifacts.store import ArtifactStore

MAX_JSON_DEPTH = 64
PLUGIN_GROUP = "loopline.artifact_formats"
"""Entry points naming modules that register formats of their own when imported."""


@dataclass(frozen=True, slots=True)
class Encoded:
    """A value ready to store: either ``data`` (bytes) or ``path`` (a local file or folder)."""

    data: bytes | None
    path: Path | None
    format: str
    properties: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredValue:
    """A value stored in the artifact store: what to record in the metadata store."""

    uri: str
    digest: str
    size: int
    format: str
    properties: dict[str, Any]


class NotEncodable(Exception):
    """Raised by an encoder for a value of its type that its format cannot hold faithfully."""


Encoder = Callable[[Any], Encoded]
Decoder = Callable[["ArtifactStore", str], Any]


class FormatRegistry:
    """Encoders keyed by type (looked up along the value's MRO) and decoders keyed by format name.

    A type may be given as a class or, to avoid importing a heavy library up front, as its
    ``"module.QualName"`` (``"pandas.DataFrame"``). The encoder registered for ``object``
    is the fallback, also used when an encoder raises ``NotEncodable``.
    """

    def __init__(self) -> None:
        self._by_type: dict[type, Encoder] = {}
        self._by_name: dict[str, Encoder] = {}
        self._decoders: dict[str, Decoder] = {}
        self._resolved: dict[type, Encoder] = {}
        self._plugins_loaded = False

    def register_encoder(self, kind: type | str, encoder: Encoder) -> None:
        if isinstance(kind, str):
            self._by_name[kind] = encoder
        else:
            self._by_type[kind] = encoder
        self._resolved.clear()

    def register_decoder(self, format: str, decoder: Decoder) -> None:
        self._decoders[format] = decoder

    def formats(self) -> list[str]:
        return sorted(self._decoders)

    def encode(self, value: Any) -> Encoded:
        encoder = self._encoder_for(type(value))
        try:
            return encoder(value)
        except NotEncodable:
            return self._encoder_for(object)(value)

    def decode(self, store: ArtifactStore, uri: str, format: str) -> Any:
        decoder = self._decoders.get(format)
        if decoder is None and self._load_plugins():
            decoder = self._decoders.get(format)
        if decoder is None:
            hint = did_you_mean(format, self._decoders) or f"known formats: {', '.join(self.formats())}"
            raise UnknownFormatError(f"no decoder for artifact format '{format}' (artifact {uri})", hint=hint)
        return decoder(store, uri)

    def _load_plugins(self) -> bool:
        """Import the modules that declare formats (entry points ``loopline.artifact_formats``), once.

        A package's own formats register when its module is imported; a process that reads
        such an artifact without having imported that package finds them here. True when
        this call imported them (so a lookup is worth repeating).
        """
        if self._plugins_loaded:
            return False
        self._plugins_loaded = True
        from importlib.metadata import entry_points

        for entry in entry_points(group=PLUGIN_GROUP):
            try:
                entry.load()
            except Exception as exc:  # one broken plugin must not hide the built-in formats
                import logging

                logging.getLogger("loopline.artifacts").warning("artifact formats of %s failed to load: %s",
                                                                entry.value, exc)
        return True

    def _encoder_for(self, kind: type) -> Encoder:
        encoder = self._resolved.get(kind)
        if encoder is not None:
            return encoder
        for klass in kind.__mro__:
            encoder = self._by_type.get(klass) or self._by_name.get(f"{klass.__module__}.{klass.__qualname__}")
            if encoder is not None:
                self._resolved[kind] = encoder
                return encoder
        raise InvalidInputError(f"no encoder for values of type {kind.__qualname__}", hint="register one for object")


# -- json -----------------------------------------------------------------------------------


def encode_json(value: Any) -> Encoded:
    if not _is_json_value(value, MAX_JSON_DEPTH):
        raise NotEncodable
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return Encoded(data.encode("utf-8"), None, "json", {"python_type": _type_name(value)})


def decode_json(store: ArtifactStore, uri: str) -> Any:
    return json.loads(store.get_bytes(uri))


def _is_json_value(value: Any, depth: int) -> bool:
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return True
    if kind is float:
        return value == value and value not in (float("inf"), float("-inf"))
    if depth <= 0:
        return False
    if kind is list:
        return all(_is_json_value(item, depth - 1) for item in value)
    if kind is dict:
        return all(type(key) is str and _is_json_value(item, depth - 1) for key, item in value.items())
    return False


# -- raw bytes, text ------------------------------------------------------------------------


def encode_raw(value: bytes | bytearray | memoryview) -> Encoded:
    return Encoded(bytes(value), None, "raw", {"python_type": "bytes"})


def decode_raw(store: ArtifactStore, uri: str) -> bytes:
    return store.get_bytes(uri)


def decode_text(store: ArtifactStore, uri: str) -> str:
    return store.get_bytes(uri).decode("utf-8")


# -- files and folders ----------------------------------------------------------------------


def encode_path(value: Path) -> Encoded:
    if value.is_file():
        return Encoded(None, value, "file", {"name": value.name, "size": value.stat().st_size})
    if value.is_dir():
        return Encoded(None, value, "dir", {"name": value.name})
    raise InvalidInputError(
        f"cannot store the path {value}: it is neither a file nor a folder",
        hint="return a path that exists, or the file's content instead of its path",
    )


def decode_file(store: ArtifactStore, uri: str) -> Path:
    return store.local_path(uri)


def decode_dir(store: ArtifactStore, uri: str) -> Path:
    return store.local_dir(uri)


# -- pandas, numpy --------------------------------------------------------------------------


def encode_dataframe(frame: Any) -> Encoded:
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(frame.columns)
    if not all(type(name) is str for name in names) or len(set(names)) != len(names):
        raise NotEncodable  # parquet would turn the names into unique strings
    try:
        table = pa.Table.from_pandas(frame, preserve_index=None)
        buffer = io.BytesIO()
        pq.write_table(table, buffer)
    except (pa.ArrowException, ValueError, TypeError):
        raise NotEncodable from None
    properties = {"python_type": "pandas.DataFrame", "rows": len(frame), "columns": len(names)}
    properties["column_names"] = names[:200]
    return Encoded(buffer.getvalue(), None, "parquet", properties)


def decode_parquet(store: ArtifactStore, uri: str) -> Any:
    import pandas as pd

    return pd.read_parquet(store.local_path(uri))


def encode_ndarray(array: Any) -> Encoded:
    import numpy as np

    buffer = io.BytesIO()
    try:
        np.save(buffer, array, allow_pickle=False)
    except ValueError:
        raise NotEncodable from None  # object arrays need pickle
    properties = {"python_type": "numpy.ndarray", "shape": list(array.shape), "dtype": str(array.dtype)}
    return Encoded(buffer.getvalue(), None, "npy", properties)


def decode_npy(store: ArtifactStore, uri: str) -> Any:
    import numpy as np

    return np.load(io.BytesIO(store.get_bytes(uri)), allow_pickle=False)


# -- pickle ---------------------------------------------------------------------------------


def encode_pickle(value: Any) -> Encoded:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        raise InvalidInputError(
            f"cannot store a value of type {_type_name(value)}: it cannot be pickled ({exc})",
            hint="return plain data (a DataFrame, an array, a dict) or write a file and return its path",
        ) from None
    return Encoded(data, None, "pickle", {"python_type": _type_name(value)})


def decode_pickle(store: ArtifactStore, uri: str) -> Any:
    # Safe only because get_bytes checked the digest and the caller took the uri from a
    # record Loopline's own run wrote; see the module docstring.
    return pickle.loads(store.get_bytes(uri))  # noqa: S301


def _type_name(value: Any) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def default_registry() -> FormatRegistry:
    """A registry with the built-in formats."""
    registry = FormatRegistry()
    json_types: tuple[type, ...] = (dict, list, str, int, float, bool, type(None))
    for kind in json_types:
        registry.register_encoder(kind, encode_json)
    for kind in (bytes, bytearray, memoryview):
        registry.register_encoder(kind, encode_raw)
    registry.register_encoder(Path, encode_path)
    registry.register_encoder("pandas.DataFrame", encode_dataframe)
    registry.register_encoder("pandas.core.frame.DataFrame", encode_dataframe)
    registry.register_encoder("numpy.ndarray", encode_ndarray)
    registry.register_encoder(object, encode_pickle)
    decoders: dict[str, Decoder] = {
        "json": decode_json,
        "raw": decode_raw,
        "text": decode_text,
        "file": decode_file,
        "dir": decode_dir,
        "parquet": decode_parquet,
        "npy": decode_npy,
        "pickle": decode_pickle,
    }
    for name, decoder in decoders.items():
        registry.register_decoder(name, decoder)
    return registry


FORMATS = default_registry()


def encode(value: Any) -> Encoded:
    """Turn ``value`` into bytes (or a path) and the name of its format, with the default registry."""
    return FORMATS.encode(value)


def decode(store: ArtifactStore, uri: str, format: str) -> Any:
    """Load the artifact ``uri`` stored in ``format`` (its digest is checked by the store first)."""
    return FORMATS.decode(store, uri, format)


def store_value(store: ArtifactStore, value: Any, *, registry: FormatRegistry | None = None) -> StoredValue:
    """Encode ``value`` and put it in ``store``: one call from a step's output to a stored artifact."""
    encoded = (registry or FORMATS).encode(value)
    if encoded.data is not None:
        stored = store.put_bytes(encoded.data)
    elif encoded.path is not None:
        stored = store.put_dir(encoded.path) if encoded.format == "dir" else store.put_file(encoded.path)
    else:
        raise InvalidInputError(f"the '{encoded.format}' encoder returned neither bytes nor a path")
    return StoredValue(stored.uri, stored.digest, stored.size, encoded.format, encoded.properties)


__all__ = [
    "FORMATS",
    "Decoder",
    "Encoded",
    "Encoder",
    "FormatRegistry",
    "NotEncodable",
    "StoredValue",
    "decode",
    "default_registry",
    "encode",
    "store_value",
]
