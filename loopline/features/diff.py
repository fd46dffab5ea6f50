"""What changed between two canonical descriptions: objects added, removed or changed, and how."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

KINDS = {
    "entities": "entity",
    "feature_views": "feature view",
    "on_demand_feature_views": "on-demand feature view",
}


@dataclass(frozen=True, slots=True)
class DefinitionChange:
    """One object added, removed or changed; ``details`` says which fields changed and how."""

    action: Literal["added", "removed", "changed"]
    kind: str  # "entity", "feature view" or "on-demand feature view"
    name: str
    details: tuple[str, ...] = ()

    def __str__(self) -> str:
        mark = {"added": "+", "removed": "-", "changed": "~"}[self.action]
        text = f"{mark} {self.kind} '{self.name}'"
        return text + ("".join(f"\n    {d}" for d in self.details) if self.details else "")


@dataclass(frozen=True, slots=True)
class DefinitionDiff:
    """Every change, in the order entities, feature views, on-demand views; each sorted by name."""

    changes: tuple[DefinitionChange, ...]

    @property
    def is_empty(self) -> bool:
        return not self.changes

    def names(self, action: str, kind: str) -> tuple[str, ...]:
        """Names of the objects of ``kind`` with ``action`` (e.g. removed feature views)."""
        return tuple(c.name for c in self.changes if c.action == action and c.kind == kind)

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.changes) if self.changes else "no changes"


def diff_descriptions(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> DefinitionDiff:
    """The changes that turn ``old`` (None: nothing applied yet) into ``new``."""
    changes: list[DefinitionChange] = []
    for section, kind in KINDS.items():
        before = {o["name"]: o for o in (old or {}).get(section, [])}
        after = {o["name"]: o for o in new.get(section, [])}
        for name in sorted({*before, *after}):
            if name not in before:
                changes.append(DefinitionChange("added", kind, name))
            elif name not in after:
                changes.append(DefinitionChange("removed", kind, name))
            else:
                details = tuple(_field_changes(before[name], after[name], ""))
                if details:
                    changes.append(DefinitionChange("changed", kind, name, details))
    return DefinitionDiff(tuple(changes))


def _field_changes(old: Any, new: Any, path: str) -> list[str]:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        found: list[str] = []
        for key in sorted({*old, *new}):
            found += _field_changes(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
        return found
    if _is_named_list(old) and _is_named_list(new):
        return _named_list_changes(old, new, path)
    return [] if old == new else [f"{path}: {_show(old)} -> {_show(new)}"]


def _is_named_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, Mapping) and "name" in v for v in value)


def _named_list_changes(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]], path: str) -> list[str]:
    before = {o["name"]: o for o in old}
    after = {o["name"]: o for o in new}
    found: list[str] = []
    for name in sorted({*before, *after}):
        if name not in before:
            found.append(f"{path}.{name}: added")
        elif name not in after:
            found.append(f"{path}.{name}: removed")
        else:
            found += _field_changes(before[name], after[name], f"{path}.{name}")
    return found


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


__all__ = ["DefinitionChange", "DefinitionDiff", "diff_descriptions"]
