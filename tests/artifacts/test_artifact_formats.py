import hashlib
import io
import pickle
import subprocess
import sys
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from loopline.artifacts import (
    ArtifactIntegrityError,
    ArtifactStore,
    Encoded,
    FormatRegistry,
    UnknownFormatError,
    decode,
    encode,
    store_value,
)
from loopline.artifacts.formats import default_registry
from loopline.errors import InvalidInputError


def round_trip(store: ArtifactStore, value: Any) -> tuple[Any, str]:
    stored = store_value(store, value)
    return decode(store, stored.uri, stored.format), stored.format


@pytest.mark.parametrize(
    "value",
    [{"b": [1, 2.5, None], "a": {"x": True}}, [1, "two", 3.0], "text", 42, 2**80, 1.25, True, False, None, {}, []],
)
def test_json_values_round_trip_as_json(store: ArtifactStore, value: Any) -> None:
    back, fmt = round_trip(store, value)
    assert fmt == "json" and back == value and type(back) is type(value)


def test_json_is_canonical() -> None:
    assert encode({"b": 1, "a": [1, 2]}).data == encode({"a": [1, 2], "b": 1}).data == b'{"a":[1,2],"b":1}'
    assert encode({"é": "ü"}).data == '{"é":"ü"}'.encode()


@pytest.mark.parametrize(
    "value",
    [
        {1: "int key"},
        {"nan": float("nan")},
        {"inf": float("inf")},
        (1, 2),
        {"t": (1, 2)},
        OrderedDict(a=1),
        {"set": {1, 2}},
        np.float64(1.5),
    ],
    ids=["int-key", "nan", "inf", "tuple", "nested-tuple", "ordered-dict", "set", "numpy-scalar"],
)
def test_values_json_would_change_fall_back_to_pickle(store: ArtifactStore, value: Any) -> None:
    back, fmt = round_trip(store, value)
    assert fmt == "pickle" and type(back) is type(value)
    assert repr(back) == repr(value)  # NaN compares unequal to itself


def test_deeply_nested_values_fall_back_to_pickle() -> None:
    value: list = []
    for _ in range(200):
        value = [value]
    assert encode(value).format == "pickle"


def test_bytes_round_trip_raw(store: ArtifactStore) -> None:
    back, fmt = round_trip(store, b"\x00raw\xff")
    assert (back, fmt) == (b"\x00raw\xff", "raw")


def test_text_artifacts_decode_to_str(store: ArtifactStore) -> None:
    assert decode(store, store.put_bytes("héllo".encode()).uri, "text") == "héllo"


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "int": [1, 2, 3],
            "float": [0.5, None, 2.0],
            "str": ["a", None, "c"],
            "cat": pd.Categorical(["x", "y", "x"]),
            "when": pd.to_datetime(["2024-01-01", "2024-06-01", None], utc=True),
            "flag": [True, False, True],
        },
        index=pd.Index([10, 20, 30], name="id"),
    )


def test_dataframes_round_trip_as_parquet(store: ArtifactStore) -> None:
    back, fmt = round_trip(store, frame())
    assert fmt == "parquet"
    pd.testing.assert_frame_equal(back, frame())
    assert encode(frame()).properties == {
        "python_type": "pandas.DataFrame",
        "rows": 3,
        "columns": 6,
        "column_names": ["int", "float", "str", "cat", "when", "flag"],
    }


def test_equal_frames_give_equal_bytes(store: ArtifactStore) -> None:
    first = store_value(store, frame())
    again = store_value(store, frame().copy(deep=True))
    assert first.uri == again.uri
    assert store_value(store, frame().assign(int=[1, 2, 4])).uri != first.uri


def test_frames_encode_to_the_same_bytes_in_another_process() -> None:
    code = (
        "import hashlib, pandas as pd; from loopline.artifacts import encode; "
        "f = pd.DataFrame({'a': range(500), 'b': [f'x{i}' for i in range(500)]}); "
        "print(hashlib.sha256(encode(f[f.a % 3 == 0]).data).hexdigest())"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    here = pd.DataFrame({"a": range(500), "b": [f"x{i}" for i in range(500)]})
    assert other == hashlib.sha256(encode(here[here.a % 3 == 0]).data).hexdigest()


@pytest.mark.parametrize(
    "value",
    [pd.DataFrame({0: [1], "b": [2]}), pd.DataFrame({"mixed": [1, "x"]}), pd.DataFrame([[1, 2]], columns=["a", "a"])],
    ids=["non-string-names", "mixed-types", "duplicate-names"],
)
def test_frames_parquet_cannot_hold_fall_back_to_pickle(store: ArtifactStore, value: pd.DataFrame) -> None:
    back, fmt = round_trip(store, value)
    assert fmt == "pickle"
    pd.testing.assert_frame_equal(back, value)


def test_arrays_round_trip_as_npy(store: ArtifactStore) -> None:
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    back, fmt = round_trip(store, array)
    assert fmt == "npy" and back.dtype == np.float32
    np.testing.assert_array_equal(back, array)
    assert encode(array).properties == {"python_type": "numpy.ndarray", "shape": [3, 4], "dtype": "float32"}
    back, fmt = round_trip(store, np.array([{"a": 1}, None], dtype=object))
    assert fmt == "pickle" and back[0] == {"a": 1}


def test_npy_never_unpickles(store: ArtifactStore) -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    uri = store.put_bytes(buffer.getvalue()).uri
    with pytest.raises(ValueError, match="allow_pickle=False"):
        decode(store, uri, "npy")


def test_models_round_trip_as_pickle(store: ArtifactStore) -> None:
    model = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
    back, fmt = round_trip(store, model)
    assert fmt == "pickle" and encode(model).properties == {
        "python_type": "sklearn.linear_model._logistic.LogisticRegression"
    }
    assert back.predict([[0.0], [3.0]]).tolist() == [0, 1]


class Payload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.write_text, (self.marker, "code ran"))


