from pathlib import Path

import pytest

from loopline.config import load_settings, resolve_artifact_root, resolve_metadata_url, settings_from_mapping
from loopline.errors import ConfigError


def test_empty_file_gives_every_default(tmp_path: Path) -> None:
    (tmp_path / "loopline.toml").write_text("")
    settings = load_settings(tmp_path / "loopline.toml", environ={})
    assert settings.metadata.url == "sqlite:///.loopline/metadata.db"
    assert settings.artifacts.root == ".loopline/artifacts"
    assert settings.runner.kind == "local"


def test_environment_overrides_file(tmp_path: Path) -> None:
    (tmp_path / "loopline.toml").write_text('[metadata]\nurl = "sqlite:///a.db"\n[runner]\nmax_workers = 3\n')
    env = {
        "LOOPLINE_METADATA_URL": "postgresql+psycopg://u@h/db",
        "LOOPLINE_ARTIFACT_ROOT": "s3://bucket/x",
        "LOOPLINE_RUNNER_MAX_WORKERS": "8",
        "LOOPLINE_UNRELATED_THING": "ignored",
    }
    settings = load_settings(tmp_path / "loopline.toml", environ=env)
    assert settings.metadata.url == "postgresql+psycopg://u@h/db"
    assert settings.artifacts.root == "s3://bucket/x"
    assert settings.runner.max_workers == 8


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "loopline.toml"
    path.write_text("[metadata\nurl = 1\n")
    with pytest.raises(ConfigError, match=r"loopline.toml is not valid TOML.*line 1"):
        load_settings(path, environ={})


def test_wrong_type_names_key_and_expectation() -> None:
    with pytest.raises(ConfigError, match=r"x.toml: 'runner.max_workers': Input should be a valid integer.*got 'many'"):
        settings_from_mapping({"runner": {"max_workers": "many"}}, source="x.toml", environ={})


def test_unknown_key_suggests_a_close_match() -> None:
    with pytest.raises(ConfigError, match=r"unknown key 'metdata' \(did you mean 'metadata'\?\)"):
        settings_from_mapping({"metdata": {}}, source="x.toml", environ={})
    with pytest.raises(ConfigError, match=r"unknown key 'runner.knd' \(did you mean 'kind'\?\)"):
        settings_from_mapping({"runner": {"knd": "ray"}}, source="x.toml", environ={})


def test_unknown_runner_kind_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"'runner.kind': Input should be 'local' or 'ray'"):
        settings_from_mapping({"runner": {"kind": "spark"}}, source="x.toml", environ={})


def test_relative_locations_resolve_against_the_workspace(tmp_path: Path) -> None:
    assert resolve_metadata_url(tmp_path, "sqlite:///.loopline/m.db") == f"sqlite:///{tmp_path}/.loopline/m.db"
    assert resolve_metadata_url(tmp_path, "sqlite:////abs/m.db") == "sqlite:////abs/m.db"
    assert resolve_metadata_url(tmp_path, "postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert resolve_artifact_root(tmp_path, "arts") == str(tmp_path / "arts")
    assert resolve_artifact_root(tmp_path, "s3://b/p") == "s3://b/p"
