"""Workspace settings: ``loopline.toml`` read into validated values, with environment overrides.

Every setting has a default, so an empty ``loopline.toml`` is a valid workspace. An
environment variable ``LOOPLINE_<SECTION>_<KEY>`` overrides ``[section] key``; the most used
have short names (``LOOPLINE_METADATA_URL``, ``LOOPLINE_ARTIFACT_ROOT``, ``LOOPLINE_RUNNER``).
Relative paths are relative to the workspace folder.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

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


DATABASE_SCHEMES = ("postgresql", "postgresql+psycopg", "postgresql+psycopg2")
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


class DatasetSection(_Section):
    """One dataset, read from exactly one source: a file (``path``), a DuckDB ``query`` over
    files, or a PostgreSQL ``table`` at ``url``. Relative paths (also inside a query) are
    relative to the workspace folder."""

    path: str | None = None
    format: Literal["csv", "parquet"] | None = None
    parse_dates: list[str] = []
    query: str | None = None
    url: str | None = None
    table: str | None = None
    description: str = ""

    @model_validator(mode="after")
    def _one_source(self) -> DatasetSection:
        given = [key for key in ("path", "query", "table") if getattr(self, key)]
        if len(given) != 1:
            shown = " and ".join(given) if given else "none of them"
            raise ValueError(
                f"declare exactly one source: path = \"data/x.csv\", query = \"select ...\", "
                f"or url = \"postgresql+psycopg://...\" with table = \"...\"; got {shown}"
            )
        if self.path is None and (self.format is not None or self.parse_dates):
            raise ValueError("format and parse_dates apply to a path only")
        if (self.table is None) != (self.url is None):
            raise ValueError("url and table go together: the table is read from the database at url")
        if self.url is not None and self.url.split("://", 1)[0].lower() not in DATABASE_SCHEMES:
            raise ValueError(f"url must start with one of {', '.join(s + '://' for s in DATABASE_SCHEMES)}")
        if self.table is not None and not _TABLE_NAME.match(self.table):
            raise ValueError(f"table {self.table!r} is not a table name; write \"name\" or \"schema.name\"")
        return self

    @property
    def kind(self) -> str:
        """``csv``, ``parquet``, ``query`` or ``postgres``."""
        if self.query is not None:
            return "query"
        if self.table is not None:
            return "postgres"
        return self.format or Path(self.path or "").suffix.lstrip(".").lower()


class FeaturesSection(_Section):
    module: str = Field("features.py", description="Python file that defines the workspace's feature views")
    online: str = Field(
        "sqlite:///.loopline/online.db", description="online store: sqlite:///path (relative here) or redis://host"
    )


Scalar = str | int | float | bool


class SearchDimension(_Section):
    """One tuned hyperparameter: ``choices``, or a range ``low``..``high`` (``log`` scale, ``step``).

    ``type`` is inferred when left out: categorical with choices, int when both bounds are integers.
    """

    name: str
    type: Literal["float", "int", "categorical"] | None = None
    low: int | float | None = None
    high: int | float | None = None
    log: bool = False
    step: int | float | None = None
    choices: list[Scalar] | None = None

    @model_validator(mode="after")
    def _range_or_choices(self) -> SearchDimension:
        if self.choices is not None:
            if not self.choices or self.type not in (None, "categorical") or self.low is not None:
                raise ValueError(f"'{self.name}': give a non-empty list of choices, without low/high")
        elif self.low is None or self.high is None or not self.low < self.high:
            raise ValueError(f"'{self.name}': give choices = [...], or low and high with low < high")
        elif self.log and self.low <= 0:
            raise ValueError(f"'{self.name}': a log scale needs low > 0")
        return self


class TuningSection(_Section):
    n_trials: int = Field(20, ge=1, le=100_000)
    timeout_s: float = Field(0.0, ge=0, description="stop starting trials after this many seconds; 0: no limit")
    n_jobs: int = Field(1, ge=1, le=256, description="trials run at the same time (processes, or Ray tasks)")
    objective: str = "rmse"
    validation_fraction: float = Field(0.2, gt=0, lt=1)
    search_space: list[SearchDimension] = []


class TrainingSection(_Section):
    """Defaults for the built-in training steps (``loopline.training.steps``)."""

    model_name: str | None = None
    target: str | None = None
    features: list[str] | None = None
    estimator: str | None = Field(None, description="class path, with literal keyword arguments: 'pkg.Cls(a=1)'")
    seed: int | None = None
    threads: int | None = Field(None, ge=1, description="native threads while fitting; default: every core")
    tuning: TuningSection = TuningSection()


class SliceBucket(_Section):
    """A slice column made by cutting ``column`` at ``edges`` (left-closed intervals)."""

    name: str
    column: str
    edges: list[float] = Field(min_length=2)
    labels: list[str] | None = None

    @model_validator(mode="after")
    def _increasing(self) -> SliceBucket:
        if any(b <= a for a, b in zip(self.edges, self.edges[1:])):
            raise ValueError(f"bucket '{self.name}': edges must increase, got {self.edges}")
        if self.labels is not None and len(self.labels) != len(self.edges) - 1:
            raise ValueError(f"bucket '{self.name}': {len(self.edges) - 1} intervals need as many labels")
        return self


class BlessingRule(_Section):
    """Limits on one metric: absolute (``min``/``max``) and against the baseline, as a fraction of
    its value (``max_worsening``; ``max_slice_worsening`` for every slice)."""

    metric: str
    min: float | None = None
    max: float | None = None
    max_worsening: float | None = Field(None, ge=0)
    max_slice_worsening: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _some_limit(self) -> BlessingRule:
        if all(v is None for v in (self.min, self.max, self.max_worsening, self.max_slice_worsening)):
            raise ValueError(f"rule on '{self.metric}' sets no limit: add min, max, max_worsening or "
                             "max_slice_worsening")
        return self


class EvaluationSection(_Section):
    """Defaults for the built-in evaluation and blessing steps (``loopline.evaluation.steps``)."""

    task: Literal["auto", "regression", "classification"] | None = None
    slices: list[str] | None = None
    buckets: list[SliceBucket] | None = None
    min_slice_rows: int | None = Field(None, ge=1)
    baseline_alias: str | None = None
    rules: list[BlessingRule] | None = None


ROLES = ("viewer", "developer", "approver", "admin")
"""Registry roles, weakest first: each may do what the ones before it may."""

Role = Literal["viewer", "developer", "approver", "admin"]


class AliasPolicy(_Section):
    """What a version needs before it may move behind one alias (``[registry.policies.<alias>]``)."""

    require_blessing: bool = Field(False, description="a Blessing artifact with blessed = true for the version's model")
    approvals: int = Field(0, ge=0, le=10, description="distinct approvals needed, by users with approver_role or above")
    approver_role: Role = "approver"
    promoter_role: Role = Field("developer", description="the weakest role that may promote to this alias")
    after_alias: str = Field("", description="the version must have been behind this alias before (e.g. staging)")
    allow_self_approval: bool = Field(False, description="whether the user who registered a version may approve it")
    auto_promote: bool | None = Field(
        None, description="whether continuous delivery moves the alias without a person (default: only 'staging')")
    auto_rollback: bool = Field(False, description="roll the alias back when the version does worse once live")
    rollback_windows: int = Field(7, ge=1, le=1000, description="judged monitor windows of each version compared")
    rollback_max_worsening: float = Field(
        0.25, ge=0, description="largest relative worsening of the performance metric before a rollback")
    rollback_max_error_rate: float = Field(0.05, ge=0, le=1, description="largest error rate of a live version")
    rollback_max_latency_p99_ms: float | None = Field(None, gt=0, description="largest p99 latency of a live version")

    def promotes_automatically(self, alias: str) -> bool:
        """Whether continuous delivery may move ``alias`` by itself: as set, else only for ``staging``."""
        return alias == "staging" if self.auto_promote is None else self.auto_promote


class RegistrySection(_Section):
    policies: dict[str, AliasPolicy] = {}


class DeliverySection(_Section):
    """Continuous delivery (``[delivery]``): after a run registers a version, the ``promote_model`` step
    moves it through ``promote_to`` in order, as far as each alias's policy lets it go by itself."""

    promote_to: list[str] | None = Field(None, description="aliases to move a new version through, in order")


