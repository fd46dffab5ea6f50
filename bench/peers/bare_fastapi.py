"""The serving benchmark's ceiling: a FastAPI app on uvicorn whose ``POST /predict`` returns a constant.

    .venv/bin/python bench/peers/bare_fastapi.py --port PORT

One worker, uvicorn with the same options as ``loopline serve`` (no access log, the same
event loop and HTTP parser: uvloop and httptools when installed). The body is neither read
nor parsed: what is left is the cost of the framework and the server, which no prediction
server built on them can beat.
"""

from __future__ import annotations

import argparse

import uvicorn
from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@app.post("/predict")
async def predict() -> dict:
    return {"predictions": [1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning",
                timeout_keep_alive=5, server_header=False)


if __name__ == "__main__":
    main()
