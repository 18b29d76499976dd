"""Finished predictions written directly in the predictions format, so that the evaluation tests need no
training (and no torch): from a task's own labels, through the format module's writer."""

import shutil
from pathlib import Path
from typing import Sequence

import numpy as np

from heareval import embeddingformat, predictionformat
from heareval.atomic import write_json
from heareval.predictionformat import DONE_MARKER, arrangements, write_predictions
from heareval.taskformat import (
    LABEL_VOCABULARY,
    TASK_METADATA,
    label_vocabulary,
    load_task_metadata,
    read_split_labels,
    write_label_vocabulary,
)

FRAME_MS = 50.0
# Both stages' cost files, with the keys heareval.cost.measure_cost writes.
COSTS = {stage: {"stage": stage, "wall_seconds": wall, "cpu_seconds": 2 * wall, "peak_memory_mb": 120.0,
                 "peak_gpu_memory_mb": None, "energy_kwh": None}
         for stage, wall in (("embeddings", 3.0), ("predictions", 7.0))}


def write_predictions_from_labels(task_dir: Path, out_dir: Path, seed: int = 0) -> Path:
    """A finished task's predictions folder in out_dir (the task's files copied there unless it is the task
    folder itself): each test split's predictions drawn around its true labels, right in most rows (scene)
    or the reference events themselves with frame scores around them (event); both stages' costs (COSTS);
    the done marker last."""
    rng = np.random.default_rng(seed)
    metadata = load_task_metadata(task_dir)
    labels = label_vocabulary(task_dir)
    if out_dir != task_dir:
        out_dir.mkdir(parents=True)
        for name in (TASK_METADATA, LABEL_VOCABULARY, *(f"{split}.json" for split in metadata.splits)):
            shutil.copyfile(task_dir / name, out_dir / name)
    index = {label: i for i, label in enumerate(labels)}
    for test in (arrangement.test for arrangement in arrangements(metadata)):
        truth = read_split_labels(task_dir / f"{test}.json", metadata.embedding_type, labels)
        if metadata.is_event:
            arrays = frame_predictions(truth, index, metadata.sample_duration, rng)
            write_predictions(out_dir, test, arrays, labels, events=truth)
            continue
        targets = np.zeros((len(truth), len(labels)), np.float32)
        for row, file_labels in enumerate(truth.values()):
            targets[row, [index[str(label)] for label in file_labels]] = 1
        probabilities = 0.6 * targets + rng.random(targets.shape)
        if metadata.is_multiclass:
            probabilities /= probabilities.sum(axis=1, keepdims=True)
        else:
            probabilities /= probabilities.max()
        write_predictions(out_dir, test, {"probabilities": probabilities.astype(np.float32), "targets": targets},
                          labels)
    write_json(out_dir / embeddingformat.COST, COSTS["embeddings"])
    write_json(out_dir / predictionformat.COST, COSTS["predictions"])
    write_json(out_dir / DONE_MARKER, {"time": COSTS["predictions"]["wall_seconds"]})
    return out_dir


def frame_predictions(truth: dict, index: dict, sample_duration, rng: np.random.Generator) -> dict:
    """Frames every FRAME_MS through each file, targets from its events, scores around the targets."""
    names, times, rows = [], [], []
    for name, events in truth.items():
        end = max([sample_duration * 1000.0 if sample_duration else 0.0] + [e["end"] + FRAME_MS for e in events])
        file_times = np.arange(0.0, end, FRAME_MS)
        targets = np.zeros((len(file_times), len(index)), np.float32)
        for event in events:
            targets[(file_times >= event["start"]) & (file_times <= event["end"]), index[str(event["label"])]] = 1
        names += [name] * len(file_times)
        times.append(file_times)
        rows.append(targets)
    targets = np.concatenate(rows)
    probabilities = np.clip(0.7 * targets + 0.3 * rng.random(targets.shape), 0, 1).astype(np.float32)
    return {"probabilities": probabilities, "targets": targets, "filenames": np.array(names),
            "timestamps": np.concatenate(times)}


def finished_scene_task(folder: Path, kfold: int = 0, multilabel: bool = False, rows: int = 60,
                        evaluation: Sequence[str] = (), seed: int = 0) -> Path:
    """A scene task of three labels (rows files per split) with its predictions, in one folder as the
    predictions stage leaves an embedding task folder."""
    rng = np.random.default_rng(seed)
    vocabulary = ["c0", "c1", "c2"]
    splits = [f"fold{i:02d}" for i in range(kfold)] if kfold else ["train", "valid", "test"]
    folder.mkdir(parents=True)
    write_json(folder / TASK_METADATA, {
        "task_name": folder.name, "embedding_type": "scene",
        "prediction_type": "multilabel" if multilabel else "multiclass",
        "split_mode": "new_split_kfold" if kfold else "trainvaltest", "splits": splits,
        "evaluation": list(evaluation) or (["mAP", "d_prime", "aucroc"] if multilabel else ["top1_acc"])})
    write_label_vocabulary(folder / LABEL_VOCABULARY, vocabulary)
    for split in splits:
        if multilabel:
            labels = [[label for label in vocabulary if rng.random() < 0.4] or ["c0"] for _ in range(rows)]
        else:
            labels = [[vocabulary[i]] for i in rng.integers(0, len(vocabulary), rows)]
        write_json(folder / f"{split}.json", {f"{split}-{row:03d}.wav": file_labels
                                              for row, file_labels in enumerate(labels)})
    return write_predictions_from_labels(folder, folder, seed)
