"""Evaluation and model validation: metric sets, sliced metrics, plots as HTML, and the blessing."""

from loopline.evaluation.blessing import bless, parse_rules
from loopline.evaluation.errors import EvaluationDataError, RuleError, UnknownMetricError
from loopline.evaluation.evaluate import evaluate
from loopline.evaluation.metrics import DIRECTIONS, classification_metrics, regression_metrics
from loopline.evaluation.records import Blessing, Evaluation, RuleCheck, SliceMetrics, as_blessing, as_evaluation
from loopline.evaluation.report_html import evaluation_html, render_evaluation_html

__all__ = [
    "DIRECTIONS",
    "Blessing",
    "Evaluation",
    "EvaluationDataError",
    "RuleCheck",
    "RuleError",
    "SliceMetrics",
    "UnknownMetricError",
    "as_blessing",
    "as_evaluation",
    "bless",
    "classification_metrics",
    "evaluate",
    "evaluation_html",
    "parse_rules",
    "regression_metrics",
    "render_evaluation_html",
]
