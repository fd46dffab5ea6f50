"""The server follows its deployment: swaps under load, canary splits, shadows, all over real HTTP."""

import threading
from collections import Counter

import httpx
from deployment_helpers import MODEL, ServerThread, controller, move, wait_for

from loopline.deployment import compare_shadow
from loopline.metadata.predictions import Feedback, PredictionLog


def served_version(client: httpx.Client, **headers: str) -> int:
    answer = client.post("/predict", json={"records": [{"x": 1.0, "station": 3.0}]}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()["version"]


def test_an_alias_move_is_checked_loaded_and_swapped_in_under_load_with_no_failed_request(workspace) -> None:
    controller(workspace).deploy(f"{MODEL}@production", user="admin")
    with ServerThread(workspace.root, [f"{MODEL}@production"], follow_interval_s=0.1) as server:
        seen: Counter[int] = Counter()
        failures: list[str] = []
        stop = threading.Event()

        def hammer() -> None:
            with httpx.Client(base_url=server.url, timeout=30) as client:
                while not stop.is_set():
                    answer = client.post("/predict", json={"records": [{"x": 1.0, "station": 3.0}]})
                    if answer.status_code != 200:
                        failures.append(answer.text)
                    else:
                        seen[answer.json()["version"]] += 1

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: seen[1] > 50)
            move(workspace, 2)
            wait_for(lambda: seen[2] > 50)
        finally:
            stop.set()
            for thread in threads:
                thread.join(30)
    assert failures == []
    assert seen[1] > 50 and seen[2] > 50
    assert controller(workspace).plan(MODEL).primary == 2


def test_a_canary_gets_its_share_sticky_by_key_and_promotion_takes_it_to_all(workspace) -> None:
    deployments = controller(workspace)
    deployments.deploy(f"{MODEL}@production", strategy="canary", percent=30, user="admin")
    move(workspace, 2)
    deployments.reconcile(MODEL)
    starting = ServerThread(workspace.root, [f"{MODEL}@production"], follow_interval_s=0.1)
    assert starting.state.slots[MODEL].routing.primary.version == 1  # the live version, not the alias's
    with starting as server, httpx.Client(base_url=server.url, timeout=30) as client:
        wait_for(lambda: server.state.slots[MODEL].routing.canary is not None)
        shares = Counter(served_version(client) for _ in range(400))
        assert 70 < shares[2] < 170, shares  # about 30% of 400
        by_key = {key: {served_version(client, **{"X-Routing-Key": key}) for _ in range(5)} for key in "abcdefghij"}
        assert all(len(versions) == 1 for versions in by_key.values())
        metrics = client.get("/metrics").text
        assert f'loopline_prediction_requests_total{{model="{MODEL}",route="predict",version="2"}}' in metrics
        deployments.promote(MODEL, user="admin")
        wait_for(lambda: server.state.slots[MODEL].routing.canary is None)
        assert {served_version(client) for _ in range(20)} == {2}


def test_a_shadow_answers_every_request_in_the_log_but_never_to_the_client(workspace) -> None:
    deployments = controller(workspace)
    deployments.deploy(f"{MODEL}@production", strategy="shadow", user="admin")
    move(workspace, 3)
    deployments.reconcile(MODEL)
    with ServerThread(workspace.root, [f"{MODEL}@production"], follow_interval_s=0.1) as server, \
            httpx.Client(base_url=server.url, timeout=30) as client:
        wait_for(lambda: server.state.slots[MODEL].routing.shadow is not None)
        ids = []
        xs = [float(i % 10) for i in range(30)]
        for x in xs:
            answer = client.post("/predict", json={"records": [{"x": x, "station": 3.0}]})
            assert answer.json()["version"] == 1
            assert abs(answer.json()["predictions"][0] - 2.0 * x) < 1e-6
            ids.append(answer.json()["request_id"])
        wait_for(lambda: server.state.writer.flush(5))
        client.post("/feedback", json={"feedback": [{"request_id": r, "label": 2.0 * x} for x, r in zip(xs, ids)]})
    with PredictionLog(workspace.metadata_url).open() as log:
        wait_for(lambda: compare_shadow(log, MODEL, 3).pairs == 30)
        comparison = compare_shadow(log, MODEL, 3)
    assert comparison.labelled == 30 and comparison.live_mae < 1e-6
    assert abs(comparison.shadow_mae - sum(2.0 * x for x in xs) / 30) < 1e-6  # 4x against a 2x truth
    assert comparison.agreement < 0.2 and comparison.max_abs_difference > 1
