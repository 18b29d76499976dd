"""The predictions folder (docs/predictions-format.md): the files the predictions stage writes into an
embedding task folder, its completion marker, which splits each training run uses, and the writer and
checked reader of the stored predictions. Written by the predictions stage, read by the evaluation stage
(without importing Lightning)."""

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from heareval.atomic import write_json
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


def write_predictions(out_dir: Path, test_split: str, arrays: Dict[str, np.ndarray], labels: Sequence[str],
                      events: Optional[Dict[str, List[Dict[str, Any]]]] = None) -> None:
    """A test split's predictions: the arrays (`probabilities`, `targets`, event tasks' `filenames` and
    `timestamps`) with the vocabulary as `labels`, and an event task's post-processed events."""
    np.savez_compressed(out_dir / predictions_file(test_split), labels=np.array(labels), **arrays)
    if events is not None:
        write_json(out_dir / events_file(test_split), events)


def read_predictions(path: Path, vocabulary: Sequence[str]) -> Dict[str, np.ndarray]:
    """A split's stored predictions, checked against the task's label vocabulary: a file that would still
    give a number (probabilities of another task, NaNs argmaxed to the first class) must not."""
    if not path.is_file():
        raise UserError(f"missing prediction file: {path}")
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise UserError(f"malformed prediction file {path}: {error}") from None

    def malformed(problem: str) -> UserError:
        return UserError(f"malformed prediction file {path}: {problem}")

    for key in ("probabilities", "targets"):
        if key not in arrays:
            raise malformed(f"no {key!r} array")
        if arrays[key].dtype.kind not in "biuf":
            raise malformed(f"{key} are {arrays[key].dtype}, not numbers")
    probabilities, targets = arrays["probabilities"], arrays["targets"]
    expected = (len(targets), len(vocabulary))
    if probabilities.shape != targets.shape or targets.shape != expected or not len(targets):
        raise malformed(f"probabilities {probabilities.shape} and targets {targets.shape}: expected both "
                        f"(rows, {len(vocabulary)}) for the {len(vocabulary)} labels of labelvocabulary.csv, "
                        "at least one row")
    if "labels" in arrays and [str(label) for label in arrays["labels"]] != list(vocabulary):
        raise malformed("its labels differ from labelvocabulary.csv")
    if not np.isfinite(probabilities).all() or probabilities.min() < 0 or probabilities.max() > 1:
        raise malformed("probabilities must be finite and within [0, 1]")
    if not np.isin(targets, (0, 1)).all():
        raise malformed("targets must be 0 or 1")
    return arrays
