"""The schema as YAML for people: a commented header, a fixed key order, flow-style lists.

Reading checks more than YAML syntax: duplicate keys (which YAML would silently collapse)
and every schema setting, with errors that name the column and key at fault.
"""

from __future__ import annotations

from typing import Any

import yaml

from loopline.validation.errors import SchemaFormatError
from loopline.validation.schema import SCHEMA_VERSION, SERVING, Schema

_HEADER = """\
# Loopline data schema. Edit freely; `loopline validate` checks data against it.
#   type                  numeric | categorical | boolean | datetime | text
#   required              the column must be present
#   max_missing_fraction  largest share of missing values allowed (0 to 1)
#   min, max              allowed range of a numeric column
#   domain                allowed values of a categorical column
#   environments          where the column exists (absent: everywhere)
#   drift                 {measure: ks | wasserstein | jensenshannon | psi | chisquare | z | linf, threshold: ...}
"""


def schema_to_yaml(schema: Schema) -> str:
    lines = [_HEADER.rstrip("\n"), f"version: {SCHEMA_VERSION}"]
    if schema.label is not None:
        note = "  # the label: present in TRAINING, absent in SERVING" if _label_training_only(schema) else ""
        lines.append(f"label: {_scalar(schema.label)}{note}")
    if schema.key:
        lines.append(f"key: {_scalar(list(schema.key))}  # unique per row")
    lines.append(f"environments: {_scalar(list(schema.environments))}")
    lines.append("columns:")
    for column in schema.columns:
        lines.append(f"  {_scalar(column.name)}:")
        for key, value in column.to_dict().items():
            lines.append(f"    {key}: {_scalar(value)}")
    return "\n".join(lines) + "\n"


def schema_from_yaml(text: str) -> Schema:
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise SchemaFormatError(f"the schema is not valid YAML{where}: {exc.problem}",
                                hint="check the indentation and quoting near that line") from None
    except yaml.YAMLError as exc:
        raise SchemaFormatError(f"the schema is not valid YAML: {exc}") from None
    return Schema.from_dict(data)


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise SchemaFormatError(
                    f"the schema gives {key!r} twice (line {key_node.start_mark.line + 1})",
                    hint="keep one entry per column and per setting",
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _label_training_only(schema: Schema) -> bool:
    if schema.label is None or schema.label not in schema:
        return False
    environments = schema.column(schema.label).environments
    return environments is not None and SERVING not in environments


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in value.items()) + "}"
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=1 << 30)
    return text.removesuffix("\n...\n").rstrip("\n")


__all__ = ["schema_from_yaml", "schema_to_yaml"]
