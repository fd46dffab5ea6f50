"""A model package's signature, read once at load time into what the server checks requests with.

The registry stores a signature as ``{"inputs": [{"name", "type", "required", "domain",
...}], "outputs": [{"name", "type"}, ...]}``: the SERVING environment of the training
schema, one entry per input column in the schema's own words. The inputs become a
validation ``Schema`` again, so a request is checked by the same rules, and answered with
the same anomaly codes, as a dataset.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from loopline.serving.errors import ServerConfigError
from loopline.validation import ColumnKind, Schema

_COLUMN_KEYS = ("type", "required", "max_missing_fraction", "min", "max", "domain")
DEFAULT_OUTPUT = "prediction"

#: Open Inference Protocol datatypes by column kind.
V2_DATATYPES = {
    ColumnKind.NUMERIC: "FP64",
    ColumnKind.BOOLEAN: "BOOL",
    ColumnKind.CATEGORICAL: "BYTES",
    ColumnKind.TEXT: "BYTES",
    ColumnKind.DATETIME: "BYTES",
}


@dataclass(frozen=True)
class ServingSignature:
    """The inputs a request must carry (as a Schema) and the names of the outputs."""

    schema: Schema
    outputs: tuple[Mapping[str, Any], ...]

    @property
    def input_names(self) -> tuple[str, ...]:
        return self.schema.names

    @property
    def output_name(self) -> str:
        return str(self.outputs[0].get("name", DEFAULT_OUTPUT)) if self.outputs else DEFAULT_OUTPUT

    def kind(self, name: str) -> ColumnKind:
        return self.schema.column(name).kind

    def v2_inputs(self) -> list[dict[str, Any]]:
        """Input tensor metadata for ``GET /v2/models/{name}``: one 1-D tensor per column."""
        return [{"name": c.name, "datatype": V2_DATATYPES[c.kind], "shape": [-1]} for c in self.schema.columns]

    def v2_outputs(self) -> list[dict[str, Any]]:
        outputs = self.outputs or ({"name": DEFAULT_OUTPUT, "type": "numeric"},)
        return [
            {"name": str(o.get("name", DEFAULT_OUTPUT)), "datatype": _v2_datatype(o.get("type")), "shape": [-1]}
            for o in outputs
        ]


def read_signature(signature: Mapping[str, Any] | None, *, model: str) -> ServingSignature:
    """The serving signature of a package's ``signature`` dict; ServerConfigError when it cannot be read."""
    if not isinstance(signature, Mapping) or not isinstance(signature.get("inputs"), Sequence):
        raise ServerConfigError(
            f"model {model} has no signature with 'inputs', so requests cannot be checked",
            hint="register a package whose signature was made from the training schema (signature_from_schema)",
        )
    columns: dict[str, dict[str, Any]] = {}
    for i, entry in enumerate(signature["inputs"]):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("name"), str):
            raise ServerConfigError(f"model {model}: signature input {i} has no name: {entry!r}")
        columns[entry["name"]] = {k: entry[k] for k in _COLUMN_KEYS if k in entry and entry[k] is not None}
    if not columns:
        raise ServerConfigError(
            f"model {model}: the signature lists no inputs, so requests cannot be checked",
            hint="save the package with signature=signature_from_schema(schema); a bare imported pickle has none",
        )
    try:
        schema = Schema.from_dict({"columns": columns})
    except Exception as exc:  # a SchemaFormatError names the column at fault
        raise ServerConfigError(f"model {model}: the signature's inputs are not a valid schema: {exc}") from None
    outputs = tuple(o for o in signature.get("outputs") or () if isinstance(o, Mapping))
    return ServingSignature(schema=schema, outputs=outputs)


def _v2_datatype(kind: Any) -> str:
    try:
        return V2_DATATYPES[ColumnKind(str(kind))]
    except ValueError:
        return "FP64"


__all__ = ["DEFAULT_OUTPUT", "V2_DATATYPES", "ServingSignature", "read_signature"]
