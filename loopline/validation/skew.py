"""Training/serving skew: serving data compared with the training profile, plus schema anomalies.

The comparison is drift detection with the training profile as the reference, over the
columns that exist in SERVING; the serving data is profiled on the training profile's
histogram grids, so any size of serving data works and the measures are the binned ones.
The schema (inferred from the training profile when none is given) adds what drift
measures do not say: missing or unexpected columns, values outside the training range or
domain, type changes.
"""

from __future__ import annotations

from dataclasses import replace

from loopline.validation.drift import DriftDetector, DriftOptions
from loopline.validation.drift_report import DriftReport
from loopline.validation.profile import Profile
from loopline.validation.profiling import profile
from loopline.validation.reading import DataInput
from loopline.validation.schema import SERVING, Schema
from loopline.validation.schema_inference import infer_schema
from loopline.validation.validate import profile_anomalies


def detect_skew(
    training: DataInput | Profile,
    serving: DataInput | Profile,
    *,
    schema: Schema | None = None,
    label: str | None = None,
    options: DriftOptions | None = None,
) -> DriftReport:
    """Drift of ``serving`` against ``training`` over the SERVING columns, with schema anomalies.

    ``label`` names the label when no schema is given, so that its absence from serving
    data is expected.
    """
    training_profile = profile(training)
    serving_schema = (schema or infer_schema(training_profile, label=label)).for_environment(SERVING)
    serving_profile = profile(serving, reference=training_profile)
    report = DriftDetector(schema=serving_schema, options=options).fit(training_profile).check(serving_profile)
    return replace(report, anomalies=tuple(profile_anomalies(serving_profile, serving_schema)))


__all__ = ["detect_skew"]
