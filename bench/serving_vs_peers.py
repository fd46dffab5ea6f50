"""Online serving: Loopline vs ``mlflow models serve`` and a bare FastAPI app; batch vs ``predict``.

    .venv/bin/python bench/serving_vs_peers.py [--seconds 5] [--rounds 1] [--batch-rows 1000000] [--json PATH]
        [--part all|online|batch]

The models, fitted the same way on every side: ``cancer``, StandardScaler +
LogisticRegression(max_iter=2000) on scikit-learn's bundled breast-cancer data (30 numeric
inputs); ``bikes``, the bike example's HistGradientBoostingRegressor(max_iter=200,
learning_rate=0.1, max_leaf_nodes=31) on its 12 features, trained on the hours before
2011-05-01 of the bundled CSV (loopline/examples/bikes/data). Servers, all started before the
first measurement and left idle while another one is measured:

- ``mlflow``, ``mlflow-bikes``: ``mlflow models serve --env-manager local``
  (bench/peers/mlflow_serve.py, in bench/.venvs/mlflow), its defaults; ``POST /invocations``
  with ``dataframe_records``.
- ``bare``: FastAPI on uvicorn returning a constant (bench/peers/bare_fastapi.py): the ceiling.
- ``loopline``, ``loopline-bikes``: ``loopline serve cancer@production`` (``bikes@production``)
  from a temporary workspace whose registry holds the model, prediction log on (SQLite, the
  workspace default), ``--no-access-log``; ``POST /predict`` with ``{"records": [...]}``. The
  cancer model also with ``--workers 2``, and with ``--no-prediction-log`` to show what logging
  costs.

Load: wrk (``apt-get install wrk``) in its own process, one thread, keep-alive connections,
the same single-row body for every request, ``--seconds`` per point after a one-second
warm-up, concurrency (connections) 1, 8 and 32. Each point gives requests/s, p50 and p99
latency (wrk's own histogram); any non-2xx answer or socket error stops the benchmark, and so
does a Loopline server whose prediction log holds fewer rows than the requests it answered.
Rounds interleave the servers. Memory: peak resident set (``VmHWM``) of each worker process
(the leaves of the server's process tree) after all rounds.

Batch, for each model: ``loopline.serving.predict_file`` over a ``--batch-rows`` Parquet file
(the data repeated) to Parquet, writing every input column beside the prediction (the
default) and the predictions alone (``keep=[]``, ``--predictions-only``), against the fitted
model's ``predict`` on the same rows already in memory, against pandas reading the file,
``predict`` and writing the result, and against reading just the model's columns into a float
array (the floor any batch over a file pays before predicting). Each timed call starts after
``os.sync()``, so the writeback of the files the call before wrote is not charged to it.

On a 2-core machine wrk and the server share the cores, so absolute figures are lower than on
a larger machine; the ratios are what the goals are about.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import _harness

CONCURRENCY = (1, 8, 32)
LOOPLINE_CLI = Path(sys.executable).with_name("loopline")


def cancer_frame():
    from sklearn.datasets import load_breast_cancer

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    features.columns = [c.replace(" ", "_") for c in features.columns]
    return features, target


def cancer_package():
    """The model as Loopline registers it: the pipeline, a signature from the inferred schema, a sample."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from loopline.registry import ModelPackage, signature_from_schema
    from loopline.validation import infer_schema, profile

    features, target = cancer_frame()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(features, target)
    schema = infer_schema(profile(features), range_slack=0.5)
    return ModelPackage(model, signature=signature_from_schema(schema), sample_input=features.head(30))


BIKES_CSV = Path(__file__).resolve().parents[1] / "loopline" / "examples" / "bikes" / "data" / "bike_sharing_hour.csv"


def bikes_frame():
    """The bike example's features and target, hours before 2011-05-01 (its default training window)."""
    import pandas as pd

    from loopline.examples.bikes.steps import FEATURES, TARGET

    hours = pd.read_csv(BIKES_CSV)
    train = hours[hours["dteday"] < "2011-05-01"].reset_index(drop=True)
    return train[list(FEATURES)], train[TARGET]