class ScopingSection(_Section):
    """The project's scoping, shown on every model card."""

    problem: str = ""
    intended_use: str = ""
    out_of_scope: str = ""
    business_metric: str = ""
    baseline: str | float | None = None
    success_threshold: str | float | None = None
    limitations: list[str] = []


MONITOR_WINDOWS = ("hourly", "daily", "requests")


class MonitorSection(_Section):
    """One monitor over the prediction log of ``model`` (``[monitors.NAME]``), against the training
    profile of the version that served each window. ``window``: by event time (``hourly``,
    ``daily``) or every ``window_requests`` predictions (``requests``)."""

    model: str
    window: Literal["hourly", "daily", "requests"] = "daily"
    window_requests: int = Field(1000, ge=1, le=1_000_000)
    features: list[str] | None = Field(None, description="the inputs to watch; default: the model's features")
    drift_features: list[str] | None = Field(
        None, description="the inputs whose drift makes dataset drift; default: every watched input")
    min_rows: int = Field(30, ge=1, description="fewer predictions in a window: not enough data")
    min_labels: int = Field(30, ge=1, description="fewer labelled predictions: no performance verdict")
    min_label_coverage: float = Field(0.5, ge=0, le=1, description="labelled share needed for a performance verdict")
    metric: Literal["auto", "mae", "rmse", "accuracy"] = "auto"
    confidence: float = Field(0.95, gt=0, lt=1, description="level of the performance confidence interval")
    drift_share: float = Field(0.5, gt=0, le=1, description="share of drifted features that makes dataset drift")


