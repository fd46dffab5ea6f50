"""Records in, predictions out as plain Python values: the package's ``predict``, made cheap per request.

The reference path builds a DataFrame with the columns in the order the model was fitted
on (cast to the dtypes of the package's sample input) and calls ``package.predict``. Building
a one-row DataFrame costs about 0.2 ms and a scikit-learn model checks a frame's columns
on every call, which together cost several times what the model itself does on one row.
So when the inputs are all numeric or boolean and the package has no preprocessing, the
predictor also tries the model on a plain float array; it takes that fast path only if it
gives exactly the reference path's predictions on the package's sample input. A package
without a sample input always takes the reference path.

For the few rows of an online request, the fast path goes further: ``predict_rows`` takes
rows already checked clean (``RowReader``) and, for a model ``kernels`` knows, computes each
prediction from the fitted attributes (a row kernel, kept only if it gives exactly the
reference path's answer for every sample row, each predicted alone); other models get the
plain array with scikit-learn's own input checks turned off, the row having been checked.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from loopline.serving.errors import PredictionFailed
from loopline.serving.kernels import RowKernel, compile_kernel
from loopline.serving.signature import ServingSignature
from loopline.validation import ColumnKind

_FAST_KINDS = (ColumnKind.NUMERIC, ColumnKind.BOOLEAN)
_SAMPLE_ROWS = 32
KERNEL_ROWS = 16
"""Requests of up to this many rows use the row kernel row by row; larger ones the model's vectorised predict."""


