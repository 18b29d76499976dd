"""Score one task's stored test predictions (docs/predictions-format.md) with the registry's scores."""

import math
import zipfile
from pathlib import Path
from typing import Any, Dict, Sequence

import numpy as np

from heareval.errors import UserError
from heareval.predictions.layout import DONE_MARKER, arrangements
from heareval.score import EVENT, SCENE, score_function
from heareval.taskformat import label_vocabulary, load_task_metadata, read_json


def has_predictions(task_dir: Path) -> bool:
    return (task_dir / DONE_MARKER).is_file()


def read_predictions(path: Path) -> Dict[str, np.ndarray]:
    if not path.is_file():
        raise UserError(f"missing prediction file: {path}")
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise UserError(f"malformed prediction file {path}: {error}") from None
    for key in ("probabilities", "targets"):
        if key not in arrays:
            raise UserError(f"malformed prediction file {path}: no {key!r} array")
    if arrays["probabilities"].shape != arrays["targets"].shape:
        raise UserError(f"malformed prediction file {path}: probabilities {arrays['probabilities'].shape} "
                        f"and targets {arrays['targets'].shape} differ in shape")
    return arrays


def frame_scores(arrays: Dict[str, np.ndarray], path: Path) -> Dict[str, Dict[str, Any]]:
    """{file: {"timestamps", "probabilities"}} from the stored frame-level predictions."""
    if "filenames" not in arrays or "timestamps" not in arrays:
        raise UserError(f"malformed prediction file {path}: event predictions need filenames and timestamps")
    names, times, probabilities = arrays["filenames"], arrays["timestamps"], arrays["probabilities"]
    result = {}
    for name in np.unique(names):
        rows = np.nonzero(names == name)[0]
        rows = rows[np.argsort(times[rows], kind="stable")]
        result[str(name)] = {"timestamps": times[rows], "probabilities": probabilities[rows]}
    return result


def split_scores(task_dir: Path, split: str, score_names: Sequence[str], metadata: Dict[str, Any],
                 label_to_idx: Dict[str, int]) -> Dict[str, float]:
    """Every requested score of one test split; event scores add their sub-scores as `<name>_<part>`."""
    path = task_dir / f"{split}.predictions.npz"
    arrays = read_predictions(path)
    is_event = metadata["embedding_type"] == "event"
    reference = read_json(task_dir / f"{split}.json") if is_event else None
    events = read_json(task_dir / f"{split}.predicted-events.json") if is_event else None
    frames = frame_scores(arrays, path) if is_event else None
    duration = metadata.get("sample_duration")
    results: Dict[str, float] = {}
    for name in score_names:
        score = score_function(name, label_to_idx)
        if (score.kind == SCENE) == is_event:
            raise UserError(f"score {name!r} ({score.kind}) does not apply to {metadata['embedding_type']} "
                            f"task {task_dir.name}")
        if score.kind == SCENE:
            value = score(arrays["probabilities"], arrays["targets"])
        elif score.kind == EVENT:
            value = score(events, reference)
        else:
            durations = {f: float(duration) for f in frames} if duration else None
            value = score(frames, reference, audio_durations=durations)
        if isinstance(value, tuple):
            results[name] = float(value[0][1])
            results.update({f"{name}_{part}": float(v) for part, v in value[1:]})
        else:
            results[name] = float(value)
    return results


def evaluate_task(task_dir: Path, extra_scores: Sequence[str] = ()) -> Dict[str, Any]:
    """{score: value} for trainvaltest tasks; for k-fold tasks the fold mean, `<score>_std` and `folds`."""
    metadata = load_task_metadata(task_dir)
    vocabulary = label_vocabulary(task_dir)
    label_to_idx = {label: i for i, label in enumerate(vocabulary)}
    names = list(dict.fromkeys(list(metadata.get("evaluation", [])) + list(extra_scores)))
    tests = [a.test for a in arrangements(metadata)]
    per_split = {split: split_scores(task_dir, split, names, metadata, label_to_idx) for split in tests}
    if len(tests) == 1:
        result: Dict[str, Any] = dict(per_split[tests[0]])
    else:
        keys = list(per_split[tests[0]])
        result = {}
        for key in keys:
            values = [per_split[s][key] for s in tests if not math.isnan(per_split[s][key])]
            result[key] = float(np.mean(values)) if values else math.nan
            result[f"{key}_std"] = float(np.std(values)) if values else math.nan
        result["folds"] = per_split
    scores_file = task_dir / "test.predicted-scores.json"
    report = read_json(scores_file) if scores_file.is_file() else {}
    seed_summary = {t: report[t]["seed_summary"] for t in tests if "seed_summary" in report.get(t, {})}
    if seed_summary:
        result["seed_summary"] = seed_summary
    cost = {stage: read_json(task_dir / f"cost.{stage}.json") for stage in ("embeddings", "predictions")
            if (task_dir / f"cost.{stage}.json").is_file()}
    if cost:
        result["cost"] = cost
    result["primary_score"] = names[0] if names else None
    result["category"] = metadata.get("category")
    return result
