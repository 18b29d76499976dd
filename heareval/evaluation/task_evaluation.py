"""Score one task's stored test predictions (docs/predictions-format.md) with the registry's scores."""

import math
import zipfile
from pathlib import Path
from typing import Any, Dict, Sequence

import numpy as np

from heareval.errors import UserError
from heareval.predictions.layout import DONE_MARKER, arrangements
from heareval.score import EVENT, SCENE, score_function
from heareval.taskformat import label_vocabulary, load_task_metadata, read_events, read_json


def has_predictions(task_dir: Path) -> bool:
    return (task_dir / DONE_MARKER).is_file()


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


def frame_scores(arrays: Dict[str, np.ndarray], path: Path) -> Dict[str, Dict[str, Any]]:
    """{file: {"timestamps", "probabilities"}} from the stored frame-level predictions."""
    if "filenames" not in arrays or "timestamps" not in arrays:
        raise UserError(f"malformed prediction file {path}: event predictions need filenames and timestamps")
    names, times, probabilities = arrays["filenames"], arrays["timestamps"], arrays["probabilities"]
    if names.shape != (len(probabilities),) or times.shape != (len(probabilities),):
        raise UserError(f"malformed prediction file {path}: filenames {names.shape} and timestamps {times.shape} "
                        f"must have one entry per row ({len(probabilities)})")
    if times.dtype.kind not in "iuf" or not np.isfinite(times).all():
        raise UserError(f"malformed prediction file {path}: timestamps must be finite numbers")
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
    vocabulary = list(label_to_idx)
    arrays = read_predictions(path, vocabulary)
    is_event = metadata["embedding_type"] == "event"
    reference = events = frames = None
    if is_event:
        reference = read_events(task_dir / f"{split}.json", vocabulary)
        events_path = task_dir / f"{split}.predicted-events.json"
        events = read_events(events_path, vocabulary)
        frames = frame_scores(arrays, path)
        for source, files in ((events_path, set(events)), (path, set(frames))):
            if not files <= set(reference):
                raise UserError(f"{source}: file {sorted(files - set(reference))[0]!r} is not in the task's "
                                f"{split}.json")
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