def test_a_tampered_pickle_is_refused_before_it_is_unpickled(local_store: ArtifactStore, tmp_path: Path) -> None:
    stored = store_value(local_store, {"weights": [1, 2, 3], "bias": (0.5,)})
    assert stored.format == "pickle"
    path = local_store.local_path(stored.uri)
    path.chmod(0o644)
    path.write_bytes(pickle.dumps(Payload(tmp_path / "marker")))
    with pytest.raises(ArtifactIntegrityError, match=f"artifact {stored.uri} is damaged"):
        decode(local_store, stored.uri, "pickle")
    assert not (tmp_path / "marker").exists()


def test_paths_store_their_file_or_folder(store: ArtifactStore, tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("<h1>ok</h1>")
    (tmp_path / "model" / "sub").mkdir(parents=True)
    (tmp_path / "model" / "sub" / "w.bin").write_bytes(b"w")
    stored_file = store_value(store, tmp_path / "report.html")
    assert (stored_file.format, stored_file.properties) == ("file", {"name": "report.html", "size": 11})
    assert decode(store, stored_file.uri, "file").read_text() == "<h1>ok</h1>"
    stored_dir = store_value(store, tmp_path / "model")
    assert stored_dir.format == "dir" and stored_dir.size == 1
    assert (decode(store, stored_dir.uri, "dir") / "sub" / "w.bin").read_bytes() == b"w"
    with pytest.raises(InvalidInputError, match=r"cannot store the path .*missing: it is neither a file nor a folder"):
        encode(tmp_path / "missing")


def test_unpicklable_values_say_what_to_return_instead() -> None:
    with pytest.raises(InvalidInputError, match="cannot store a value of type function: it cannot be pickled"):
        encode(lambda: None)


def test_unknown_formats_suggest_a_close_one(store: ArtifactStore) -> None:
    uri = store.put_bytes(b"x").uri
    with pytest.raises(
        UnknownFormatError, match=f"no decoder for artifact format 'parquett' \\(artifact {uri}\\)"
    ) as info:
        decode(store, uri, "parquett")
    assert "did you mean 'parquet'?" in str(info.value)


def test_handlers_are_registered_not_hard_coded(store: ArtifactStore) -> None:
    class Celsius(float):
        pass

    registry = default_registry()
    registry.register_encoder(Celsius, lambda v: Encoded(f"{float(v)}C".encode(), None, "celsius", {}))
    registry.register_decoder("celsius", lambda s, uri: Celsius(s.get_bytes(uri).decode().rstrip("C")))
    stored = store_value(store, Celsius(21.5), registry=registry)
    assert stored.format == "celsius" and registry.decode(store, stored.uri, "celsius") == 21.5
    assert "celsius" in registry.formats() and "celsius" not in FormatRegistry().formats()


def test_a_format_of_another_package_decodes_in_a_process_that_never_imported_it(tmp_path: Path) -> None:
    """Formats declared through the ``loopline.artifact_formats`` entry points load on first need."""
    write = (
        "import pandas as pd\n"
        "from loopline.artifacts import ArtifactStore\n"
        "from loopline.artifacts.formats import store_value\n"
        "from loopline.validation import profile\n"
        f"stored = store_value(ArtifactStore({str(tmp_path)!r}).open(), profile(pd.DataFrame({{'a': [1.0, 2.0]}})))\n"
        "print(stored.uri, stored.format)\n"
    )
    uri, fmt = subprocess.run([sys.executable, "-c", write], capture_output=True, text=True, check=True).stdout.split()
    read = (
        "import sys\n"
        "from loopline.artifacts import ArtifactStore\n"
        "from loopline.artifacts.formats import decode\n"
        "assert 'loopline.validation' not in sys.modules\n"
        f"value = decode(ArtifactStore({str(tmp_path)!r}).open(), {uri!r}, {fmt!r})\n"
        "print(type(value).__name__, value.rows)\n"
    )
    done = subprocess.run([sys.executable, "-c", read], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["Profile", "2"]
