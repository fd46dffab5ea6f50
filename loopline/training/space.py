"""A tuning search space: hyperparameters with ranges or choices, as Optuna distributions.

Written in ``loopline.toml`` as a list of tables (see ``loopline.config.SearchDimension``):

    search_space = [
      { name = "learning_rate", low = 0.01, high = 0.3, log = true },
      { name = "max_leaf_nodes", low = 8, high = 64 },
      { name = "loss", choices = ["squared_error", "poisson"] },
    ]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from loopline.config import SearchDimension
from loopline.errors import did_you_mean
from loopline.training.errors import SearchSpaceError


def parse_space(space: Sequence[Mapping[str, Any] | SearchDimension]) -> list[SearchDimension]:
    """The dimensions of ``space``, each checked; names must be unique and the list non-empty."""
    if isinstance(space, str | bytes | Mapping) or not isinstance(space, Sequence) or not space:
        raise SearchSpaceError(
            f"a search space must be a non-empty list of dimensions, got {space!r}",
            hint='write search_space = [{ name = "alpha", low = 0.01, high = 10, log = true }]',
        )
    dimensions = []
    for index, item in enumerate(space):
        try:
            dimensions.append(item if isinstance(item, SearchDimension) else SearchDimension.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in exc.errors())
            raise SearchSpaceError(
                f"search space item {index} ({item!r}) is not valid: {problems}",
                hint="each item is { name, low, high[, log, step, type] } or { name, choices = [...] }",
            ) from None
    names = [d.name for d in dimensions]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise SearchSpaceError(f"the search space names {', '.join(repeated)} more than once")
    return dimensions


def check_names(dimensions: Sequence[SearchDimension], accepted: set[str] | None, estimator: str) -> None:
    """Refuse a dimension the estimator has no parameter for (``accepted`` None: anything goes)."""
    if accepted is None:
        return
    for dimension in dimensions:
        if dimension.name not in accepted:
            hint = did_you_mean(dimension.name, accepted) or f"its parameters: {', '.join(sorted(accepted))}"
            raise SearchSpaceError(f"the search space tunes '{dimension.name}', which {estimator} does not take",
                                   hint=hint)


def kind_of(dimension: SearchDimension) -> str:
    """``categorical``, ``int`` or ``float``: the declared type, else inferred from the bounds."""
    if dimension.type is not None:
        return dimension.type
    if dimension.choices is not None:
        return "categorical"
    integral = all(isinstance(v, int) for v in (dimension.low, dimension.high, dimension.step) if v is not None)
    return "int" if integral else "float"


def distributions(dimensions: Sequence[SearchDimension]) -> dict[str, Any]:
    """Optuna distributions by parameter name."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    made: dict[str, Any] = {}
    for d in dimensions:
        kind = kind_of(d)
        try:
            if kind == "categorical":
                made[d.name] = CategoricalDistribution(list(d.choices or ()))
            elif kind == "int":
                step = int(d.step) if d.step is not None else 1
                made[d.name] = IntDistribution(int(d.low or 0), int(d.high or 0), log=d.log, step=step)
            else:
                made[d.name] = FloatDistribution(float(d.low or 0), float(d.high or 0), log=d.log,
                                                 step=None if d.step is None else float(d.step))
        except ValueError as exc:
            raise SearchSpaceError(f"search space dimension '{d.name}' is not valid: {exc}") from None
    return made


__all__ = ["check_names", "distributions", "kind_of", "parse_space"]
