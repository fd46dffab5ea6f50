"""Workspace settings: ``loopline.toml`` read into validated values, with environment overrides.

Every setting has a default, so an empty ``loopline.toml`` is a valid workspace. An
environment variable ``LOOPLINE_<SECTION>_<KEY>`` overrides ``[section] key``; the most used
have short names (``LOOPLINE_METADATA_URL``, ``LOOPLINE_ARTIFACT_ROOT``, ``LOOPLINE_RUNNER``).
Relative paths are relative to the workspace folder.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from loopline.errors import ConfigError, did_you_mean

CONFIG_FILE = "loopline.toml"

# Short names for the overrides people set most; any other key is LOOPLINE_<SECTION>_<KEY>.
ENV_ALIASES: dict[str, tuple[str, str]] = {
    "LOOPLINE_METADATA_URL": ("metadata", "url"),
    "LOOPLINE_ARTIFACT_ROOT": ("artifacts", "root"),
    "LOOPLINE_RUNNER": ("runner", "kind"),
    "LOOPLINE_RAY_ADDRESS": ("runner", "address"),
}


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WorkspaceSection(_Section):
    name: str = "loopline"
    pipelines: str = Field("pipelines.py", description="Python file that defines the workspace's pipelines")


class MetadataSection(_Section):
    url: str = "sqlite:///.loopline/metadata.db"


class ArtifactsSection(_Section):
    root: str = ".loopline/artifacts"


class RunnerSection(_Section):
    kind: Literal["local", "ray"] = "local"
    max_workers: int = Field(2, ge=1, le=256)
    address: str = ""


class DatasetSection(_Section):
    path: str
    format: Literal["csv", "parquet"] | None = None
    parse_dates: list[str] = []
    description: str = ""


class Settings(_Section):
    """Everything ``loopline.toml`` can say. Unknown sections and keys are refused."""

    workspace: WorkspaceSection = WorkspaceSection()
    metadata: MetadataSection = MetadataSection()
    artifacts: ArtifactsSection = ArtifactsSection()
    runner: RunnerSection = RunnerSection()
    datasets: dict[str, DatasetSection] = {}
    parameters: dict[str, Any] = {}


def load_settings(path: Path, *, environ: Mapping[str, str] | None = None) -> Settings:
    """Read ``path`` (a ``loopline.toml``), apply environment overrides and validate."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path} does not exist", hint="run 'loopline init DIR' to create a workspace") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}", hint="fix the syntax at the position shown") from None
    return settings_from_mapping(raw, source=str(path), environ=os.environ if environ is None else environ)


def settings_from_mapping(raw: Mapping[str, Any], *, source: str, environ: Mapping[str, str]) -> Settings:
    merged = _apply_environment(dict(raw), environ)
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        raise _config_error(exc, source) from None


def _apply_environment(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    sections = {name for name, field in Settings.model_fields.items() if name not in ("datasets", "parameters")}
    for var, value in environ.items():
        if not var.startswith("LOOPLINE_"):
            continue
        target = ENV_ALIASES.get(var)
        if target is None:
            rest = var.removeprefix("LOOPLINE_").lower()
            section = next((s for s in sections if rest.startswith(s + "_")), None)
            if section is None:
                continue
            key = rest.removeprefix(section + "_")
            model = Settings.model_fields[section].annotation
            if key not in getattr(model, "model_fields", {}):
                continue
            target = (section, key)
        section, key = target
        raw[section] = {**raw.get(section, {}), key: value}
    return raw


def _config_error(exc: ValidationError, source: str) -> ConfigError:
    problems = []
    for err in exc.errors():
        key = ".".join(str(part) for part in err["loc"])
        if err["type"] == "extra_forbidden":
            parent = err["loc"][:-1]
            known = _known_keys(parent)
            hint = did_you_mean(str(err["loc"][-1]), known)
            problems.append(f"unknown key '{key}'" + (f" ({hint})" if hint else f"; known keys: {', '.join(known)}"))
        else:
            problems.append(f"'{key}': {err['msg']} (got {err.get('input')!r})")
    return ConfigError(
        f"{source}: " + "; ".join(problems),
        hint=f"edit {source}; every key and its default is described in the user guide (docs/configuration.md)",
    )


def _known_keys(parent: tuple[Any, ...]) -> list[str]:
    model: Any = Settings
    for part in parent:
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return []
        model = fields[part].annotation
    return sorted(getattr(model, "model_fields", {}))


def resolve_path(root: Path, value: str) -> Path:
    """A path from the configuration, relative to the workspace folder unless absolute."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else root / path


def resolve_metadata_url(root: Path, url: str) -> str:
    """Make a relative ``sqlite:///`` path absolute against the workspace folder."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith("sqlite:////") and url != "sqlite:///:memory:":
        return prefix + str(resolve_path(root, url.removeprefix(prefix)))
    return url


def resolve_artifact_root(root: Path, value: str) -> str:
    """Local artifact roots become absolute paths; URLs with a scheme stay as they are."""
    if "://" in value and not value.startswith("file://"):
        return value
    return str(resolve_path(root, value.removeprefix("file://")))


__all__ = [
    "CONFIG_FILE",
    "Settings",
    "load_settings",
    "resolve_artifact_root",
    "resolve_metadata_url",
    "resolve_path",
    "settings_from_mapping",
]
