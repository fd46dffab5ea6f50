"""The profile page: self-contained, escaped, a chart per column with values."""

import re

import numpy as np
import pandas as pd

from loopline.validation import profile
from loopline.validation.profile_html import column_summary, profile_page


def test_the_page_is_self_contained_and_escapes_what_comes_from_the_data() -> None:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "<b>price</b>": rng.normal(10, 2, size=300),
        "city": rng.choice(["<script>alert(1)</script>", "Paris", "Köln"], size=300),
        "empty": [None] * 300,
    })
    page = profile_page(profile(frame), title="Profile <of> shop")
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<b>price</b>" not in page and "&lt;b&gt;price&lt;/b&gt;" in page
    assert "<title>Profile &lt;of&gt; shop</title>" in page
    assert not re.search(r"(src|href)=\"?https?:", page)  # nothing loaded from the network
    assert page.count('<div class="chart">') == 2  # the all-missing column has nothing to draw
    assert "Köln (" in page


def test_column_summaries() -> None:
    stats = profile(pd.DataFrame({"n": [0, 0, 2, 4], "when": pd.to_datetime(["2024-01-01", "2024-01-02",
                                                                             "2024-01-10", None])}))
    numeric = column_summary(stats.column("n"))
    assert (numeric["min"], numeric["max"], numeric["mean"], numeric["top"]) == ("0", "4", "1.5", "zeros 2")
    dates = column_summary(stats.column("when"))
    assert dates["min"].startswith("2024-01-01") and "largest gap 2024-01-02" in dates["top"]
