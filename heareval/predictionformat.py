"""The predictions folder (docs/predictions-format.md): the files the predictions stage writes into an
embedding task folder, its completion marker, and which splits each training run uses. Written by the
predictions stage, read by the evaluation stage (without importing Lightning)."""

from dataclasses import dataclass
from pathlib import Path
from typing import List

from heareval.errors import UserError
from heareval.taskformat import TaskMetadata

DONE_MARKER = "prediction-done.json"
SCORES = "test.predicted-scores.json"
BEST_MODEL_CONFIG = "test.best-model-config.json"
GRID_POINTS = "grid-points.json"
COST = "cost.predictions.json"
LOGS = "logs"

# The probes that train on a task's embeddings. The MLP's outputs are the task folder's own files, as the
# original kit wrote them; each other probe writes the same files into probes/<probe>/ of the task folder.
MLP = "mlp"
PROBES = (MLP, "linear", "knn")
PROBES_DIR = "probes"


def probe_dir(task_dir: Path, probe: str) -> Path:
    return task_dir if probe == MLP else task_dir / PROBES_DIR / probe


def result_key(module: str, probe: str) -> str:
    """How results name a module's scores from one probe: the module for the MLP, `module/probe` else."""
    return module if probe == MLP else f"{module}/{probe}"


def predictions_file(test_split: str) -> str:
    return f"{test_split}.predictions.npz"


def events_file(test_split: str) -> str:
    return f"{test_split}.predicted-events.json"


# Everything a training run writes, as glob patterns (an interrupted run's outputs are removed by these).
OUTPUT_PATTERNS = (predictions_file("*"), events_file("*"), SCORES, BEST_MODEL_CONFIG, GRID_POINTS, COST, LOGS)


@dataclass
class Arrangement:
    """One train/valid/test assignment: the test split is scored once (k-fold: each fold once)."""

    name: str
    train: List[str]
    valid: str
    test: str


def arrangements(metadata: TaskMetadata) -> List[Arrangement]:
    splits = metadata.splits
    if not metadata.is_kfold:
        return [Arrangement("test", ["train"], "valid", "test")]
    k = len(splits)
    if k < 3:
        raise UserError(f"{metadata.task_name}: k-fold needs at least 3 folds, got {splits}")
    return [Arrangement(splits[i], [s for j, s in enumerate(splits) if j not in (i, (i + 1) % k)],
                        splits[(i + 1) % k], splits[i]) for i in range(k)]