class AlertRuleSection(_Section):
    """An alert (``[alerts.rules.NAME]``): fires when ``metric`` of ``monitor`` is above ``above`` (or
    below ``below``) in ``for_windows`` consecutive judged windows; resolves at the next window that is not."""

    monitor: str
    metric: str
    above: float | None = None
    below: float | None = None
    for_windows: int = Field(1, ge=1, le=10_000)
    channels: list[str] = ["log"]

    @model_validator(mode="after")
    def _one_threshold(self) -> AlertRuleSection:
        if (self.above is None) == (self.below is None):
            raise ValueError(f"rule on '{self.metric}': give exactly one of above = X or below = X")
        return self


class ChannelSection(_Section):
    """Where alert events go (``[alerts.channels.NAME]``): the log, a webhook (POST of the event as
    JSON to an http(s) ``url``) or a ``command`` (argument list; the event as JSON on its stdin)."""

    kind: Literal["log", "webhook", "command"]
    url: str | None = None
    command: list[str] | None = None
    allow_private: bool = Field(False, description="let a webhook reach private and link-local addresses")
    allow_loopback: bool = Field(False, description="let a webhook reach this machine (127.0.0.0/8, ::1)")
    timeout_s: float = Field(5.0, gt=0, le=300)

    @model_validator(mode="after")
    def _target(self) -> ChannelSection:
        if self.kind == "webhook" and not self.url:
            raise ValueError("a webhook channel needs url = \"https://...\"")
        if self.kind == "command" and not self.command:
            raise ValueError("a command channel needs command = [\"program\", \"arg\", ...]")
        return self


class AlertsSection(_Section):
    rules: dict[str, AlertRuleSection] = {}
    channels: dict[str, ChannelSection] = {}


TRIGGER_KINDS = ("schedule", "new_data", "alert", "manual")


class TriggerSection(_Section):
    """A rule that starts ``pipeline`` with ``params`` (``[triggers.NAME]``): on a ``cron`` schedule,
    when new files match ``path``/``glob`` or new rows appear in ``table`` (by its increasing
    ``column``; read from ``url``, default the metadata database), when alert ``rule`` fires (any rule
    if empty), or only by hand (``manual``). No two firings come closer than ``cooldown_s``."""

    kind: Literal["schedule", "new_data", "alert", "manual"]
    pipeline: str
    params: dict[str, Any] = {}
    cron: str | None = None
    path: str | None = None
    glob: str = "*"
    table: str | None = None
    column: str = "id"
    url: str | None = None
    rule: str | None = None
    cooldown_s: float = Field(0.0, ge=0, le=365 * 86400)

    @model_validator(mode="after")
    def _kind_needs(self) -> TriggerSection:
        if self.kind == "schedule" and not self.cron:
            raise ValueError("a schedule trigger needs cron = \"m h dom mon dow\", e.g. \"0 3 * * *\"")
        if self.kind == "new_data" and (self.path is None) == (self.table is None):
            raise ValueError("a new_data trigger needs path = \"folder\" (new files) or table = \"name\" (new rows)")
        for key in ("table", "column"):
            value = getattr(self, key)
            if value is not None and not _TABLE_NAME.match(value):
                raise ValueError(f"{key} {value!r} is not a plain SQL name")
        for key, value in self.params.items():
            if isinstance(value, str) and "{" in value:
                try:
                    value.format(fired_at=datetime.now(UTC))
                except (KeyError, IndexError, ValueError, AttributeError) as exc:
                    raise ValueError(f"params.{key} = {value!r}: the only placeholder is {{fired_at}}, with an "
                                     f"optional strftime format such as {{fired_at:%Y-%m-%d}} ({exc})") from None
        return self


