from pathlib import Path

from loopline.config import resolve_online_url, settings_from_mapping


def test_features_section_defaults_and_environment_override() -> None:
    settings = settings_from_mapping({}, source="x.toml", environ={})
    assert (settings.features.module, settings.features.online) == ("features.py", "sqlite:///.loopline/online.db")
    env = {"LOOPLINE_FEATURES_ONLINE": "redis://127.0.0.1:6379/0?prefix=app"}
    overridden = settings_from_mapping({"features": {"module": "defs.py"}}, source="x.toml", environ=env)
    assert overridden.features.module == "defs.py"
    assert overridden.features.online == "redis://127.0.0.1:6379/0?prefix=app"


def test_online_urls_with_relative_sqlite_paths_resolve_in_the_workspace(tmp_path: Path) -> None:
    assert resolve_online_url(tmp_path, "sqlite:///.loopline/online.db") == f"sqlite:///{tmp_path}/.loopline/online.db"
    assert resolve_online_url(tmp_path, "online.db") == f"sqlite:///{tmp_path}/online.db"
    assert resolve_online_url(tmp_path, "sqlite:////srv/online.db") == "sqlite:////srv/online.db"
    assert resolve_online_url(tmp_path, "redis://h:6379/0") == "redis://h:6379/0"
