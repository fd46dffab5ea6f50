"""What the prediction log's writing costs the p99 at one connection, taken apart.

    .venv/bin/python bench/log_writer_tail.py [--seconds 8] [--rounds 3] [--modes drop,sleep,...]

One ``loopline serve cancer@production`` per mode (the LogisticRegression pipeline of
bench/serving_vs_peers.py, prediction log on), each started through this script with
``PredictionLog.append`` replaced by what the mode does with each batch of rows, so only
the log writer's work differs. wrk (one thread, one connection, the same single-row body)
loads each server for ``--seconds`` after a 1-s warm-up; rounds interleave the servers and
the medians of p50 and p99 (wrk's) are printed. Modes:

- ``drop``: the rows are dropped.
- ``sleep``: sleeps as long as ``append`` takes (``--cpu-us-per-row``), using no CPU.
- ``encode``: the rows encoded as one JSON document (orjson), nothing stored.
- ``spin``: a Python loop for that long, holding the interpreter lock.
- ``hash``: SHA-256 in C for that long, the interpreter lock released.
- ``memory``: inserted into an in-memory SQLite database with SQLite's ``json_each`` (one
  statement per batch: the interpreter lock is released for the whole insert; no file).
- ``raw``: inserted into the workspace's database through one long-lived ``sqlite3``
  connection (``executemany``, one transaction per batch).
- ``child``: the JSON document handed over a pipe to a child process that inserts it
  (``json_each``) at the ``SCHED_IDLE`` priority, 16 rows per transaction.
- ``append``: ``PredictionLog.append``, what ``loopline serve`` runs.

Results, with the command, in docs/benchmarks.md ("Online serving").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODES = ("drop", "sleep", "encode", "spin", "hash", "memory", "raw", "child", "append")
COLUMNS = "request_id,row_index,model,version,served_as,created_at,inputs,output,latency_ms"
JSON_INSERT = (f"INSERT INTO predictions ({COLUMNS}) SELECT value->>0, value->>1, value->>2, value->>3, value->>4, "
               "value->>5, value->6, value->7, value->>8 FROM json_each(?) WHERE true "
               "ON CONFLICT (request_id, row_index) DO NOTHING")
CHILD = r"""
import os, sqlite3, struct, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
connection.execute("PRAGMA synchronous = NORMAL")
os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
source, sink = sys.stdin.buffer, sys.stdout.buffer
while True:
    head = source.read(4)
    if len(head) < 4:
        break
    document = source.read(struct.unpack("<I", head)[0])
    connection.execute("BEGIN IMMEDIATE"); connection.execute(sys.argv[2], (document,)); connection.execute("COMMIT")
    sink.write(b"k"); sink.flush()
