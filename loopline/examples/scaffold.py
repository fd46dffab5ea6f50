"""Write a new workspace folder from a bundled template."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from loopline.config import CONFIG_FILE
from loopline.errors import InvalidInputError, did_you_mean

EXAMPLES = ("default", "bikes")


def write_workspace(directory: str | Path, *, example: str = "default", force: bool = False) -> Path:
    """Create ``directory`` with the example's files (``loopline.toml``, ``pipelines.py``, ...) and ``data/``.

    Refuses to overwrite an existing workspace unless ``force`` is set; never deletes
    anything else in the folder.
    """
    if example not in EXAMPLES:
        hint = did_you_mean(example, EXAMPLES) or f"choose one of: {', '.join(EXAMPLES)}"
        raise InvalidInputError(f"unknown example '{example}'", hint=hint)
    root = Path(directory).expanduser().resolve()
    if (root / CONFIG_FILE).exists() and not force:
        raise InvalidInputError(
            f"{root} already holds a workspace ({CONFIG_FILE} exists)",
            hint="choose another folder, or pass --force to overwrite the template files",
        )
    if root.exists() and not root.is_dir():
        raise InvalidInputError(f"{root} exists and is not a folder", hint="choose another path")
    (root / "data").mkdir(parents=True, exist_ok=True)
    templates = resources.files("loopline.examples") / "templates" / example
    names = sorted(t.name.removesuffix(".tmpl") for t in templates.iterdir() if t.name.endswith(".tmpl"))
    for name in names:  # loopline.toml, pipelines.py and whatever else the example has (features.py)
        text = (templates / f"{name}.tmpl").read_text(encoding="utf-8")
        if name == CONFIG_FILE:
            text = text.replace("{name}", root.name)
        _write_atomic(root / name, text)
    _DATA_WRITERS[example](root / "data")
    gitignore = root / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text(".loopline/\n", encoding="utf-8")
    return root


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _write_default_data(folder: Path) -> None:
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).frame
    tmp = folder / ".diabetes.csv.tmp"
    frame.to_csv(tmp, index=False)
    tmp.replace(folder / "diabetes.csv")


def _write_bikes_data(folder: Path) -> None:
    from loopline.examples.bikes import DATA_FILE, data_path

    tmp = folder / f".{DATA_FILE}.tmp"
    shutil.copyfile(data_path(), tmp)
    tmp.replace(folder / DATA_FILE)


_DATA_WRITERS = {"default": _write_default_data, "bikes": _write_bikes_data}
