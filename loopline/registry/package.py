"""The model package: the deployable unit, stored as a folder artifact of type ``Model``.

A package folder holds:

==========================  ==========================================================
``model.pkl``               the fitted model (cloudpickle)
``preprocessing.pkl``       what is applied to a frame before ``predict`` (optional)
``signature.json``          inputs and outputs (the SERVING schema and the prediction)
``sample_input.parquet``    a few input rows (optional)
``package.json``            format, version, model class, ``info`` and the sha256 of
                            every other file
==========================  ==========================================================

Reading a package unpickles code, so ``read_package`` takes the digest that Loopline
recorded for the folder and unpickles nothing unless the bytes it read hash to exactly
that folder, and every file is listed in ``package.json`` with its hash: a file Loopline
did not record is refused, never loaded. Each file is hashed from the very bytes that are
then decoded, so nothing can change between the check and the use.

Importing this module teaches the artifact store's value formats to store a
``ModelPackage`` as such a folder, so a pipeline step may simply return one.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import shutil
import tempfile
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from loopline.artifacts import FORMATS, Encoded, ManifestEntry
from loopline.artifacts.manifest import manifest_bytes, scan_folder
from loopline.errors import InvalidInputError
from loopline.registry.errors import UntrustedModelError

PACKAGE_FORMAT = "loopline-model-package"
PACKAGE_VERSION = 1
MODEL_FILE = "model.pkl"
PREPROCESSING_FILE = "preprocessing.pkl"
SIGNATURE_FILE = "signature.json"
SAMPLE_FILE = "sample_input.parquet"
PACKAGE_FILE = "package.json"
MAX_SAMPLE_ROWS = 100
_PYTHON_TYPE = "loopline.registry.package.ModelPackage"


class ModelPackage:
    """A fitted model with its signature, preprocessing, a sample input and where it came from.

    ``signature`` is ``{"inputs": [{"name", "type", "required", ...}], "outputs": [...]}``
    (see ``signature_from_schema``); ``preprocessing`` is a callable or an object with
    ``transform``, applied before ``model.predict``; ``info`` holds lineage ids, the feature
    list, the training data's hash, the code version, package versions, params and metrics.
    """

    def __init__(
        self,
        model: Any,
        *,
        signature: Mapping[str, Any] | None = None,
        preprocessing: Any = None,
        sample_input: Any = None,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        if not callable(getattr(model, "predict", None)):
            raise InvalidInputError(
                f"a model package needs a model with a predict method, got {type(model).__qualname__}",
                hint="pass the fitted estimator (or wrap your function in an object with predict)",
            )
        if preprocessing is not None and not (callable(preprocessing) or hasattr(preprocessing, "transform")):
            raise InvalidInputError("preprocessing must be a callable or have a transform method")
        if sample_input is not None and not hasattr(sample_input, "to_parquet"):
            raise InvalidInputError(f"sample_input must be a pandas DataFrame, got {type(sample_input).__qualname__}")
        self.model = model
        self.signature = _check_signature(signature or {"inputs": [], "outputs": []})
        self.preprocessing = preprocessing
        self.sample_input = None if sample_input is None else sample_input.head(MAX_SAMPLE_ROWS)
        self.info = dict(info or {})
        self._folder: Path | None = None

    def __repr__(self) -> str:
        return f"ModelPackage({self.model_class}, inputs={self.input_names})"

    @property
    def model_class(self) -> str:
        kind = type(self.model)
        return f"{kind.__module__}.{kind.__qualname__}"

    @property
    def input_names(self) -> list[str]:
        return [str(item["name"]) for item in self.signature.get("inputs", [])]

    def predict(self, frame: Any) -> Any:
        """Check the required inputs are there, apply the preprocessing, then ``model.predict``."""
        columns = set(getattr(frame, "columns", []))
        missing = [i["name"] for i in self.signature.get("inputs", []) if i.get("required", True)
                   and i["name"] not in columns]
        if missing:
            raise InvalidInputError(
                f"the input lacks the column(s) {', '.join(map(str, missing))} that the model's signature requires",
                hint=f"send every input of the signature: {', '.join(self.input_names)}",
            )
        data = frame
        if self.preprocessing is not None:
            transform = getattr(self.preprocessing, "transform", None)
            data = transform(data) if transform is not None else self.preprocessing(data)
        return self.model.predict(data)

    # -- the folder form -------------------------------------------------------------------

    def save(self, folder: str | Path) -> Path:
        """Write the package's files into ``folder`` (created; it must be empty or new)."""
        import cloudpickle

        target = Path(folder)
        target.mkdir(parents=True, exist_ok=True)
        if any(target.iterdir()):
            raise InvalidInputError(f"cannot save a model package into {target}: the folder is not empty")
        files: dict[str, bytes] = {MODEL_FILE: cloudpickle.dumps(self.model)}
        if self.preprocessing is not None:
            files[PREPROCESSING_FILE] = cloudpickle.dumps(self.preprocessing)
        files[SIGNATURE_FILE] = _json_bytes(self.signature)
        if self.sample_input is not None:
            files[SAMPLE_FILE] = _parquet_bytes(self.sample_input)
        return write_package_files(target, files, model_class=self.model_class, info=self.info)

    def _saved_folder(self) -> Path:
        """A temporary folder holding this package's files, removed when the package is."""
        if self._folder is None or not self._folder.is_dir():
            folder = Path(tempfile.mkdtemp(prefix="loopline-package-"))
            weakref.finalize(self, shutil.rmtree, folder, True)
            self._folder = self.save(folder / "package")
        return self._folder

    def properties(self) -> dict[str, Any]:
        """What the artifact record says about the package (searchable without opening it)."""
        return {
            "python_type": _PYTHON_TYPE,
            "package_format": PACKAGE_FORMAT,
            "package_version": PACKAGE_VERSION,
            "model_class": self.model_class,
            "inputs": self.input_names[:200],
        }