def bikes_package():
    """The bike example's HistGradientBoostingRegressor, registered as Loopline registers it."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    from loopline.registry import ModelPackage, signature_from_schema
    from loopline.validation import infer_schema, profile

    features, target = bikes_frame()
    model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, max_leaf_nodes=31,
                                          random_state=0).fit(features, target)
    schema = infer_schema(profile(features), range_slack=0.5)
    return ModelPackage(model, signature=signature_from_schema(schema), sample_input=features.head(30))


def make_workspace(root: Path, package, name: str = "cancer") -> Path:
    """A workspace whose registry holds ``package`` as NAME/1 behind ``production``."""
    from loopline.workspace import Workspace

    root.mkdir(parents=True, exist_ok=True)
    (root / "loopline.toml").write_text('[workspace]\nname = "serving-bench"\n')
    with Workspace.find(root) as workspace:
        folder = package.save(root / "exported" / name)
        version = workspace.registry.import_model(folder, name=name, trust=True, user="admin")
        workspace.registry.promote(name, version.version, "production", user="admin", reason="benchmark")
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """One server under test: how to start it, the route and body wrk sends, and its process."""

    name: str
    command: list[str]
    port: int
    ready_path: str
    path: str
    body: str
    cwd: Path
    logged: bool = False
    model: str = "cancer"
    process: subprocess.Popen | None = None
    log: Path | None = None
    samples: dict[int, list[dict]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, folder: Path) -> None:
        self.log = folder / f"{self.name}.log"
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(self.command, cwd=self.cwd, stdout=sink, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def wait_ready(self, timeout_s: float = 180) -> None:
        import httpx

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} was not ready after {timeout_s:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc)."""
    found = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in children:
            found += process_tree(int(child))
    return found


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_peaks_mb(server: Server) -> list[float]:
    """Peak RSS of each worker: the leaves of the server's process tree (the server itself when alone).

    multiprocessing's resource tracker is a leaf too, but it serves no request.
    """
    peaks = []
    for pid in process_tree(server.process.pid):
        if process_tree(pid) != [pid] or b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes():
            continue
        peaks.append(peak_rss_mb(pid))
    return peaks


WRK_SCRIPT = """wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p99_us": %d}}\\n', summary.requests, summary.duration, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50), latency:percentile(99)))
end
"""


def run_wrk(server: Server, connections: int, seconds: int, folder: Path) -> dict:
    """One wrk run against ``server``; its JSON summary (requests/s, p50/p99 in ms)."""
    script = folder / f"{server.name}.lua"
    script.write_text(WRK_SCRIPT.format(body=server.body))
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
               server.url + server.path]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    if result["non2xx"] or result["socket_errors"]:
        raise RuntimeError(f"{server.name} at concurrency {connections}: {result}; the figures would be meaningless")
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p50_ms"] = result["p50_us"] / 1000
    result["p99_ms"] = result["p99_us"] / 1000
    return result


def logged_rows(workspace: Path, model: str) -> int:
    """Rows in the workspace's prediction log (what every answered request must have left)."""
    from loopline.metadata.predictions import PredictionLog
    from loopline.workspace import Workspace

    with Workspace.find(workspace) as ws:
        url = ws.metadata_url
    with PredictionLog(url) as log:
        return log.count(model=model)


def build_servers(folder: Path, features) -> list[Server]:
    record = {k: float(v) for k, v in features.iloc[0].items()}
    bikes_features, _ = bikes_frame()
    bike = {k: (v.item() if hasattr(v, "item") else v) for k, v in bikes_features.iloc[0].items()}
    bodies = {"cancer": record, "bikes": bike}
    bare_port = free_port()
    servers = []
    for name, model in (("mlflow", "cancer"), ("mlflow-bikes", "bikes")):
        port = free_port()
        servers.append(Server(
            name, [str(_harness.peer_python("mlflow")), str(_harness.PEERS_DIR / "mlflow_serve.py"),
                   "--out", str(folder / f"{name}.json"), "--folder", str(folder / name), "--port", str(port),
                   "--model", model, "--bikes-csv", str(BIKES_CSV)],
            port, "/ping", "/invocations", json.dumps({"dataframe_records": [bodies[model]]}), folder, model=model))
    servers.append(Server("bare", [sys.executable, str(_harness.PEERS_DIR / "bare_fastapi.py"), "--port",
                                   str(bare_port)],
                          bare_port, "/health", "/predict", json.dumps({"records": [record]}), folder))
    packages = {"cancer": cancer_package(), "bikes": bikes_package()}
    for name, model, extra, logged in (("loopline", "cancer", [], True), ("loopline-bikes", "bikes", [], True),
                                       ("loopline-2w", "cancer", ["--workers", "2"], True),
                                       ("loopline-nolog", "cancer", ["--no-prediction-log"], False)):
        workspace = make_workspace(folder / name, packages[model], model)
        port = free_port()
        servers.append(Server(name, [str(LOOPLINE_CLI), "serve", f"{model}@production", "--port", str(port),
                                     "--no-access-log", *extra],
                              port, "/v2/health/ready", "/predict", json.dumps({"records": [bodies[model]]}),
                              workspace, logged=logged, model=model))
    return servers


