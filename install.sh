#!/usr/bin/env bash
# Installs heareval into the current Python environment.
#   bash install.sh        runtime only
#   bash install.sh dev    plus test and reference-implementation dependencies
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}

# torch first: with none present, the CPU build (so pip never pulls CUDA wheels on a CPU box).
if ! "$PYTHON" -c "import torch" 2>/dev/null; then
  "$PYTHON" -m pip install --quiet "torch==2.13.0"
fi

if [ "${1:-}" = "dev" ]; then
  "$PYTHON" -m pip install --quiet -e ".[dev]"
  # hearbaseline 2021.1.1 pins numpy 1.19 / numba 0.48, which do not build on Python 3.11;
  # its real needs (torch, librosa 0.9.2, numpy) are already installed above.
  "$PYTHON" -m pip install --quiet --no-deps "hearbaseline==2021.1.1"
else
  "$PYTHON" -m pip install --quiet -e .
fi