class Predictor:
    """Calls one package on records or frames and returns one plain value per row."""

    def __init__(
        self, package: Any, columns: Sequence[str], *, dtypes: Mapping[str, Any] | None = None, fast: bool = False,
        kernel: RowKernel | None = None,
    ) -> None:
        self.package = package
        self.columns = tuple(columns)
        self.dtypes = dict(dtypes or {})
        self.fast = fast
        self.kernel = kernel

    @classmethod
    def compile(cls, package: Any, signature: ServingSignature) -> Predictor:
        """The reference predictor, or the fast one when it agrees with the reference on the sample input."""
        sample = getattr(package, "sample_input", None)
        has_sample = isinstance(sample, pd.DataFrame) and len(sample) > 0
        columns = _column_order(package, signature, sample if has_sample else None)
        dtypes = {c: sample[c].dtype for c in columns if c in sample.columns} if has_sample else {}
        reference = cls(package, columns, dtypes=dtypes)
        if not has_sample or not _may_be_fast(package, signature, columns):
            return reference
        present = [c for c in columns if c in sample.columns]
        if len(present) != len(columns):
            return reference
        records = sample[present].head(_SAMPLE_ROWS).to_dict("records")
        fast = cls(package, columns, dtypes=dtypes, fast=True)
        _quiet_feature_name_warning()
        try:
            agrees = _same(fast.predict(records), reference.predict(records))
        except Exception:  # the model does not take arrays: keep the reference path
            return reference
        if not agrees:
            return reference
        fast.kernel = _checked_kernel(package.model, reference, records)
        return fast

    def predict_rows(self, rows: Sequence[Sequence[Any]], records: Sequence[Mapping[str, Any]]) -> list[Any]:
        """One prediction per record, given ``rows``: the records' values in column order, checked clean."""
        if self.kernel is not None and len(rows) <= KERNEL_ROWS:
            kernel = self.kernel
            try:
                return [kernel(row) for row in rows]
            except Exception as exc:
                raise PredictionFailed(f"the model raised {type(exc).__name__}: {exc}") from exc
        if self.fast:
            array = np.array(rows, dtype=np.float64)
            with _unchecked():
                return as_rows(self._call(self.package.model.predict, array, len(rows)))
        return self.predict(records)

    def predict(self, records: Sequence[Mapping[str, Any]]) -> list[Any]:
        """One prediction per record (plain Python values, ready for JSON)."""
        if self.fast:
            array = np.array([[r.get(c) for c in self.columns] for r in records], dtype=np.float64)
            return as_rows(self._call(self.package.model.predict, array, len(records)))
        return self.predict_frame(self.frame(records))

    def predict_frame(self, frame: pd.DataFrame) -> list[Any]:
        """One prediction per row of ``frame`` (columns as the model expects them)."""
        return as_rows(self.raw_frame(frame))

    def raw_frame(self, frame: pd.DataFrame) -> Any:
        """The model's own output for ``frame`` (an array, Series or frame of one row per row), unconverted."""
        if self.fast:
            array = frame[list(self.columns)].to_numpy(dtype=np.float64, na_value=np.nan)
            return self._call(self.package.model.predict, array, len(frame))
        return self._call(self.package.predict, frame[list(self.columns)], len(frame))

    def raw_array(self, array: np.ndarray) -> Any:
        """The model's own output for a float array in this predictor's column order (the fast path only)."""
        return self._call(self.package.model.predict, array, len(array))

    def frame(self, records: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
        """The records as the model's input frame: its columns, in its order, with the sample's dtypes."""
        frame = pd.DataFrame({c: [r.get(c) for r in records] for c in self.columns}, columns=list(self.columns))
        return self.conform(frame)

    def conform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Cast columns to the sample input's dtypes where they differ (and can be cast)."""
        for column, dtype in self.dtypes.items():
            if column in frame.columns and frame[column].dtype != dtype:
                # a column that does not cast (missing values in an integer column) stays as it is
                with contextlib.suppress(TypeError, ValueError):
                    frame[column] = frame[column].astype(dtype)
        return frame

    def _call(self, predict: Any, data: Any, rows: int) -> Any:
        try:
            result = predict(data)
        except Exception as exc:
            raise PredictionFailed(f"the model raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(result, np.ndarray | pd.Series | pd.DataFrame | list | tuple):
            raise PredictionFailed(
                f"the model returned a {type(result).__name__}; expected an array, a Series or a list")
        if len(result) != rows:
            raise PredictionFailed(f"the model returned {len(result)} predictions for {rows} rows")
        return result


def as_rows(result: Any) -> list[Any]:
    """A model's output as one plain value (or list, or dict) per row."""
    if isinstance(result, pd.DataFrame):
        return result.to_dict("records")
    if isinstance(result, pd.Series):
        return result.to_numpy().tolist()
    if isinstance(result, np.ndarray):
        return result.tolist()
    if isinstance(result, list | tuple):
        return [v.tolist() if isinstance(v, np.ndarray | np.generic) else v for v in result]
    raise PredictionFailed(f"the model returned a {type(result).__name__}; expected an array, a Series or a list")


def _column_order(package: Any, signature: ServingSignature, sample: pd.DataFrame | None) -> tuple[str, ...]:
    """The fitted model's own column order when it has one, else the sample's, else the signature's."""
    inputs = signature.input_names
    selected = _selected_columns(package)
    if selected is not None and set(selected) == set(inputs):
        return selected
    fitted = getattr(getattr(package, "model", None), "feature_names_in_", None)
    if getattr(package, "preprocessing", None) is None and fitted is not None and set(fitted) == set(inputs):
        return tuple(str(c) for c in fitted)
    if sample is not None:
        ordered = [c for c in sample.columns if c in set(inputs)]
        return (*ordered, *(c for c in inputs if c not in set(ordered)))
    return inputs


def _may_be_fast(package: Any, signature: ServingSignature, columns: Sequence[str]) -> bool:
    preprocessing = getattr(package, "preprocessing", None)
    if preprocessing is not None and _selected_columns(package) != tuple(columns):
        return False
    if not hasattr(getattr(package, "model", None), "predict"):
        return False
    return all(signature.kind(c) in _FAST_KINDS for c in columns)


def _selected_columns(package: Any) -> tuple[str, ...] | None:
    """The columns a package's preprocessing only selects and orders (``FeatureColumns``), else None."""
    from loopline.training.columns import FeatureColumns

    preprocessing = getattr(package, "preprocessing", None)
    return tuple(preprocessing.features) if isinstance(preprocessing, FeatureColumns) else None


def _checked_kernel(model: Any, reference: Predictor, records: list[dict[str, Any]]) -> RowKernel | None:
    """The model's row kernel if it answers every finite sample record exactly as the reference path does."""
    kernel = compile_kernel(model)
    if kernel is None:
        return None
    usable = [r for r in records if all(isinstance(r[c], int | float) and math.isfinite(r[c])
                                        for c in reference.columns)]
    if not usable:
        return None
    try:
        for record in usable:
            if not _same([kernel([record[c] for c in reference.columns])], reference.predict([record])):
                return None
    except Exception:
        return None
    return kernel


def _unchecked() -> Any:
    """scikit-learn's per-call checks off (the rows were checked finite and typed already), when it is there."""
    try:
        import sklearn
    except ImportError:
        return contextlib.nullcontext()
    return sklearn.config_context(assume_finite=True, skip_parameter_validation=True)


def _same(left: list[Any], right: list[Any]) -> bool:
    if len(left) != len(right):
        return False
    for a, b in zip(left, right, strict=True):
        if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
            continue
        if a != b:
            return False
    return True


def _quiet_feature_name_warning() -> None:
    # the fast path hands scikit-learn an array on purpose: its per-call warning costs time and says nothing
    warnings.filterwarnings("ignore", message="X does not have valid feature names", category=UserWarning)


__all__ = ["Predictor", "as_rows"]
