"""`loopline demo` end to end on a short replay: the first model is trained, promoted by policy and served;
two days of hourly requests go over HTTP with their event times, feedback follows a day later, the
agent measures daily windows; the summary and a self-contained HTML report come out."""

import re
import subprocess
import sys
from pathlib import Path

from loopline.metadata.predictions import PredictionLog
from loopline.monitoring import MonitorStore
from loopline.workspace import Workspace


def test_a_short_demo_runs_the_loop_and_writes_the_report(tmp_path: Path) -> None:
    root = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "loopline.cli.main", "demo", "-w", str(root), "--days", "3"],
                          capture_output=True, text=True, timeout=600, env=None)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = re.sub(r"\s+", " ", done.stdout)
    assert "bikes/1 → production: promoted" in out
    assert re.search(r"served MAE over 3 days, 72 of 72 requests answered: [\d.]+ with triggered retraining", out)
    report = (root / "demo-report.html").read_text(encoding="utf-8")
    assert "<svg" in report and "Served MAE by month" in report
    assert not re.search(r"""(src|href)=["']?https?:""", report)  # opens without a network
    with Workspace.find(root) as ws, MonitorStore(ws.metadata_url) as store, \
            PredictionLog(ws.metadata_url).open() as log:
        assert log.count(model="bikes") == 72
        windows = store.windows("bikes_daily", complete=True)
        assert [w.key for w in windows] == ["2011-03-01T00:00:00Z", "2011-03-02T00:00:00Z", "2011-03-03T00:00:00Z"]
        assert all(w.rows == 24 for w in windows)
        # each true count comes a day after its hour: by the last midnight, the first two days and the
        # last day's first hour
        assert [w.labelled for w in windows] == [24, 24, 1]
