#!/usr/bin/env bash
# The main job: the whole benchmark on the built-in small tasks, with heareval.baseline.
#   bash run-small.sh [TMP_DIR]
# Installs what it needs, then runs preprocessing (small synthetic stand-in corpora), embeddings,
# predictions (fast grid) and evaluation under TMP_DIR (default: a new folder), prints the results
# table, and fails if any task's primary score is not clearly better than chance.
set -euo pipefail
REPO="$(cd "$(dirname "$0")" && pwd)"
PYTHON=${PYTHON:-python3}
TMP_DIR="${1:-$(mktemp -d -t heareval-small-XXXXXX)}"
mkdir -p "$TMP_DIR"
TMP_DIR="$(cd "$TMP_DIR" && pwd)"

cd "$TMP_DIR"  # checked from here: run from the repo, `import heareval` would find the source tree uninstalled
if ! "$PYTHON" -c "import heareval, luigi, lightning, sed_scores_eval, libarchive, pretty_midi" 2>/dev/null; then
  echo "installing heareval ..." >&2
  PYTHON="$PYTHON" bash "$REPO/install.sh"
fi

echo "working in $TMP_DIR" >&2
"$PYTHON" -m heareval.runner heareval.baseline --tasks all --small --grid fast --grid-points 4 \
  --num-workers 2 --work-dir _workdir --tasks-dir tasks --embeddings-dir embeddings \
  --output evaluation_results.json --table results.md
"$PYTHON" -m heareval.evaluation.runner heareval.baseline --embeddings-dir embeddings \
  --output evaluation_results.json --require-above-chance > /dev/null
echo "results: $TMP_DIR/evaluation_results.json, $TMP_DIR/results.md" >&2
