"""Checks run by ``FeatureRepository.apply()``: every problem is collected, none stops the others.

Names and references are checked first; then each view is read from its source (a sample
when it has a transformation) to find unknown columns and type conflicts; finally each
on-demand view's function runs once over a sample row to check its outputs.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

import pandas as pd

from loopline.errors import LooplineError, did_you_mean
from loopline.features.definitions import Entity, FeatureView, OnDemandFeatureView, RequestField
from loopline.features.dtypes import ValueType, column, pandas_family, sql_family
from loopline.features.sql import connect
from loopline.features.view_rows import register_source, source_columns

if TYPE_CHECKING:
    from loopline.features.repository import FeatureRepository

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SAMPLE_ROWS = 1000
KEY_FAMILIES = ("integer", "string", "bool")
_SAMPLE_VALUES = {
    ValueType.INT64: 1,
    ValueType.FLOAT64: 1.0,
    ValueType.STRING: "a",
    ValueType.BOOL: True,
    ValueType.TIMESTAMP: pd.Timestamp("2000-01-01"),
}


def check_definitions(repo: FeatureRepository) -> list[str]:
    """Every problem of the repository's definitions, one sentence each; empty when all is well."""
    problems = [*_check_names(repo), *_check_entities(repo)]
    key_types: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for view in repo.views.values():
        view_problems = _check_view_shape(repo, view)
        problems += view_problems
        if not view_problems:
            problems += _check_view_source(repo, view, key_types)
    for odfv in repo.on_demand_views.values():
        problems += _check_on_demand(repo, odfv)
    return problems


def _check_names(repo: FeatureRepository) -> list[str]:
    problems: list[str] = []
    by_name: dict[str, list[object]] = defaultdict(list)
    entities: dict[str, list[Entity]] = defaultdict(list)
    for item in repo.all_definitions():
        if isinstance(item, Entity):
            entities[item.name].append(item)
            continue
        by_name[item.name].append(item)
        if not NAME.match(item.name):
            problems.append(
                f"view name {item.name!r} is not a valid name: use letters, digits and _, not first a digit"
            )
    for name, items in by_name.items():
        if len(items) > 1:
            problems.append(f"{len(items)} views are named '{name}': view names must be unique")
    for name, same_name in entities.items():
        if len({(e.join_keys, e.description) for e in same_name}) > 1:
            problems.append(f"entity '{name}' is defined {len(same_name)} times with different join keys")
        if not NAME.match(name):
            problems.append(f"entity name {name!r} is not a valid name: use letters, digits and _, not first a digit")
    return problems


def _check_entities(repo: FeatureRepository) -> list[str]:
    problems: list[str] = []
    for entity in repo.entities.values():
        if not entity.join_keys:
            problems.append(f"entity '{entity.name}' has no join keys: write Entity('{entity.name}', join_keys=['id'])")
        for key, count in Counter(entity.join_keys).items():
            if count > 1:
                problems.append(f"entity '{entity.name}' lists the join key '{key}' {count} times")
    return problems


def _check_view_shape(repo: FeatureRepository, view: FeatureView) -> list[str]:
    """Problems found without reading the source."""
    where = f"feature view '{view.name}'"
    problems: list[str] = []
    if not view.entity_names:
        problems.append(f"{where} names no entity: every stored feature belongs to an entity")
    for name in view.entity_names:
        if name not in repo.entities:
            hint = did_you_mean(name, repo.entities) or "define it with Entity(name, join_keys=[...])"
            problems.append(f"{where} names the unknown entity '{name}' ({hint})")
    if not view.features:
        problems.append(f"{where} declares no features")
    for name, count in Counter(view.feature_names).items():
        if count > 1:
            problems.append(f"{where} declares the feature '{name}' {count} times")
    reserved = {view.timestamp_field, view.created_timestamp_field}
    for feature in view.features:
        if not feature.name or ":" in feature.name:
            problems.append(f"{where}: feature name {feature.name!r} must be non-empty and contain no ':'")
        if feature.name in reserved:
            problems.append(f"{where}: the feature '{feature.name}' is also its timestamp column")
    if view.ttl is not None and view.ttl.total_seconds() <= 0:
        problems.append(f"{where} has ttl {view.ttl}; expected a positive duration or None")
    if not problems:
        keys = repo.join_keys(view)
        problems += [f"{where}: the feature '{k}' is also a join key" for k in keys if k in view.feature_names]
        problems += _check_shared_keys(repo, view)
    return problems


def _check_shared_keys(repo: FeatureRepository, view: FeatureView) -> list[str]:
    owners: dict[str, list[str]] = defaultdict(list)
    for name in view.entity_names:
        for key in repo.entity(name).join_keys:
            owners[key].append(name)
    return [
        f"feature view '{view.name}': entities {', '.join(names)} share the join key '{key}'"
        for key, names in owners.items()
        if len(names) > 1
    ]