def batch(rows: int, folder: Path, repeat: int) -> dict:
    """Per model: rows/s of predict_file (every input column kept, and the predictions alone) vs ``predict``
    on the rows in memory, vs pandas read + predict + write, and the floor of reading the model's columns."""
    import pandas as pd
    import pyarrow.parquet as pq

    from loopline.serving import ServedModel
    from loopline.serving.batch import predict_file

    results = {}
    for name, package, (features, _) in (("cancer", cancer_package(), cancer_frame()),
                                         ("bikes", bikes_package(), bikes_frame())):
        frame = pd.concat([features] * (rows // len(features) + 1), ignore_index=True).head(rows)
        source = folder / f"batch-{name}.parquet"
        frame.to_parquet(source)
        served = ServedModel.build(name, 1, package)
        model = package.model
        ways = ("predict_file, every input column kept", "predict_file, predictions only", "predict in memory",
                "pandas read+predict+write", "reading the model's columns alone")
        timings: dict[str, list[float]] = {way: [] for way in ways}

        def pandas_way() -> None:
            read = pd.read_parquet(source)
            read["prediction"] = model.predict(read)
            read.to_parquet(folder / "direct.parquet")

        calls = {
            ways[0]: lambda: predict_file(served, source, folder / "scored.parquet"),
            ways[1]: lambda: predict_file(served, source, folder / "alone.parquet", keep=[]),
            ways[2]: lambda: model.predict(frame),
            ways[3]: pandas_way,
            ways[4]: lambda: pq.read_table(source, columns=list(served.predictor.columns)).to_pandas()
            .to_numpy(dtype="float64"),
        }
        for _ in range(repeat + 1):  # the first repetition warms up
            for way, call in calls.items():
                os.sync()  # the last way's output on disk first: its writeback is not charged to this one
                started = time.perf_counter()
                call()
                timings[way].append(time.perf_counter() - started)
        for output in ("scored.parquet", "alone.parquet"):
            if pq.ParquetFile(folder / output).metadata.num_rows != rows:
                raise RuntimeError(f"predict_file wrote a wrong number of rows to {output}")
        results[name] = {way: {"seconds": values[1:], "rows_per_s": rows / _harness.median(values[1:])}
                         for way, values in timings.items()}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=5, help="seconds of load per point")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over every server and concurrency")
    parser.add_argument("--batch-rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed batch repetitions")
    parser.add_argument("--json", default=None)
    parser.add_argument("--part", choices=("all", "online", "batch"), default="all")
    args = parser.parse_args()
    print(_harness.describe_setting())
    features, _ = cancer_frame()
    servers, memory, batched = [], {}, {}
    with tempfile.TemporaryDirectory(prefix="bench-serving-") as tmp:
        folder = Path(tmp)
        if args.part != "batch":
            servers, memory = online(args, folder, features)
        if args.part != "online":
            print(f"\nbatch prediction, {args.batch_rows:,} rows, Parquet in and out, median of {args.repeat}:")
            batched = batch(args.batch_rows, folder, args.repeat)
            report_batch(batched)
    _harness.write_json(args.json, {"servers": {s.name: s.samples for s in servers}, "memory_mb": memory,
                                    "batch": batched})


def online(args: argparse.Namespace, folder: Path, features) -> tuple[list[Server], dict[str, list[float]]]:
    """Every server under wrk at every concurrency; the table of figures and goals is printed."""
    servers = build_servers(folder, features)
    try:
        for server in servers:
            server.start(folder)
        for server in servers:
            server.wait_ready()
        versions = json.loads((folder / "mlflow.json").read_text())  # both MLflow servers write the same
        print(f"peers: MLflow {versions['mlflow']}, scikit-learn {versions['sklearn']}; "
              f"{subprocess.run(['wrk', '-v'], capture_output=True, text=True).stdout.split(' [')[0].strip()}")
        for _ in range(args.rounds):
            for connections in CONCURRENCY:
                for server in servers:
                    run_wrk(server, connections, 1, folder)  # warm-up, not counted
                    sample = run_wrk(server, connections, args.seconds, folder)
                    server.samples.setdefault(connections, []).append(sample)
                    print(f"  {server.name:15} c={connections:<3} {sample['rps']:9.0f} req/s  "
                          f"p50 {sample['p50_ms']:7.2f} ms  p99 {sample['p99_ms']:7.2f} ms", flush=True)
        memory = {s.name: worker_peaks_mb(s) for s in servers}
        time.sleep(1)  # the log writer flushes every 50 ms
        for server in servers:
            if server.logged:
                rows = logged_rows(server.cwd, server.model)
                needed = sum(x["requests"] for xs in server.samples.values() for x in xs)
                if rows < needed:
                    raise RuntimeError(f"{server.name}'s prediction log holds {rows} rows, fewer than the "
                                       f"{needed} measured requests it answered")
    finally:
        for server in servers:
            server.stop()
    print(f"\nafter the online rounds: {_harness.load_average()}")
    report(servers, memory)
    return servers, memory


def med(server: Server, connections: int, key: str) -> float:
    return _harness.median([x[key] for x in server.samples[connections]])


def report(servers: list[Server], memory: dict[str, list[float]]) -> None:
    by = {s.name: s for s in servers}
    rows = []
    for connections in CONCURRENCY:
        for s in servers:
            rows.append([connections, s.name, f"{med(s, connections, 'rps'):,.0f}",
                         f"{med(s, connections, 'p50_ms'):.2f}", f"{med(s, connections, 'p99_ms'):.2f}"])
    print("\n" + _harness.markdown_table(["concurrency", "server", "requests/s", "p50 ms", "p99 ms"], rows))
    goals = []
    bare, two = by["bare"], by["loopline-2w"]
    pairs = (("cancer", by["loopline"], by["mlflow"]), ("bikes", by["loopline-bikes"], by["mlflow-bikes"]))
    for model, lo, ml in pairs:
        for c in CONCURRENCY:
            speed = med(lo, c, "rps") / med(ml, c, "rps")
            tail = med(lo, c, "p99_ms") / med(ml, c, "p99_ms")
            ceiling = med(lo, c, "rps") / med(bare, c, "rps")
            scale = f"{med(two, c, 'rps') / med(lo, c, 'rps'):.2f}x" if model == "cancer" else ""
            goals.append([model, c, f"{speed:.1f}x ({'met' if speed >= 20 else 'NOT met'})",
                          f"{tail:.3f} ({'met' if tail <= 0.1 else 'NOT met'})",
                          f"{ceiling:.0%} ({'met' if ceiling >= 0.5 else 'NOT met'})", scale])
    print("\n" + _harness.markdown_table(
        ["model", "concurrency", "req/s vs MLflow (>= 20x)", "p99 vs MLflow (<= 0.1)", "vs bare FastAPI (>= 50%)",
         "2 workers vs 1"], goals))
    mem = [[name, len(peaks), ", ".join(f"{p:.0f}" for p in peaks)] for name, peaks in memory.items()]
    print("\npeak resident memory per worker (MiB):\n" + _harness.markdown_table(["server", "workers", "peak RSS"], mem))


def report_batch(batched: dict) -> None:
    for name, ways in batched.items():
        base = ways["predict in memory"]["rows_per_s"]
        io = ways["pandas read+predict+write"]["rows_per_s"]
        rows = [[way, f"{v['rows_per_s']:,.0f}", f"{_harness.median(v['seconds']):.3f}",
                 f"{v['rows_per_s'] / base:.0%}", f"{v['rows_per_s'] / io:.0%}"] for way, v in ways.items()]
        print(f"\n{name}:")
        print(_harness.markdown_table(["way", "rows/s", "seconds", "vs predict in memory",
                                       "vs pandas read+predict+write"], rows))


if __name__ == "__main__":
    main()