def write_package_files(folder: Path, files: Mapping[str, bytes], *, model_class: str,
                        info: Mapping[str, Any]) -> Path:
    """Write ``files`` and the ``package.json`` that lists their hashes into ``folder``."""
    manifest = {
        "format": PACKAGE_FORMAT,
        "version": PACKAGE_VERSION,
        "model_class": model_class,
        "python": platform.python_version(),
        "info": _plain(info),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    for name, data in {**files, PACKAGE_FILE: _json_bytes(manifest)}.items():
        (folder / name).write_bytes(data)
    return folder


def package_from_pickle(pickle_bytes: bytes, folder: Path, *, info: Mapping[str, Any]) -> Path:
    """A package folder around a pickled model from outside, written without unpickling it."""
    files = {MODEL_FILE: pickle_bytes, SIGNATURE_FILE: _json_bytes({"inputs": [], "outputs": []})}
    return write_package_files(folder, files, model_class="unknown (imported pickle)", info=info)


def read_package(folder: str | Path, *, recorded_digest: str) -> ModelPackage:
    """The package in ``folder``, unpickled only if its files are exactly the recorded folder.

    ``recorded_digest`` is the folder digest the metadata store recorded for the artifact
    (the sha256 of its manifest). UntrustedModelError when the folder differs in any byte,
    holds a file ``package.json`` does not list, or is not a model package at all.
    """
    files = _read_verified(Path(folder), recorded_digest)
    manifest = _manifest(files, folder)
    import pickle

    model = pickle.loads(files[MODEL_FILE])  # noqa: S301 - bytes verified against the recorded digest above
    preprocessing = pickle.loads(files[PREPROCESSING_FILE]) if PREPROCESSING_FILE in files else None  # noqa: S301
    sample = None
    if SAMPLE_FILE in files:
        import pandas as pd

        sample = pd.read_parquet(io.BytesIO(files[SAMPLE_FILE]))
    signature = json.loads(files[SIGNATURE_FILE])
    package = ModelPackage(model, signature=signature, preprocessing=preprocessing, sample_input=sample,
                           info=manifest.get("info") or {})
    return package


def read_description(folder: str | Path, *, recorded_digest: str) -> dict[str, Any]:
    """``package.json`` with ``signature`` added, read without unpickling anything (for model cards)."""
    files = _read_verified(Path(folder), recorded_digest)
    manifest = _manifest(files, folder)
    return {**manifest, "signature": json.loads(files[SIGNATURE_FILE])}


def folder_digest(folder: Path) -> str:
    """The digest the artifact store gives ``folder`` (the sha256 of its manifest)."""
    entries = {}
    for name, path in scan_folder(folder):
        data = path.read_bytes()
        entries[name] = ManifestEntry(hashlib.sha256(data).hexdigest(), len(data))
    return hashlib.sha256(manifest_bytes(entries)).hexdigest()


def check_package_folder(folder: Path) -> dict[str, Any]:
    """``package.json`` of a package folder from outside, after checking its files against it (no unpickling)."""
    files = {name: path.read_bytes() for name, path in scan_folder(folder)}
    return _manifest(files, folder)


def _read_verified(folder: Path, recorded_digest: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    entries: dict[str, ManifestEntry] = {}
    for name, path in scan_folder(folder):
        data = path.read_bytes()
        files[name] = data
        entries[name] = ManifestEntry(hashlib.sha256(data).hexdigest(), len(data))
    actual = hashlib.sha256(manifest_bytes(entries)).hexdigest()
    if actual != recorded_digest:
        raise UntrustedModelError(
            f"the model package at {folder} is not the one Loopline recorded: its files hash to sha256:{actual}, "
            f"the record says sha256:{recorded_digest}; nothing was unpickled",
            hint="load models through the registry (loopline.load_model('name@alias')); bring in an outside "
            "model with 'loopline models import PATH --name NAME --trust'",
        )
    return files


def _manifest(files: Mapping[str, bytes], folder: str | Path) -> dict[str, Any]:
    where = f"the model package at {folder}"
    if PACKAGE_FILE not in files:
        raise UntrustedModelError(f"{where} has no {PACKAGE_FILE}: it is not a Loopline model package",
                                  hint="save packages with ModelPackage.save or return one from a step")
    try:
        manifest = json.loads(files[PACKAGE_FILE])
    except ValueError:
        raise UntrustedModelError(f"{where}: {PACKAGE_FILE} is not JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != PACKAGE_FORMAT:
        raise UntrustedModelError(f"{where}: {PACKAGE_FILE} does not describe a {PACKAGE_FORMAT}")
    if manifest.get("version") != PACKAGE_VERSION:
        raise UntrustedModelError(
            f"{where} has package version {manifest.get('version')!r}; this Loopline reads version {PACKAGE_VERSION}",
            hint="load it with the Loopline version that wrote it",
        )
    listed = manifest.get("files")
    if not isinstance(listed, dict):
        raise UntrustedModelError(f"{where}: {PACKAGE_FILE} lists no files")
    present = set(files) - {PACKAGE_FILE}
    unlisted = sorted(present - set(listed))
    if unlisted:
        raise UntrustedModelError(
            f"{where} holds {', '.join(unlisted)}, which its {PACKAGE_FILE} does not list; refusing to load it",
            hint="a package is exactly what ModelPackage.save wrote: remove the extra files, or save the package anew",
        )
    for name, digest in listed.items():
        if name not in files:
            raise UntrustedModelError(f"{where} lacks {name}, which its {PACKAGE_FILE} lists")
        if hashlib.sha256(files[name]).hexdigest() != digest:
            raise UntrustedModelError(f"{where}: {name} does not match the hash its {PACKAGE_FILE} records")
    for required in (MODEL_FILE, SIGNATURE_FILE):
        if required not in listed:
            raise UntrustedModelError(f"{where} has no {required}")
    return manifest


def _check_signature(signature: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(signature, Mapping):
        raise InvalidInputError(f"a signature is a mapping with 'inputs' and 'outputs', got {signature!r}")
    out: dict[str, Any] = {}
    for part in ("inputs", "outputs"):
        items = signature.get(part, [])
        if not isinstance(items, list) or not all(isinstance(i, Mapping) and "name" in i for i in items):
            raise InvalidInputError(f"the signature's '{part}' must be a list of {{'name': ..., 'type': ...}}")
        out[part] = [dict(i) for i in items]
    return out


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    try:
        plain: dict[str, Any] = json.loads(json.dumps(dict(value), default=str))
    except ValueError as exc:
        raise InvalidInputError(f"the package's info is not JSON: {exc}") from None
    return plain


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, indent=1, ensure_ascii=False, default=str).encode("utf-8")


def _parquet_bytes(frame: Any) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def encode_package(package: ModelPackage) -> Encoded:
    """The artifact store's encoder for packages: a folder (format ``dir``) with the package's files."""
    return Encoded(None, package._saved_folder(), "dir", package.properties())


FORMATS.register_encoder(ModelPackage, encode_package)

__all__ = [
    "PACKAGE_FILE",
    "PACKAGE_FORMAT",
    "PACKAGE_VERSION",
    "ModelPackage",
    "check_package_folder",
    "encode_package",
    "folder_digest",
    "package_from_pickle",
    "read_description",
    "read_package",
    "write_package_files",
]
