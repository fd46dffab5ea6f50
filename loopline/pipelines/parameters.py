"""Parameter values for steps, looked up in the run's configuration.

A keyword-only parameter ``p`` of step ``s`` takes, in order: ``params["s.p"]``,
``params["p"]``, then the function's default. A ``"params:key"`` input takes
``params["key"]``. A value found nowhere is a ``MissingParameterError`` that names the
step and the key to set; every step is checked before the run starts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from loopline.pipelines.errors import MissingParameterError
from loopline.pipelines.steps import PARAMS_PREFIX, Step


def resolve_parameters(step: Step, params: Mapping[str, Any]) -> dict[str, Any]:
    """The values passed to ``step``: keyword-only parameters by name, ``params:`` references by reference."""
    resolved, missing = _resolve(step, params)
    if missing:
        raise _missing_error(missing)
    return resolved


def resolve_all(steps: Iterable[Step], params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """``resolve_parameters`` for every step, reporting every missing value in one error."""
    resolved: dict[str, dict[str, Any]] = {}
    missing: list[tuple[str, str, str | None]] = []
    for item in steps:
        resolved[item.name], lacking = _resolve(item, params)
        missing.extend(lacking)
    if missing:
        raise _missing_error(missing)
    return resolved


def _resolve(step: Step, params: Mapping[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str, str | None]]]:
    resolved: dict[str, Any] = {}
    missing: list[tuple[str, str, str | None]] = []
    for name in step.parameters:
        scoped = f"{step.name}.{name}"
        if scoped in params:
            resolved[name] = params[scoped]
        elif name in params:
            resolved[name] = params[name]
        elif name in step.parameter_defaults:
            resolved[name] = step.parameter_defaults[name]
        else:
            missing.append((step.name, scoped, name))
    for key in step.parameter_refs:
        if key in params:
            resolved[PARAMS_PREFIX + key] = params[key]
        else:
            missing.append((step.name, key, None))
    return resolved, missing


def _missing_error(missing: list[tuple[str, str, str | None]]) -> MissingParameterError:
    described = []
    for step_name, key, plain in missing:
        alternative = f" (or '{plain}' for every step)" if plain else ""
        described.append(f"step '{step_name}' needs '{key}'{alternative}")
    first_key = missing[0][1]
    section, _, leaf = first_key.rpartition(".")
    toml = f"[parameters.{section}] {leaf} = ..." if section else f"[parameters] {leaf} = ..."
    return MissingParameterError(
        "no value for " + "; ".join(described) + ": the function gives no default and none is configured",
        hint=f"set it in params={{'{first_key}': ...}}, in loopline.toml ({toml}) "
        f"or on the command line (--param {first_key}=...)",
    )


__all__ = ["resolve_all", "resolve_parameters"]
