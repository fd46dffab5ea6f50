import subprocess
import sys
from pathlib import Path

import pytest

from loopline.cli.runs import parse_param
from loopline.errors import InvalidInputError


def loopline(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "loopline.cli.main", *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_param_values_are_read_as_toml_literals() -> None:
    assert parse_param("train.max_iter=300") == ("train.max_iter", 300)
    assert parse_param("lr=0.5") == ("lr", 0.5)
    assert parse_param("flag=true") == ("flag", True)
    assert parse_param("name=hello world") == ("name", "hello world")
    assert parse_param("cols=[1, 2]") == ("cols", [1, 2])
    with pytest.raises(InvalidInputError, match="is not key=value"):
        parse_param("oops")


def test_errors_are_one_line_with_a_hint_and_exit_non_zero(tmp_path: Path) -> None:
    result = loopline("runs", "list", cwd=tmp_path)
    assert result.returncode == 1
    assert "error: no loopline.toml in" in result.stderr
    assert "hint:" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_then_bad_config_is_reported(tmp_path: Path) -> None:
    result = loopline("init", str(tmp_path / "ws"))
    assert result.returncode == 0, result.stderr
    (tmp_path / "ws" / "loopline.toml").write_text("[runner]\nkind = 'spark'\n")
    result = loopline("pipeline", "list", cwd=tmp_path / "ws")
    assert result.returncode == 1
    assert "'runner.kind': Input should be 'local' or 'ray'" in result.stderr
