"""Generated tables for the drift and validation benchmarks, written once to Parquet.

Loopline and every peer read the same files, so both sides see byte-identical data.
Generation uses numpy, pandas and pyarrow from Loopline's environment; the peers only
read the Parquet files.

- ``drift_frames``: a reference and a current window, 15 numeric and 5 categorical
  columns. The current window shifts 5 columns (``DRIFT_SHIFTED``) far enough that every
  measure at its default threshold calls them drifted; the other 15 are fresh samples of
  the reference's distributions.
- ``validation_frame``: 20 columns with known types, ranges, nullability and domains
  (``VALIDATION_RULES``); ``broken=True`` breaks ``VALIDATION_BROKEN`` (one value type,
  range, nullability or domain rule each) and leaves every other column valid.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

NUMERIC = tuple(f"num_{i:02d}" for i in range(15))
CATEGORICAL = tuple(f"cat_{i}" for i in range(5))
CATEGORY_LEVELS = {"cat_0": 4, "cat_1": 8, "cat_2": 12, "cat_3": 20, "cat_4": 30}
DRIFT_SHIFTED = ("num_00", "num_05", "num_10", "cat_1", "cat_3")


def _numeric(rng: np.random.Generator, index: int, rows: int) -> np.ndarray:
    """Column ``index``'s reference distribution: five families, three parameter sets each."""
    family, scale = index % 5, 1.0 + index // 5
    if family == 0:
        return rng.normal(10.0 * scale, 2.0 * scale, rows)
    if family == 1:
        return rng.lognormal(0.0, 0.5 * scale, rows)
    if family == 2:
        return rng.exponential(3.0 * scale, rows)
    if family == 3:
        return rng.uniform(-scale, 5.0 * scale, rows)
    return rng.poisson(30.0 * scale, rows).astype(np.int64)


def _shifted_numeric(rng: np.random.Generator, index: int, rows: int) -> np.ndarray:
    """The drifted current distributions of the shifted numeric columns (index 0, 5 and 10)."""
    values = _numeric(rng, index, rows)
    if index == 0:
        return values + 1.0  # normal: mean + 0.5 standard deviation
    if index == 5:
        return (values - values.mean()) * 1.6 + values.mean()  # normal: spread x1.6
    return values * 1.1  # normal: mean + 0.5 standard deviation, spread x1.1


def _category_probabilities(name: str, shifted: bool) -> tuple[list[str], np.ndarray]:
    levels = CATEGORY_LEVELS[name]
    labels = [f"{name}_v{k:02d}" for k in range(levels)]
    weights = 1.0 / np.arange(1, levels + 1) ** 0.8  # Zipf-like; the rarest level still holds > 1%
    if shifted and name == "cat_1":
        weights = weights[::-1]  # the most common level becomes the rarest
    if shifted and name == "cat_3":
        labels = [*labels, f"{name}_new"]  # a level the reference never saw, 8% of rows
        weights = np.append(weights / weights.sum() * 0.92, 0.08)
    return labels, weights / weights.sum()


def _categorical(rng: np.random.Generator, name: str, rows: int, shifted: bool) -> np.ndarray:
    labels, p = _category_probabilities(name, shifted)
    return np.asarray(labels, dtype=object)[rng.choice(len(labels), size=rows, p=p)]


def drift_frames(rows: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, current), ``rows`` each; the current window shifts ``DRIFT_SHIFTED``."""
    rng = np.random.default_rng(seed)
    reference = {name: _numeric(rng, i, rows) for i, name in enumerate(NUMERIC)}
    reference.update({name: _categorical(rng, name, rows, shifted=False) for name in CATEGORICAL})
    current = {
        name: _shifted_numeric(rng, i, rows) if name in DRIFT_SHIFTED else _numeric(rng, i, rows)
        for i, name in enumerate(NUMERIC)
    }
    current.update({name: _categorical(rng, name, rows, shifted=name in DRIFT_SHIFTED) for name in CATEGORICAL})
    return pd.DataFrame(reference), pd.DataFrame(current)


@dataclass(frozen=True)
class Rule:
    """What a valid column holds: ``kind`` float, int or str; a range or a domain; whether nulls are allowed."""

    kind: str
    nullable: bool = False
    min: float | None = None
    max: float | None = None
    domain: tuple[str, ...] | None = None


def _validation_rules() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for i in range(10):
        rules[f"measure_{i}"] = Rule("float", nullable=i % 3 == 2, min=0.0, max=100.0 * (i + 1))
    for i in range(5):
        rules[f"count_{i}"] = Rule("int", min=0, max=1000 * (i + 1))
    for i in range(5):
        levels = 5 * (i + 1)
        rules[f"label_{i}"] = Rule("str", nullable=i == 4, domain=tuple(f"L{i}_{k:02d}" for k in range(levels)))
    return rules


VALIDATION_RULES = _validation_rules()
#: Broken by ``validation_frame(broken=True)``: value type, range, nullability, domain.
VALIDATION_BROKEN = {
    "measure_3": "type: numbers stored as text",
    "measure_7": "range: 0.1% of values above the maximum",
    "count_2": "range: 0.1% of values below the minimum",
    "measure_0": "nullability: 1% missing in a column that allows none",
    "label_1": "domain: 0.5% of rows hold a value outside the allowed set",
}


def _valid_column(rng: np.random.Generator, rule: Rule, rows: int) -> np.ndarray:
    if rule.kind == "float":
        values = rng.uniform(float(rule.min or 0.0), float(rule.max or 0.0), rows)
        if rule.nullable:
            values[rng.random(rows) < 0.05] = np.nan
        return values
    if rule.kind == "int":
        return rng.integers(int(rule.min or 0), int(rule.max or 0) + 1, rows, dtype=np.int64)
    domain = rule.domain or ()
    values = np.asarray(domain, dtype=object)[rng.integers(0, len(domain), rows)]
    if rule.nullable:
        values[rng.random(rows) < 0.05] = None
    return values


def _break(rng: np.random.Generator, name: str, values: np.ndarray, rows: int) -> np.ndarray:
    picked = rng.random(rows)
    if name == "measure_3":
        return pd.Series(values).map("{:.3f}".format).astype(object).to_numpy()
    if name == "measure_7":
        values = values.copy()
        values[picked < 0.001] = float(VALIDATION_RULES[name].max or 0.0) * 1.5
        return values
    if name == "count_2":
        values = values.copy()
        values[picked < 0.001] = -1
        return values
    if name == "measure_0":
        values = values.copy()
        values[picked < 0.01] = np.nan
        return values
    values = values.copy()
    values[picked < 0.005] = "UNKNOWN"
    return values


def validation_frame(rows: int, *, broken: bool, seed: int = 11) -> pd.DataFrame:
    """``rows`` rows following ``VALIDATION_RULES``; with ``broken``, ``VALIDATION_BROKEN`` are broken."""
    rng = np.random.default_rng(seed)
    columns = {}
    for name, rule in VALIDATION_RULES.items():
        values = _valid_column(rng, rule, rows)
        columns[name] = _break(rng, name, values, rows) if broken and name in VALIDATION_BROKEN else values
    frame = pd.DataFrame(columns)
    for name, rule in VALIDATION_RULES.items():
        if rule.kind == "str" or (broken and name == "measure_3"):
            frame[name] = frame[name].astype(object)
    return frame


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` without its index; strings as plain UTF-8 columns every reader understands."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata(None)  # no pandas dtype hints: each reader picks its own defaults
    pq.write_table(table, path)
    return path
