"""Cache keys: a step whose code, parameters and input contents are unchanged is not run again.

The key is the sha256 of a canonical JSON document holding a format version, the step's
name, its code fingerprint, its resolved parameter values, the digest of each input
artifact (with the argument it binds to), its output names and declared output types.
Changing one step's code changes its key only; its new outputs have new digests, which
change the keys of the steps that read them, and so on downstream.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import math
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from loopline.pipelines.steps import PARAMS_PREFIX, Step

CACHE_FORMAT_VERSION = 1


def cache_key(step: Step, *, code: str, params: Mapping[str, Any], input_digests: Mapping[str, str]) -> str:
    """The hex sha256 cache key of running ``step`` on inputs with these digests (by dataset name)."""
    inputs = [
        [arg if arg is not None else position, dataset, input_digests[dataset]]
        for position, (arg, dataset) in enumerate(zip(step.input_args, step.inputs, strict=True))
        if not dataset.startswith(PARAMS_PREFIX)
    ]
    document = {
        "version": CACHE_FORMAT_VERSION,
        "step": step.name,
        "code": code,
        "params": canonical(params),
        "inputs": inputs,
        "outputs": list(step.outputs),
        "types": sorted(step.types.items()),
    }
    return hashlib.sha256(canonical_json(document).encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: equal values give equal text."""
    return json.dumps(canonical(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(value: Any) -> Any:
    """``value`` as JSON values, deterministically: tuples become lists, sets sorted lists,
    numpy scalars numbers, dates ISO text; anything else its type name and repr."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, Mapping):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__dataclass__": type(value).__qualname__, **canonical(dataclasses.asdict(value))}
    if hasattr(value, "tolist") and callable(value.tolist):  # numpy scalars and arrays
        return canonical(value.tolist())
    kind = type(value)
    return {"__object__": f"{kind.__module__}.{kind.__qualname__}", "repr": repr(value)}


__all__ = ["CACHE_FORMAT_VERSION", "cache_key", "canonical", "canonical_json"]
