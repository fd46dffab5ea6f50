"""Training functions used by the tests as ``training_helpers:function`` estimators.

Worker processes import this module by name (the tests' folder is on ``sys.path``), as
they would a module of the user's workspace.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from sklearn.linear_model import Ridge

FEATURES = ["season", "yr", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp", "hum",
            "windspeed"]
TARGET = "cnt"
HGB = "sklearn.ensemble.HistGradientBoostingRegressor(max_iter=30)"


def fit_ridge(x: Any, y: Any, *, alpha: float = 1.0, seed: int | None = None) -> Ridge:
    """A user's own training function: gets the data, its arguments and the seed."""
    model = Ridge(alpha=alpha).fit(x, y)
    model.seed_seen_ = seed
    return model


def slow_ridge(x: Any, y: Any, *, alpha: float = 1.0, seconds: float = 0.2, folder: str = "") -> Ridge:
    """Ridge that takes ``seconds`` and notes when and where it ran in ``folder``.

    With a ``folder`` it marks its start there and waits (at most ``seconds``) until another
    process has started a trial too, so trials that do run side by side overlap whatever the
    machine's load; trials run one after the other never see each other's marks in time.
    """
    started = time.time()
    if not folder:
        time.sleep(seconds)
    else:
        (Path(folder) / f"started-{os.getpid()}-{time.monotonic_ns()}").touch()
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(not m.name.startswith(f"started-{os.getpid()}-") for m in Path(folder).glob("started-*")):
                break
            time.sleep(0.01)
    if folder:
        note = {"pid": os.getpid(), "start": started, "end": time.time(), "alpha": alpha}
        (Path(folder) / f"{os.getpid()}-{time.monotonic_ns()}.json").write_text(json.dumps(note))
    return Ridge(alpha=alpha).fit(x, y)


def fragile_ridge(x: Any, y: Any, *, alpha: float = 1.0) -> Ridge:
    """Fails for large alphas, as a badly chosen range does."""
    if alpha > 5:
        raise ValueError(f"alpha {alpha} is too large for this model")
    return Ridge(alpha=alpha).fit(x, y)


def no_model(x: Any, y: Any) -> str:
    return "not a model"