def _check_view_source(
    repo: FeatureRepository, view: FeatureView, key_types: dict[str, dict[str, tuple[str, str]]]
) -> list[str]:
    where = f"feature view '{view.name}'"
    con = connect()
    try:
        relation = register_source(con, view, "check", sample_rows=SAMPLE_ROWS)
        columns = source_columns(con, relation)
    except LooplineError as exc:
        return [f"{where}: {exc.message}"]
    except Exception as exc:  # a broken source or query: report it with the rest
        return [f"{where}: cannot read its source: {exc}"]
    finally:
        con.close()
    problems = _missing_columns(repo, view, columns)
    problems += _type_conflicts(view, columns)
    for entity in view.entity_names:
        for key in repo.entity(entity).join_keys:
            if key in columns:
                problems += _key_type_conflict(view, entity, key, columns[key], key_types)
    return problems


def _missing_columns(repo: FeatureRepository, view: FeatureView, columns: dict[str, str]) -> list[str]:
    wanted = [
        *(("join key", k) for k in repo.join_keys(view)),
        ("timestamp field", view.timestamp_field),
        *((("created timestamp field", view.created_timestamp_field),) if view.created_timestamp_field else ()),
        *(("feature", f) for f in view.feature_names),
    ]
    problems = []
    for role, name in wanted:
        if name not in columns:
            hint = did_you_mean(name, columns) or f"the source has {', '.join(columns)}"
            problems.append(f"feature view '{view.name}': the {role} '{name}' is not a column of its source ({hint})")
    return problems


def _type_conflicts(view: FeatureView, columns: dict[str, str]) -> list[str]:
    problems = []
    for feature in view.features:
        found = columns.get(feature.name)
        if found is not None and not feature.dtype.accepts(found):
            problems.append(
                f"feature view '{view.name}': the feature '{feature.name}' is declared {feature.dtype.value} "
                f"but its source column is {found}"
            )
    for field in (view.timestamp_field, view.created_timestamp_field):
        found = columns.get(field) if field else None
        if found is not None and sql_family(found) != "timestamp":
            problems.append(
                f"feature view '{view.name}': the timestamp column '{field}' is {found}; expected a timestamp or date "
                "(parse it in the source query or the transformation)"
            )
    return problems


def _key_type_conflict(
    view: FeatureView, entity: str, key: str, sql_type: str, seen: dict[str, dict[str, tuple[str, str]]]
) -> list[str]:
    family = sql_family(sql_type)
    if family not in KEY_FAMILIES:
        return [f"feature view '{view.name}': the join key '{key}' is {sql_type}; expected an integer, string or bool"]
    earlier = seen[entity].setdefault(key, (family, view.name))
    if earlier[0] != family:
        return [
            f"entity '{entity}': the join key '{key}' is {family} in feature view '{view.name}' "
            f"but {earlier[0]} in feature view '{earlier[1]}'"
        ]
    return []


def _check_on_demand(repo: FeatureRepository, odfv: OnDemandFeatureView) -> list[str]:
    where = f"on-demand feature view '{odfv.name}'"
    problems: list[str] = []
    if not odfv.features:
        problems.append(f"{where} declares no features")
    for name, count in Counter(odfv.feature_names).items():
        if count > 1:
            problems.append(f"{where} declares the feature '{name}' {count} times")
    inputs: dict[str, ValueType] = {}
    origin: dict[str, str] = {}
    for source in odfv.sources:
        if isinstance(source, RequestField):
            found = {source.name: source.dtype}
            label = "request field"
        elif isinstance(source, (FeatureView, str)):
            name = source.name if isinstance(source, FeatureView) else source
            if name not in repo.views:
                known = [*repo.views]
                other = " (an on-demand view cannot read another)" if name in repo.on_demand_views else ""
                hint = did_you_mean(name, known) or "check the name"
                problems.append(f"{where} reads the unknown feature view '{name}'{other} ({hint})")
                continue
            found = {f.name: f.dtype for f in repo.views[name].features}
            label = f"feature view '{name}'"
        else:
            problems.append(f"{where}: a source must be a FeatureView, its name or a RequestField; got {source!r}")
            continue
        for column_name, dtype in found.items():
            if column_name in inputs:
                problems.append(f"{where}: the input '{column_name}' comes from both {origin[column_name]} and {label}")
            inputs[column_name], origin[column_name] = dtype, label
    if problems or not odfv.features:
        return problems
    return _check_on_demand_outputs(odfv, inputs)


def _check_on_demand_outputs(odfv: OnDemandFeatureView, inputs: dict[str, ValueType]) -> list[str]:
    where = f"on-demand feature view '{odfv.name}'"
    sample = pd.DataFrame({name: column([_SAMPLE_VALUES[t]], t) for name, t in inputs.items()})
    try:
        result = odfv.function(sample)
    except Exception as exc:
        return [f"{where}: its function raised {type(exc).__name__} on a sample row: {exc}"]
    if not isinstance(result, pd.DataFrame):
        return [f"{where}: its function returned {type(result).__name__}; expected a DataFrame"]
    problems = []
    for feature in odfv.features:
        if feature.name not in result.columns:
            hint = did_you_mean(feature.name, [str(c) for c in result.columns]) or f"it returned {list(result.columns)}"
            problems.append(f"{where}: its function does not return the feature '{feature.name}' ({hint})")
            continue
        family = pandas_family(result[feature.name].dtype)
        if family != "other" and not feature.dtype.accepts_family(family):
            declared = feature.dtype.value
            problems.append(
                f"{where}: the feature '{feature.name}' is declared {declared} but the function returns {family} values"
            )
    return problems
