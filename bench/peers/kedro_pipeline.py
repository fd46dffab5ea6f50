"""Kedro side of bench/pipeline_overhead.py; runs inside bench/.venvs/kedro.

Builds the same DAG as Loopline (bench/dag_shapes.py) out of Kedro nodes, every dataset
a MemoryDataset (Kedro records nothing), and times ``SequentialRunner().run``.

Logging:
- ``default``: what ``kedro run`` gives a project without its own logging.yml
  (importing ``kedro.framework.project`` applies the framework's default configuration:
  the rich console handler, the ``kedro`` logger at INFO, so every node is logged);
- ``quiet``: the same configuration with the ``kedro`` logger at WARNING.

Writes JSON: {"kedro_version", "logging", "shape", "n_steps", "warmup_s", "run_s": [...]}.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dag_shapes  # noqa: E402


def build_pipeline(shape: str, n_steps: int):
    from kedro.pipeline import Pipeline, node

    return Pipeline(
        [
            node(dag_shapes.noop_function(len(n.inputs)), list(n.inputs) or None, n.output, name=n.name)
            for n in dag_shapes.build(shape, n_steps)
        ]
    )


def run_once(pipeline) -> float:
    from kedro.io import DataCatalog
    from kedro.runner import SequentialRunner

    catalog = DataCatalog()  # every dataset falls back to a MemoryDataset
    runner = SequentialRunner()
    start = time.perf_counter()
    runner.run(pipeline, catalog)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--shape", choices=dag_shapes.SHAPES, default="chain")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--logging", choices=("default", "quiet"), default="default")
    args = parser.parse_args()

    import kedro
    import kedro.framework.project  # noqa: F401 - applies Kedro's default logging configuration

    if args.logging == "quiet":
        logging.getLogger("kedro").setLevel(logging.WARNING)

    pipeline = build_pipeline(args.shape, args.steps)
    warmup = run_once(pipeline)
    timings = [run_once(pipeline) for _ in range(args.repeat)]
    Path(args.out).write_text(
        json.dumps(
            {
                "kedro_version": kedro.__version__,
                "logging": args.logging,
                "shape": args.shape,
                "n_steps": args.steps,
                "warmup_s": warmup,
                "run_s": timings,
            }
        )
    )


if __name__ == "__main__":
    main()
