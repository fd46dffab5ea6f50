"""Estimators named in configuration: a class path with literal arguments, or a training function.

    "sklearn.ensemble.HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1)"
    "lightgbm.LGBMRegressor(n_estimators=300)"          # pip install 'loopline[lightgbm]'
    "my_project.models:fit_ridge(alpha=0.5)"             # the user's own function

The text is read with ``ast``: the arguments must be literals (numbers, strings, lists,
dicts, True/False/None), never code. A class is instantiated with the arguments; a
function (``module:function``) is called as ``function(X, y, **arguments)`` and returns
the fitted model, receiving ``seed=`` too when it accepts one. A class that takes a
``random_state`` gets the seed there unless the arguments set it, so a rerun with the
same seed fits the same model.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from loopline.errors import did_you_mean
from loopline.training.errors import EstimatorSpecError, MissingExtraError

# Top-level modules that come with an optional extra of loopline, and the extra's name.
EXTRAS = {"lightgbm": "lightgbm", "xgboost": "xgboost", "optuna": "tune", "ray": "ray"}
SEED_ARGUMENT = "random_state"


@dataclass(frozen=True)
class EstimatorSpec:
    """A class path (``pkg.mod.Class``) or function path (``pkg.mod:function``) and its arguments."""

    path: str
    arguments: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def parse(cls, text: str) -> EstimatorSpec:
        """Read ``"pkg.mod.Class(a=1)"``, ``"pkg.mod:function"`` and the like (literal arguments only)."""
        return parse_estimator(text)

    @property
    def is_function(self) -> bool:
        return ":" in self.path

    def with_arguments(self, **arguments: Any) -> EstimatorSpec:
        """A spec with ``arguments`` added to (or replacing) its own."""
        return EstimatorSpec(self.path, {**self.arguments, **arguments})

    def __str__(self) -> str:
        listed = ", ".join(f"{key}={value!r}" for key, value in sorted(self.arguments.items()))
        return f"{self.path}({listed})" if listed else self.path


def parse_estimator(text: str) -> EstimatorSpec:
    """The ``EstimatorSpec`` written in ``text``; EstimatorSpecError says what is wrong with it."""
    if isinstance(text, EstimatorSpec):
        return text
    if not isinstance(text, str) or not text.strip():
        raise EstimatorSpecError(
            f"an estimator must be a class path such as 'sklearn.linear_model.Ridge(alpha=1.0)', got {text!r}",
            hint="set estimator in [training] or [parameters] of loopline.toml",
        )
    source = text.strip()
    path_part, _, rest = source.partition("(")
    path = path_part.strip()
    _check_path(path, source)
    arguments: dict[str, Any] = {}
    if rest:
        arguments = _literal_arguments(source, path)
    return EstimatorSpec(path, arguments)


def _check_path(path: str, source: str) -> None:
    module, colon, function = path.partition(":")
    names = [*module.split("."), *([function] if colon else [])]
    if not all(name.isidentifier() for name in names) or (not colon and len(names) < 2):
        raise EstimatorSpecError(
            f"estimator {source!r}: {path!r} is not a class path ('package.module.Class') "
            "or a function path ('package.module:function')",
            hint="for example 'sklearn.ensemble.HistGradientBoostingRegressor(max_iter=200)'",
        )


def _literal_arguments(source: str, path: str) -> dict[str, Any]:
    call_text = "_(" + source.split("(", 1)[1]
    try:
        node = ast.parse(call_text, mode="eval").body
    except SyntaxError as exc:
        raise EstimatorSpecError(
            f"estimator {source!r}: the arguments are not valid Python ({exc.msg})",
            hint="write keyword arguments with literal values: Cls(alpha=0.5, kind='x')",
        ) from None
    if not isinstance(node, ast.Call) or node.args:
        raise EstimatorSpecError(
            f"estimator {source!r}: only keyword arguments are allowed", hint="write Cls(alpha=0.5), not Cls(0.5)"
        )
    arguments: dict[str, Any] = {}
    for keyword in node.keywords:
        if keyword.arg is None:
            raise EstimatorSpecError(f"estimator {source!r}: '**' arguments are not allowed")
        try:
            arguments[keyword.arg] = ast.literal_eval(keyword.value)
        except (ValueError, SyntaxError):
            raise EstimatorSpecError(
                f"estimator {source!r}: the value of '{keyword.arg}' is not a literal",
                hint="use numbers, strings, lists, dicts, True, False or None; code is never run",
            ) from None
    return arguments


def import_object(path: str) -> Any:
    """The class or function at ``path``; MissingExtraError names the extra to install."""
    module_name, colon, attribute = path.partition(":")
    if not colon:
        module_name, _, attribute = path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        top = module_name.split(".")[0]
        if top in EXTRAS:
            raise MissingExtraError(
                f"the estimator '{path}' needs the '{top}' package, which is not installed ({exc})",
                hint=f"pip install 'loopline[{EXTRAS[top]}]'",
            ) from None
        raise EstimatorSpecError(
            f"cannot import the module '{module_name}' of estimator '{path}': {exc}",
            hint="check the spelling; a module of your own must be importable (on sys.path, or in the workspace)",
        ) from None
    found = getattr(module, attribute, None)
    if found is None:
        public = [name for name in dir(module) if not name.startswith("_")]
        hint = did_you_mean(attribute, public) or f"check the name against module '{module_name}'"
        raise EstimatorSpecError(f"module '{module_name}' has no '{attribute}' (estimator '{path}')", hint=hint)
    return found


def build_estimator(spec: EstimatorSpec, *, seed: int | None = None) -> Any:
    """An unfitted instance of the spec's class, seeded through ``random_state`` when it has one."""
    if spec.is_function:
        raise EstimatorSpecError(f"'{spec.path}' is a training function, not an estimator class")
    klass = import_object(spec.path)
    if not isinstance(klass, type):
        raise EstimatorSpecError(
            f"'{spec.path}' is not a class", hint="write a function path with a colon: 'package.module:function'"
        )
    accepted = _parameter_names(klass)
    arguments = dict(spec.arguments)
    unknown = [key for key in arguments if accepted is not None and key not in accepted]
    if unknown:
        hint = did_you_mean(unknown[0], accepted or ()) or f"its parameters: {', '.join(sorted(accepted or ()))}"
        raise EstimatorSpecError(f"{spec.path} has no parameter {', '.join(map(repr, unknown))}", hint=hint)
    if seed is not None and SEED_ARGUMENT not in arguments and accepted is not None and SEED_ARGUMENT in accepted:
        arguments[SEED_ARGUMENT] = seed
    try:
        return klass(**arguments)
    except (TypeError, ValueError) as exc:
        raise EstimatorSpecError(f"cannot create {spec}: {exc}") from None