"""


def _document(records) -> bytes:
    import orjson

    return orjson.dumps([(r.request_id, r.row_index, r.model, r.version, r.served_as, _stamp(r.created_at),
                          r.inputs, r.output, r.latency_ms) for r in records])


def _stamp(moment) -> str:
    from datetime import UTC

    t = moment.astimezone(UTC)
    return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}"


def replace_append(mode: str, cpu_s_per_row: float) -> None:
    """Swap ``PredictionLog.append`` for what ``mode`` does (in the server process)."""
    import sqlite3

    from loopline.metadata.predictions import PredictionLog

    held: dict[str, object] = {}

    def database(log: PredictionLog) -> str:
        return log._db.engine.url.database

    def drop(log, records):
        return len(records)

    def sleep(log, records):
        time.sleep(cpu_s_per_row * len(records))
        return len(records)

    def encode(log, records):
        _document(records)
        return len(records)

    def spin(log, records):
        end = time.perf_counter() + cpu_s_per_row * len(records)
        while time.perf_counter() < end:
            pass
        return len(records)

    block = b"x" * 65536

    def hash_(log, records):
        end = time.perf_counter() + cpu_s_per_row * len(records)
        while time.perf_counter() < end:
            hashlib.sha256(block)
        return len(records)

    def memory(log, records):
        connection = held.get("memory")
        if connection is None:
            connection = held["memory"] = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            connection.execute(f"CREATE TABLE predictions (id INTEGER PRIMARY KEY, {COLUMNS.replace(',', ' , ')}, "
                               "UNIQUE (request_id, row_index))")
        connection.execute("BEGIN")
        connection.execute(JSON_INSERT, (_document(records),))
        connection.execute("COMMIT")
        return len(records)

    def raw(log, records):
        import orjson

        connection = held.get("raw")
        if connection is None:
            connection = held["raw"] = sqlite3.connect(database(log), isolation_level=None,
                                                       check_same_thread=False, timeout=30)
        rows = [(r.request_id, r.row_index, r.model, r.version, r.served_as, _stamp(r.created_at),
                 orjson.dumps(r.inputs).decode(), orjson.dumps(r.output).decode(), r.latency_ms) for r in records]
        connection.execute("BEGIN IMMEDIATE")
        connection.executemany(f"INSERT INTO predictions ({COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?) "
                               "ON CONFLICT (request_id, row_index) DO NOTHING", rows)
        connection.execute("COMMIT")
        return len(records)

    def child(log, records):
        process = held.get("child")
        if process is None:
            process = held["child"] = subprocess.Popen([sys.executable, "-c", CHILD, database(log), JSON_INSERT],
                                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        for start in range(0, len(records), 16):
            document = _document(records[start:start + 16])
            process.stdin.write(struct.pack("<I", len(document)) + document)
            process.stdin.flush()
            process.stdout.read(1)
        return len(records)

    chosen = {"drop": drop, "sleep": sleep, "encode": encode, "spin": spin, "hash": hash_, "memory": memory,
              "raw": raw, "child": child}.get(mode)
    if chosen is not None:
        PredictionLog.append = chosen


def serve(argv: list[str]) -> None:
    """The server side: ``log_writer_tail.py --serve MODE CPU_US_PER_ROW loopline-serve-arguments...``."""
    mode, cpu_us = argv[0], float(argv[1])
    replace_append(mode, cpu_us / 1e6)
    from loopline.cli.main import run

    sys.argv = ["loopline", *argv[2:]]
    run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--cpu-us-per-row", type=float, default=12.0,
                        help="what sleep, spin and hash spend per row (about what append costs here)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).parent))
    import _harness
    import serving_vs_peers as peers

    modes = args.modes.split(",")
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        parser.error(f"unknown mode(s) {', '.join(unknown)}; choose from {', '.join(MODES)}")
    print(_harness.describe_setting())
    features, _ = peers.cancer_frame()
    package = peers.cancer_package()
    body = json.dumps({"records": [{k: float(v) for k, v in features.iloc[0].items()}]})
    with tempfile.TemporaryDirectory(prefix="bench-log-tail-") as tmp:
        folder = Path(tmp)
        servers = []
        for mode in modes:
            workspace = peers.make_workspace(folder / mode, package, "cancer")
            port = peers.free_port()
            command = [sys.executable, __file__, "--serve", mode, str(args.cpu_us_per_row), "serve",
                       "cancer@production", "--port", str(port), "--no-access-log"]
            servers.append(peers.Server(mode, command, port, "/v2/health/ready", "/predict", body, workspace))
        try:
            for server in servers:
                server.start(folder)
            for server in servers:
                server.wait_ready()
            for round_ in range(args.rounds):
                for server in servers:
                    peers.run_wrk(server, 1, 1, folder)  # warm-up, not counted
                    sample = peers.run_wrk(server, 1, args.seconds, folder)
                    server.samples.setdefault(1, []).append(sample)
                    print(f"  round {round_ + 1} {server.name:8s} {sample['rps']:7.0f} req/s  "
                          f"p50 {sample['p50_ms']:.2f} ms  p99 {sample['p99_ms']:.2f} ms", flush=True)
        finally:
            for server in servers:
                server.stop()
    rows = []
    for server in servers:
        samples = server.samples.get(1, [])
        rows.append([server.name, f"{statistics.median(s['rps'] for s in samples):,.0f}",
                     f"{statistics.median(s['p50_ms'] for s in samples):.2f}",
                     f"{statistics.median(s['p99_ms'] for s in samples):.2f}",
                     ", ".join(f"{s['p99_ms']:.2f}" for s in samples)])
    print()
    print(_harness.markdown_table(["writer does", "req/s", "p50 ms", "p99 ms", "p99 per round"], rows))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve(sys.argv[2:])
    else:
        main()