class Settings(_Section):
    """Everything ``loopline.toml`` can say. Unknown sections and keys are refused."""

    workspace: WorkspaceSection = WorkspaceSection()
    metadata: MetadataSection = MetadataSection()
    artifacts: ArtifactsSection = ArtifactsSection()
    runner: RunnerSection = RunnerSection()
    datasets: dict[str, DatasetSection] = {}
    features: FeaturesSection = FeaturesSection()
    training: TrainingSection = TrainingSection()
    evaluation: EvaluationSection = EvaluationSection()
    parameters: dict[str, Any] = {}
    registry: RegistrySection = RegistrySection()
    scoping: ScopingSection = ScopingSection()
    monitors: dict[str, MonitorSection] = {}
    alerts: AlertsSection = AlertsSection()
    triggers: dict[str, TriggerSection] = {}
    delivery: DeliverySection = DeliverySection()

    @model_validator(mode="after")
    def _sections_as_parameters(self) -> Settings:
        """Keys set in [training], [training.tuning], [evaluation] and [delivery] become bare parameters (every
        step with a parameter of that name gets the value), so they are recorded with each run and
        take part in cache keys like any parameter; a key in [parameters] wins."""
        defaults: dict[str, Any] = {}
        for section in (self.training, self.training.tuning, self.evaluation, self.delivery):
            keys = {k for k in section.model_fields_set if not isinstance(getattr(section, k), BaseModel)}
            defaults.update(section.model_dump(include=keys, exclude_none=True))
        if self.registry.policies:
            # the promote_model step judges each alias by the workspace's policies, recorded with the run
            # (a list: a table of tables would read as dotted "step.parameter" keys)
            defaults["alias_policies"] = [{"alias": name, **policy.model_dump(exclude_defaults=True)}
                                          for name, policy in sorted(self.registry.policies.items())]
        if not defaults:
            return self
        return self.model_copy(update={"parameters": {**defaults, **self.parameters}})


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
        if get_origin(model) is dict:  # a table of named sections, such as [datasets.NAME]
            model = get_args(model)[1]
            continue
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


def resolve_online_url(root: Path, url: str) -> str:
    """An online store URL with a relative SQLite path (``sqlite:///x.db`` or a bare path) made absolute."""
    if "://" not in url:
        return "sqlite:///" + str(resolve_path(root, url))
    return resolve_metadata_url(root, url)


def resolve_artifact_root(root: Path, value: str) -> str:
    """Local artifact roots become absolute paths; URLs with a scheme stay as they are."""
    if "://" in value and not value.startswith("file://"):
        return value
    return str(resolve_path(root, value.removeprefix("file://")))


__all__ = [
    "CONFIG_FILE",
    "MONITOR_WINDOWS",
    "ROLES",
    "AlertRuleSection",
    "AlertsSection",
    "AliasPolicy",
    "BlessingRule",
    "ChannelSection",
    "DeliverySection",
    "EvaluationSection",
    "RegistrySection",
    "MonitorSection",
    "Role",
    "ScopingSection",
    "SearchDimension",
    "Settings",
    "SliceBucket",
    "TRIGGER_KINDS",
    "TrainingSection",
    "TriggerSection",
    "TuningSection",
    "load_settings",
    "resolve_artifact_root",
    "resolve_metadata_url",
    "resolve_online_url",
    "resolve_path",
    "settings_from_mapping",
]
