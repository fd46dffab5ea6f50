"""The evaluation page: self-contained HTML with inline SVG, data escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
from evaluation_helpers import HOUR_BUCKETS, TARGET, regression_evaluation

from loopline.evaluation import bless, evaluate, evaluation_html, render_evaluation_html


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.sources: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.sources += [v or "" for k, v in attrs if k in ("src", "href")]


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, flags=re.S)


def test_a_regression_page_is_self_contained_with_charts_and_slices(bike_model, bikes_split, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    _, test = bikes_split
    evaluation = evaluate(bike_model, test, target=TARGET, slices=["season", "hour_bucket"], buckets=HOUR_BUCKETS)
    path = render_evaluation_html(evaluation.to_dict(), tmp_path / "evaluation.html")  # the stored form works too
    page = path.read_text(encoding="utf-8")
    parsed = _Collector()
    parsed.feed(page)
    assert "script" not in parsed.tags and parsed.sources == []
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "Predicted against actual" in page and "Residuals" in page and "rmse by hour_bucket" in page
    charts = _svgs(page)
    assert len(charts) == 4  # scatter, residuals, and one bar chart per slice column
    for chart in charts:
        ET.fromstring(chart)  # each chart is well-formed SVG
    assert "[6, 10)" in page and "<h2>Slices</h2>" in page


def test_names_and_values_from_the_data_are_escaped(bike_model) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 4.5],
                          "<b>kind</b>": ["<script>alert(1)</script>", "a", "a", "b"]})
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(frame[["x"]], frame["y"])
    page = evaluation_html(evaluate(model, frame, target="y", features=["x"], slices=["<b>kind</b>"]))
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>kind</b>" not in page


def test_the_blessing_section_lists_every_rule_and_slice_numbers() -> None:
    candidate = regression_evaluation(95, {"winter": 95, "summer": 100})
    baseline = regression_evaluation(100, {"winter": 80, "summer": 120})
    blessing = bless(candidate, baseline, [{"metric": "rmse", "max": 120, "max_slice_worsening": 0.1}],
                     candidate_id=2, baseline_id=1, baseline_ref="bikes/1 (production)")
    page = evaluation_html(candidate, blessing=blessing)
    assert "not blessed" in page and "bikes/1 (production)" in page
    assert "rmse &lt;= 120" in page and "rmse at most 10.0% worse than the baseline in every slice" in page
    assert "+18.8%" in page and "too much worse" in page


def test_a_classification_page_shows_calibration_roc_and_the_confusion_matrix(classified) -> None:  # type: ignore[no-untyped-def]
    frame, model = classified
    page = evaluation_html(evaluate(model, frame, target="label", features=["a", "b", "c", "d"]))
    assert "Calibration" in page and "ROC curve" in page and "Confusion matrix" in page
    for chart in _svgs(page):
        ET.fromstring(chart)
