"""Model slots: a new version swapped in under load answers from then on, and no request fails."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest
from serving_helpers import cancer_package, cancer_record

from loopline.serving import ModelNotServed, ModelSlot, Routing, ServedModel


def wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


def test_swapping_under_load_fails_no_request(start_server, cancer_model: ServedModel) -> None:
    client, state = start_server([cancer_model])
    versions: list[int] = []
    failures: list[int] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=client.base_url, timeout=30) as own:
            while not stop.is_set():
                response = own.post("/predict", json={"records": [cancer_record()]})
                if response.status_code == 200:
                    versions.append(response.json()["version"])
                else:
                    failures.append(response.status_code)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    wait_for(lambda: len(versions) >= 50)
    slot = state.slots["cancer"]
    previous = slot.swap(Routing(ServedModel.build("cancer", 2, cancer_package())))
    answered_before = len(versions)
    wait_for(lambda: len(versions) >= answered_before + 50)
    stop.set()
    for thread in threads:
        thread.join(30)
    assert failures == []
    assert previous.primary is cancer_model
    assert versions[-1] == 2 and 1 in versions
    assert client.get("/v2/models/cancer").json()["versions"] == ["1", "2"]
    assert client.post("/v2/models/cancer/versions/1/infer", json={"inputs": [
        {"name": k, "shape": [1], "datatype": "FP64", "data": [v]} for k, v in cancer_record().items()
    ]}).json()["model_version"] == "1"


def test_a_slot_holds_one_model_name_and_retires_only_unused_versions(cancer_model: ServedModel) -> None:
    slot = ModelSlot(Routing(cancer_model))
    with pytest.raises(ValueError, match="a routing for slot 'cancer' may only hold versions of 'cancer'"):
        slot.swap(Routing(ServedModel.build("other", 1, cancer_package())))
    with pytest.raises(ValueError, match="cancer/1 still answers requests"):
        slot.retire(1)
    slot.swap(Routing(ServedModel.build("cancer", 2, cancer_package())))
    slot.retire(1)
    assert slot.versions == (2,)
    with pytest.raises(ModelNotServed, match=r"version 1 of model 'cancer' is not served here \(loaded: 2\)"):
        slot.version(1)
