"""MLflow's side of the serving benchmark: save the breast-cancer model, then become ``mlflow models serve``.

    bench/.venvs/mlflow/bin/python bench/peers/mlflow_serve.py --out info.json --folder DIR --port PORT

Fits the same pipeline as Loopline's side (StandardScaler + LogisticRegression(max_iter=2000)
on scikit-learn's bundled breast-cancer data, spaces in column names replaced by ``_``),
saves it with ``mlflow.sklearn.save_model`` and an inferred signature, writes the versions
to ``--out``, then replaces this process with ``mlflow models serve --env-manager local``:
MLflow's own default server, with its default number of workers, so the process that the
benchmark stops is the server itself.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()

    import mlflow
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features, target = load_breast_cancer(return_X_y=True, as_frame=True)
    features.columns = [c.replace(" ", "_") for c in features.columns]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(features, target)
    path = Path(args.folder) / "model"
    if path.exists():
        shutil.rmtree(path)
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(features, model.predict(features)))
    Path(args.out).write_text(json.dumps({"mlflow": mlflow.__version__, "sklearn": sklearn.__version__}))

    cli = Path(sys.executable).with_name("mlflow")
    command = [str(cli), "models", "serve", "-m", str(path), "--env-manager", "local",
               "--host", "127.0.0.1", "--port", str(args.port)]
    environment = {**os.environ, "PATH": f"{cli.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    sys.stdout.flush()
    os.execve(command[0], command, environment)  # MLflow starts uvicorn by name: the venv must be on PATH


if __name__ == "__main__":
    main()
