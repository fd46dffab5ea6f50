"""The demo's deployment step: deploy bikes@production, serve a held-out week over real HTTP, post the
true counts as feedback, and measure the served MAE."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from loopline.cli import _output

HELD_OUT = ("2011-06-15", "2011-06-22")
"""A week after the production model's training and evaluation windows."""


def serve_held_out_week(ws: Any) -> float:
    """Run the step; returns the served MAE."""
    import httpx
    import pandas as pd
    import uvicorn

    from loopline.deployment import DeploymentController, InfraValidator, StoreLocation
    from loopline.errors import LooplineError
    from loopline.examples import bikes
    from loopline.examples.bikes.features import demand_history, event_times
    from loopline.serving import create_app
    from loopline.serving.server import ServeConfig, build_state, prepare

    console = _output.console
    controller = DeploymentController(ws.registry, InfraValidator(StoreLocation.of(ws.registry)))
    outcome = controller.deploy("bikes@production", reason="demo: serve the production model")
    check = outcome.check.reason if outcome.check else "already live"
    console.print(f"   {outcome.action}: {_output.escape(outcome.message)} (check: {_output.escape(check)})")

    hours = pd.read_csv(Path(bikes.__file__).parent / "data" / "bike_sharing_hour.csv")
    hours["timestamp"] = event_times(hours)
    # the demand history each hour would find in the online store at that hour: earlier hours only
    history = demand_history(hours).drop(columns=["city"]).rename(columns={"event_ts": "timestamp"})
    hours = hours.merge(history, on="timestamp", how="left")
    week = hours[(hours["timestamp"] >= HELD_OUT[0]) & (hours["timestamp"] < HELD_OUT[1])]
    inputs = [c for c in ws.registry.load("bikes@production").input_names if c in week.columns]
    records = json.loads(week[inputs].to_json(orient="records"))

    config = prepare(ServeConfig(workspace=str(ws.root), refs=["bikes@production"], port=0, access_log=False))
    server = uvicorn.Server(uvicorn.Config(create_app(build_state(config)), host="127.0.0.1", port=0,
                                           log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the demo's prediction server did not start")
            time.sleep(0.01)
        url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
        with httpx.Client(base_url=url, timeout=30) as client:
            started = time.perf_counter()
            responses = [client.post("/predict", json={"records": [record]}) for record in records]
            elapsed = time.perf_counter() - started
            truth = week["cnt"].tolist()
            answered = [(r.json(), int(t)) for r, t in zip(responses, truth, strict=True) if r.status_code == 200]
            refused = [r for r in responses if r.status_code != 200]
            if not answered:
                raise LooplineError(f"the demo's server refused every request: {refused[0].text[:300]}")
            client.post("/feedback", json={"feedback": [
                {"request_id": a["request_id"], "label": t} for a, t in answered
            ]}).raise_for_status()
    finally:
        server.should_exit = True
        thread.join(30)
    mae = sum(abs(max(a["predictions"][0], 0.0) - t) for a, t in answered) / len(answered)
    console.print(f"   {len(responses)} HTTP requests for {HELD_OUT[0]}..{HELD_OUT[1]} in {elapsed:.2f} s "
                  f"({elapsed / len(responses) * 1000:.1f} ms each); bikes/{answered[0][0]['version']} answered "
                  f"{len(answered)}, true counts posted as feedback")
    if refused:
        console.print(f"   {len(refused)} refused with 422 (values outside the range the model was trained on), "
                      f"e.g. {_output.escape(refused[0].json()['problems'][0]['message'])}")
    console.print(f"   [bold]served MAE[/] on the held-out week: {mae:.1f} rentals per hour")
    return mae


__all__ = ["HELD_OUT", "serve_held_out_week"]
