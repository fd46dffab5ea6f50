#!/usr/bin/env bash
# Create the peers' virtual environments used by the benchmarks, each on its own:
#   bench/.venvs/kedro   Kedro (pipeline_overhead.py)
#   bench/.venvs/mlflow  MLflow with its SQLAlchemy tracking store (tracking_writes.py, registry_ops.py)
#   bench/.venvs/evidently  Evidently, which needs pandas < 3 (drift_vs_evidently.py)
#   bench/.venvs/pandera    pandera (validation_vs_peers.py)
#   bench/.venvs/gx         Great Expectations (validation_vs_peers.py)
#   bench/.venvs/feast      Feast with its DuckDB offline store (features_vs_feast.py)
# Usage: bash bench/setup_peers.sh [kedro|mlflow ...]   (default: all)
# PYTHON selects the interpreter (default: python3); the folder is git-ignored.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
declare -A requirements=(
  [kedro]="kedro>=1.0"
  [mlflow]="mlflow>=3.0 psycopg[binary]"
  [evidently]="evidently>=0.7 pandas<3"
  [pandera]="pandera>=0.20 pandas pyarrow"
  [gx]="great_expectations>=1.0 pandas<3 pyarrow"
  [feast]="feast[duckdb]>=0.40 pandas<3"
)

peers=("$@")
if [ ${#peers[@]} -eq 0 ]; then
  peers=(kedro mlflow evidently pandera gx feast)
fi

for peer in "${peers[@]}"; do
  if [ -z "${requirements[$peer]+set}" ]; then
    echo "unknown peer '$peer'; known: ${!requirements[*]}" >&2
    exit 2
  fi
  venv="$here/.venvs/$peer"
  echo "== $peer -> $venv (${requirements[$peer]})"
  "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  # shellcheck disable=SC2086
  "$venv/bin/python" -m pip install --quiet ${requirements[$peer]}
  "$venv/bin/python" -m pip freeze | grep -iE "^($peer|sqlalchemy)==" || true
done
