"""The data schema: what each column must look like, per environment (TFDV's model).

A column has a kind, whether it must be present, the share of missing values allowed, a
numeric range, a categorical domain and, optionally, the drift measure and threshold to
use for it. Environments say where a column exists: the label is in ``TRAINING`` and not
in ``SERVING``; ``schema.for_environment("SERVING")`` drops it.

``Schema.to_dict``/``from_dict`` use the same layout as the YAML form
(``schema_yaml``); ``from_dict`` checks every key and names the column at fault.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from loopline.errors import InvalidInputError, NotFoundError, did_you_mean
from loopline.validation.errors import SchemaFormatError
from loopline.validation.kinds import ColumnKind, parse_kind

TRAINING = "TRAINING"
SERVING = "SERVING"
ENVIRONMENTS = (TRAINING, SERVING)
SCHEMA_VERSION = 1

_COLUMN_KEYS = ("type", "required", "max_missing_fraction", "min", "max", "domain", "environments", "drift")
_TOP_KEYS = ("version", "label", "key", "environments", "columns")


@dataclass(frozen=True)
class DriftSetting:
    """The drift measure (a name from ``drift.MEASURES``) and threshold for one column; None means the default."""

    measure: str | None = None
    threshold: float | None = None


@dataclass(frozen=True)
class ColumnSchema:
    """What one column must look like. ``environments`` None means every environment."""

    name: str
    kind: ColumnKind
    required: bool = True
    max_missing_fraction: float = 0.0
    min: float | None = None
    max: float | None = None
    domain: tuple[str, ...] | None = None
    environments: tuple[str, ...] | None = None
    drift: DriftSetting | None = None

    def in_environment(self, environment: str | None) -> bool:
        return environment is None or self.environments is None or environment in self.environments

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.kind.value, "required": self.required,
                               "max_missing_fraction": self.max_missing_fraction}
        if self.min is not None:
            out["min"] = self.min
        if self.max is not None:
            out["max"] = self.max
        if self.domain is not None:
            out["domain"] = list(self.domain)
        if self.environments is not None:
            out["environments"] = list(self.environments)
        if self.drift is not None:
            out["drift"] = {k: v for k, v in (("measure", self.drift.measure), ("threshold", self.drift.threshold))
                            if v is not None}
        return out


@dataclass(frozen=True)
class Schema:
    """Columns, the label and key columns, and the environments the schema knows."""

    columns: tuple[ColumnSchema, ...]
    label: str | None = None
    key: tuple[str, ...] = ()
    environments: tuple[str, ...] = ENVIRONMENTS
    environment: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def column(self, name: str) -> ColumnSchema:
        for col in self.columns:
            if col.name == name:
                return col
        hint = did_you_mean(name, self.names) or f"the schema has: {', '.join(self.names) or 'no columns'}"
        raise NotFoundError(f"the schema has no column '{name}'", hint=hint)

    def for_environment(self, environment: str) -> Schema:
        """The schema as it applies in ``environment``: columns not in it are dropped."""
        if environment not in self.environments:
            hint = did_you_mean(environment, self.environments) or f"use one of: {', '.join(self.environments)}"
            raise InvalidInputError(
                f"unknown environment {environment!r}; the schema knows {', '.join(self.environments)}", hint=hint
            )
        kept = tuple(c for c in self.columns if c.in_environment(environment))
        return replace(self, columns=kept, environment=environment)

    def with_column(self, column: ColumnSchema) -> Schema:
        """A copy with ``column`` replacing the column of the same name (or added at the end)."""
        if column.name in self:
            return replace(self, columns=tuple(column if c.name == column.name else c for c in self.columns))
        return replace(self, columns=(*self.columns, column))

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": SCHEMA_VERSION, "label": self.label, "key": list(self.key),
            "environments": list(self.environments), "columns": {c.name: c.to_dict() for c in self.columns},
        }

    @classmethod
    def from_dict(cls, data: Any) -> Schema:
        if not isinstance(data, Mapping):
            raise SchemaFormatError(f"a schema must be a mapping with 'columns', got {type(data).__name__}",
                                    hint="start from schema.to_yaml() of an inferred schema")
        _check_keys(data, _TOP_KEYS, "schema")
        version = data.get("version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise SchemaFormatError(f"schema: 'version' must be {SCHEMA_VERSION}, got {version!r}")
        environments = _string_list(data.get("environments", list(ENVIRONMENTS)), "schema", "environments")
        columns_data = data.get("columns")
        if not isinstance(columns_data, Mapping) or not columns_data:
            raise SchemaFormatError("schema: 'columns' must be a mapping of column name to settings",
                                    hint="write each column as 'name: {type: numeric, ...}' under 'columns:'")
        columns = tuple(_column_from_dict(str(name), spec, environments) for name, spec in columns_data.items())
        names = [c.name for c in columns]
        label = data.get("label")
        if label is not None and str(label) not in names:
            raise SchemaFormatError(f"schema: 'label' names column {label!r}, which is not under 'columns'",
                                    hint=did_you_mean(str(label), names))
        key = tuple(_string_list(data.get("key") or [], "schema", "key"))
        for name in key:
            if name not in names:
                raise SchemaFormatError(f"schema: 'key' names column {name!r}, which is not under 'columns'",
                                        hint=did_you_mean(name, names))
        return cls(columns=columns, label=None if label is None else str(label), key=key,
                   environments=tuple(environments))

    def to_yaml(self) -> str:
        """The schema as commented YAML meant to be read and edited by a person."""
        from loopline.validation.schema_yaml import schema_to_yaml

        return schema_to_yaml(self)

    @classmethod
    def from_yaml(cls, text: str) -> Schema:
        """Read a schema written by ``to_yaml`` (possibly edited); errors name the column and key."""
        from loopline.validation.schema_yaml import schema_from_yaml

        return schema_from_yaml(text)


def _column_from_dict(name: str, spec: Any, environments: list[str]) -> ColumnSchema:
    where = f"schema column '{name}'"
    if not isinstance(spec, Mapping):
        raise SchemaFormatError(f"{where}: expected a mapping of settings (type, required, ...), got {spec!r}")
    _check_keys(spec, _COLUMN_KEYS, where)
    if "type" not in spec:
        raise SchemaFormatError(f"{where}: 'type' is missing", hint="add 'type: numeric' (or categorical, ...)")
    column_envs = spec.get("environments")
    if column_envs is not None:
        column_envs = _string_list(column_envs, where, "environments")
        for env in column_envs:
            if env not in environments:
                raise SchemaFormatError(f"{where}: environment {env!r} is not one of {environments}",
                                        hint=did_you_mean(env, environments))
    domain = spec.get("domain")
    return ColumnSchema(
        name=name, kind=parse_kind(spec["type"], where=where),
        required=_boolean(spec.get("required", True), where, "required"),
        max_missing_fraction=_fraction(spec.get("max_missing_fraction", 0.0), where),
        min=_number(spec.get("min"), where, "min"), max=_number(spec.get("max"), where, "max"),
        domain=None if domain is None else tuple(_string_list(domain, where, "domain", scalars=True)),
        environments=None if column_envs is None else tuple(column_envs),
        drift=_drift_setting(spec.get("drift"), where),
    )


def _drift_setting(spec: Any, where: str) -> DriftSetting | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        raise SchemaFormatError(
            f"{where}: 'drift' must be a mapping like {{measure: psi, threshold: 0.2}}, got {spec!r}"
        )
    _check_keys(spec, ("measure", "threshold"), f"{where} drift")
    measure = spec.get("measure")
    if measure is not None:
        from loopline.validation.measures import MEASURES

        if str(measure) not in MEASURES:
            raise SchemaFormatError(
                f"{where}: drift measure {measure!r} is not known; known measures: {', '.join(sorted(MEASURES))}",
                hint=did_you_mean(str(measure), MEASURES),
            )
    return DriftSetting(measure=None if measure is None else str(measure),
                        threshold=_number(spec.get("threshold"), where, "drift threshold"))


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], where: str) -> None:
    for key in data:
        if key not in allowed:
            hint = did_you_mean(str(key), allowed) or f"allowed keys: {', '.join(allowed)}"
            raise SchemaFormatError(f"{where}: unknown key {key!r}", hint=hint)


def _boolean(value: Any, where: str, key: str) -> bool:
    if not isinstance(value, bool):
        raise SchemaFormatError(f"{where}: '{key}' must be true or false, got {value!r}")
    return value


def _number(value: Any, where: str, key: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SchemaFormatError(f"{where}: '{key}' must be a finite number, got {value!r}")
    return float(value)


def _fraction(value: Any, where: str) -> float:
    number = _number(value, where, "max_missing_fraction")
    if number is None or not 0.0 <= number <= 1.0:
        raise SchemaFormatError(f"{where}: 'max_missing_fraction' must be a number from 0 to 1, got {value!r}")
    return number


def _string_list(value: Any, where: str, key: str, *, scalars: bool = False) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise SchemaFormatError(f"{where}: '{key}' must be a list, got {value!r}",
                                hint=f"write it as {key}: [a, b]")
    allowed = (str, int, float) if scalars else (str,)
    for item in value:
        if isinstance(item, bool):
            raise SchemaFormatError(f"{where}: '{key}' holds {item!r}, which YAML read as a boolean",
                                    hint="quote values such as 'yes', 'no', 'true', 'off' in the YAML")
        if not isinstance(item, allowed):
            raise SchemaFormatError(f"{where}: '{key}' must hold {'values' if scalars else 'names'}, got {item!r}")
    return [str(item) for item in value]


__all__ = ["ENVIRONMENTS", "SCHEMA_VERSION", "SERVING", "TRAINING", "ColumnSchema", "DriftSetting", "Schema"]
