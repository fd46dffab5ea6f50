"""MLflow's side of the serving benchmark: save a model, then become ``mlflow models serve``.

    bench/.venvs/mlflow/bin/python bench/peers/mlflow_serve.py --out info.json --folder DIR --port PORT
        [--model cancer|bikes --bikes-csv PATH]

Fits the same model as Loopline's side: ``cancer`` (StandardScaler + LogisticRegression(max_iter=2000)
on scikit-learn's bundled breast-cancer data, spaces in column names replaced by ``_``) or
``bikes`` (the bike example's HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1,
max_leaf_nodes=31, random_state=0) on its 12 features, hours before 2011-05-01 of the bundled CSV),
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

BIKE_FEATURES = ("season", "yr", "mnth", "hr", "holiday", "weekday", "workingday", "weathersit", "temp", "atemp",
                 "hum", "windspeed")  # loopline.examples.bikes.steps.FEATURES


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--folder", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", choices=("cancer", "bikes"), default="cancer")
    parser.add_argument("--bikes-csv", default=None, help="loopline/examples/bikes/data/bike_sharing_hour.csv")
    args = parser.parse_args()

    import mlflow
    import sklearn
    from mlflow.models import infer_signature
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if args.model == "bikes":
        import pandas as pd
        from sklearn.ensemble import HistGradientBoostingRegressor

        hours = pd.read_csv(args.bikes_csv)
        train = hours[hours["dteday"] < "2011-05-01"]
        features, target = train[list(BIKE_FEATURES)], train["cnt"]
        model = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.1, max_leaf_nodes=31,
                                              random_state=0).fit(features, target)
    else:
        features, target = load_breast_cancer(return_X_y=True, as_frame=True)
        features.columns = [c.replace(" ", "_") for c in features.columns]
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)).fit(features, target)
    path = Path(args.folder) / "model"
    if path.exists():
        shutil.rmtree(path)
    # MLflow's default (skops) format refuses HistGradientBoosting's tree type unless it is named as trusted
    trusted = ["sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"] if args.model == "bikes" else None
    mlflow.sklearn.save_model(model, str(path), signature=infer_signature(features, model.predict(features)),
                              skops_trusted_types=trusted)
    Path(args.out).write_text(json.dumps({"mlflow": mlflow.__version__, "sklearn": sklearn.__version__}))

    cli = Path(sys.executable).with_name("mlflow")
    command = [str(cli), "models", "serve", "-m", str(path), "--env-manager", "local",
               "--host", "127.0.0.1", "--port", str(args.port)]
    environment = {**os.environ, "PATH": f"{cli.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    sys.stdout.flush()
    os.execve(command[0], command, environment)  # MLflow starts uvicorn by name: the venv must be on PATH


if __name__ == "__main__":
    main()
