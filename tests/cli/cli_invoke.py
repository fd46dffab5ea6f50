"""Run ``loopline`` commands in this process (no interpreter start per call): exit code, stdout, stderr."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from loopline.cli.main import run


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        assert self.code == 0, self.err
        return json.loads(self.out)


def invoke(capsys: pytest.CaptureFixture[str], workspace: Path, *args: str) -> Result:
    """``loopline --workspace WORKSPACE ARGS...`` as the console script runs it, errors included."""
    capsys.readouterr()
    try:
        run(["--workspace", str(workspace), *args])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)
