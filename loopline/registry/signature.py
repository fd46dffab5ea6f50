"""Model signatures: what a model takes and gives, derived from the data schema's SERVING environment.

A signature is plain JSON: ``{"inputs": [...], "outputs": [...]}``, each item a column
(``name``, ``type`` and, when the schema says so, ``required``, ``max_missing_fraction``, ``min``,
``max``, ``domain``). The inputs are the columns the schema keeps at serving time, which leaves
the label out; the output defaults to one numeric ``prediction``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the validation package (scipy, pandas) loads only when a signature is made
    from loopline.validation import ColumnSchema, Schema

DEFAULT_OUTPUTS = ({"name": "prediction", "type": "numeric"},)


def _column(column: ColumnSchema) -> dict[str, Any]:
    item: dict[str, Any] = {"name": column.name, "type": column.kind.value, "required": column.required}
    if column.max_missing_fraction:
        item["max_missing_fraction"] = column.max_missing_fraction
    if column.min is not None:
        item["min"] = column.min
    if column.max is not None:
        item["max"] = column.max
    if column.domain is not None:
        item["domain"] = list(column.domain)
    return item


def signature_from_schema(
    schema: Schema, *, features: Sequence[str] | None = None, outputs: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The signature of a model fed by ``schema``'s SERVING columns (only ``features``, in that order, if given)."""
    from loopline.validation import SERVING

    serving = schema.for_environment(SERVING) if SERVING in schema.environments else schema
    columns = [c for c in serving.columns if c.name != schema.label]
    if features is not None:
        by_name = {c.name: c for c in columns}
        columns = [by_name[name] if name in by_name else serving.column(name) for name in features]
    return {"inputs": [_column(c) for c in columns], "outputs": [dict(o) for o in (outputs or DEFAULT_OUTPUTS)]}


__all__ = ["DEFAULT_OUTPUTS", "signature_from_schema"]
