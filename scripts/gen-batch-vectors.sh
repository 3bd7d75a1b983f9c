#!/usr/bin/env bash
# Regenerates proto/tests/vectors/ with kafka-python, installed into a private venv under
# target/ so nothing touches the system Python. The tests read the committed vectors and never
# need Python; rerun this only to change or add vectors, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."

KAFKA_PYTHON_VERSION="${KAFKA_PYTHON_VERSION:-3.0.12}"
VENV=target/gen-batch-vectors-venv

if [[ ! -x "$VENV/bin/python" ]]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check "kafka-python==$KAFKA_PYTHON_VERSION"
"$VENV/bin/python" scripts/gen-batch-vectors.py