def fit_estimator(spec: EstimatorSpec, features: Any, target: Any, *, seed: int | None = None) -> Any:
    """The fitted model: ``build_estimator(spec).fit(X, y)``, or the spec's function called on X and y."""
    if not spec.is_function:
        return build_estimator(spec, seed=seed).fit(features, target)
    function = import_object(spec.path)
    if not callable(function):
        raise EstimatorSpecError(f"'{spec.path}' is not a function")
    arguments = dict(spec.arguments)
    accepted = _parameter_names(function)
    if seed is not None and "seed" not in arguments and (accepted is None or "seed" in accepted):
        arguments["seed"] = seed
    return function(features, target, **arguments)


def accepted_arguments(spec: EstimatorSpec) -> set[str] | None:
    """The argument names the spec's class or function takes (None: it takes ``**kwargs``)."""
    return _parameter_names(import_object(spec.path))


def estimator_parameters(spec: EstimatorSpec, *, seed: int | None = None) -> dict[str, Any]:
    """Every parameter the model is built with: the class's full ``get_params()``, or the function's arguments."""
    if spec.is_function:
        return dict(spec.arguments)
    params = build_estimator(spec, seed=seed).get_params(deep=False)
    return {key: value for key, value in sorted(params.items()) if _is_plain(value)}


def _parameter_names(target: Any) -> set[str] | None:
    """Names the callable accepts, or None when it takes ``**kwargs`` (anything goes)."""
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind is not p.VAR_POSITIONAL}


def _is_plain(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list | tuple):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


__all__ = [
    "EXTRAS",
    "EstimatorSpec",
    "accepted_arguments",
    "build_estimator",
    "estimator_parameters",
    "fit_estimator",
    "import_object",
    "parse_estimator",
]
