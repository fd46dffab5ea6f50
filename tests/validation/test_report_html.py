"""The HTML report: one self-contained file, charts per feature, every name escaped."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from loopline.errors import InvalidInputError
from loopline.validation import check_data, detect_drift, render_html

EVIL = '<script>alert("x")</script>'


def _no_network(page: str) -> None:
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"""(src|href)\s*=|url\(|@import""", page)


def test_drift_report_page(tmp_path: Path) -> None:
    ref = pd.DataFrame({EVIL: [1.0, 2.0, 3.0, 4.0] * 50, "colour & size": ["a", "b"] * 100})
    cur = pd.DataFrame({EVIL: [3.0, 4.0, 5.0, 6.0] * 50, "colour & size": ["a", "<b>"] * 100})
    path = render_html(detect_drift(ref, cur), tmp_path / "drift.html")
    page = path.read_text(encoding="utf-8")
    _no_network(page)
    assert page.count("<svg") == 2 and "fill-opacity" in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "colour &amp; size" in page and "&lt;b&gt;" in page
    assert "Kolmogorov-Smirnov" in page and "drift" in page


def test_validation_result_page(tmp_path: Path) -> None:
    result = check_data(pd.DataFrame({EVIL: [1, 1, 1], "ok": [1, 2, 3]}))
    page = render_html(result, tmp_path / "v.html").read_text(encoding="utf-8")
    _no_network(page)
    assert "CONSTANT_COLUMN" in page and "&lt;script&gt;" in page and "passed" in page


def test_only_reports_render(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="cannot render a dict as HTML"):
        render_html({}, tmp_path / "x.html")  # type: ignore[arg-type]
