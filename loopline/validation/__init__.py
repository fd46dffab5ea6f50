"""Data validation: statistics (profiles), schemas, anomalies, drift and training/serving skew."""

from loopline.validation.anomalies import DEFAULT_SEVERITY, Anomaly, AnomalyCode, Severity, ValidationResult
from loopline.validation.checks import check_data
from loopline.validation.drift import DriftDetector, DriftOptions, detect_drift
from loopline.validation.drift_report import ColumnDrift, Distribution, DriftReport, RowCountChange, Verdict
from loopline.validation.errors import (
    ColumnConversionError,
    DataReadError,
    IncompatibleProfilesError,
    SchemaFormatError,
    UnknownMeasureError,
)
from loopline.validation.histogram import BinGrid, Histogram
from loopline.validation.kinds import ColumnKind
from loopline.validation.measures import MEASURES, Measure, register
from loopline.validation.profile import (
    QUANTILES,
    CategoryStats,
    ColumnProfile,
    DatetimeStats,
    Gap,
    NumericStats,
    Profile,
)
from loopline.validation.profiling import profile
from loopline.validation.reading import DataFile
from loopline.validation.records import RecordValidator, validate_records
from loopline.validation.report_html import html_page, render_html
from loopline.validation.schema import SERVING, TRAINING, ColumnSchema, DriftSetting, Schema
from loopline.validation.schema_inference import infer_schema
from loopline.validation.skew import detect_skew
from loopline.validation.validate import validate

__all__ = [
    "DEFAULT_SEVERITY",
    "MEASURES",
    "QUANTILES",
    "SERVING",
    "TRAINING",
    "Anomaly",
    "AnomalyCode",
    "BinGrid",
    "CategoryStats",
    "ColumnConversionError",
    "ColumnDrift",
    "ColumnKind",
    "ColumnProfile",
    "ColumnSchema",
    "DataFile",
    "DataReadError",
    "DatetimeStats",
    "Distribution",
    "DriftDetector",
    "DriftOptions",
    "DriftReport",
    "DriftSetting",
    "Gap",
    "Histogram",
    "IncompatibleProfilesError",
    "Measure",
    "NumericStats",
    "Profile",
    "RecordValidator",
    "RowCountChange",
    "Schema",
    "SchemaFormatError",
    "Severity",
    "UnknownMeasureError",
    "ValidationResult",
    "Verdict",
    "check_data",
    "detect_drift",
    "detect_skew",
    "html_page",
    "infer_schema",
    "profile",
    "register",
    "render_html",
    "validate",
    "validate_records",
]
