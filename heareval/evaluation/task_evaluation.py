"""Score one task's stored test predictions (docs/predictions-format.md) with the registry's scores."""

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from heareval import embeddingformat, predictionformat
from heareval.errors import UserError
from heareval.evaluation.bootstrap import percentile_intervals
from heareval.predictionformat import (
    DONE_MARKER,
    MLP,
    SCORES,
    arrangements,
    events_file,
    predictions_file,
    probe_dir,
    read_predictions,
)
from heareval.score import (
    EVENT,
    SCENE,
    ScoreFunction,
    defined_mean_and_std,
    primary_value,
    scalar_scores,
    score_entry,
    score_function,
)
from heareval.score.classification import MacroOverDefinedClasses, RankedPredictions
from heareval.score.events import Events
from heareval.taskformat import (
    TaskMetadata,
    label_vocabulary,
    load_task_metadata,
    read_events,
    read_json,
    split_labels_file,
)


def has_predictions(task_dir: Path, probe: str = MLP) -> bool:
    return (probe_dir(task_dir, probe) / DONE_MARKER).is_file()


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


@dataclass
class SplitPredictions:
    """One test split's checked predictions, with the reference events of an event task."""

    arrays: Dict[str, np.ndarray]
    events: Optional[Events] = None          # predicted events per file
    reference: Optional[Events] = None
    frames: Optional[Dict[str, Dict[str, Any]]] = None

    @property
    def units(self) -> int:
        """How many independent test items the bootstrap draws from: rows, or files of an event task."""
        return len(self.arrays["targets"]) if self.reference is None else len(self.reference)

    def resampled(self, draw: np.ndarray) -> "SplitPredictions":
        """The split with the drawn items, repeats included: a file drawn twice counts twice."""
        if self.reference is None:
            return SplitPredictions({key: self.arrays[key][draw] for key in ("probabilities", "targets")})
        files = list(self.reference)
        drawn = {f"{k}/{files[i]}": files[i] for k, i in enumerate(draw)}
        events = self.events or {}
        return SplitPredictions(self.arrays, {key: events.get(f, []) for key, f in drawn.items()},
                                {key: self.reference[f] for key, f in drawn.items()})


def read_split_predictions(task_dir: Path, split: str, metadata: TaskMetadata,
                           vocabulary: Sequence[str], outputs: Optional[Path] = None) -> SplitPredictions:
    """A test split's stored predictions (and for an event task its events and reference), checked;
    `outputs`: the predictions folder, when not the task folder itself (the probes')."""
    outputs = outputs or task_dir
    path = outputs / predictions_file(split)
    arrays = read_predictions(path, vocabulary)
    if not metadata.is_event:
        return SplitPredictions(arrays)
    reference = read_events(task_dir / split_labels_file(split), vocabulary)
    events_path = outputs / events_file(split)
    events = read_events(events_path, vocabulary)
    frames = frame_scores(arrays, path)
    for source, files in ((events_path, set(events)), (path, set(frames))):
        if not files <= set(reference):
            raise UserError(f"{source}: file {sorted(files - set(reference))[0]!r} is not in the task's "
                            f"{split_labels_file(split)}")
    return SplitPredictions(arrays, events, reference, frames)


def task_scores(task_dir: Path, score_names: Sequence[str], metadata: TaskMetadata,
                label_to_idx: Dict[str, int]) -> List[ScoreFunction]:
    """The named scores, refused where they do not apply to the task's kind of predictions."""
    for name in score_names:
        entry = score_entry(name)
        if not entry.applies_to(metadata.embedding_type):
            raise UserError(f"score {name!r} ({entry.kind}) does not apply to {metadata.embedding_type} "
                            f"task {task_dir.name}")
    return [score_function(name, label_to_idx) for name in score_names]


def score_value(score: ScoreFunction, data: SplitPredictions, duration: Optional[float]) -> Any:
    """One score on one split: a number, or (name, value) pairs for event scores with sub-scores."""
    if score.kind == SCENE:
        return score(data.arrays["probabilities"], data.arrays["targets"])
    if score.kind == EVENT:
        return score(data.events, data.reference)
    durations = {f: float(duration) for f in data.frames} if duration else None
    return score(data.frames, data.reference, audio_durations=durations)


def split_scores(data: SplitPredictions, scores: Sequence[ScoreFunction],
                 duration: Optional[float]) -> Dict[str, float]:
    """Every score of one test split; event scores add their sub-scores as `<name>_<part>`."""
    results: Dict[str, float] = {}
    for score in scores:
        results.update(scalar_scores(score.name, score_value(score, data, duration)))
    return results


def confidence_intervals(splits: Sequence[SplitPredictions], scores: Sequence[ScoreFunction],
                         duration: Optional[float], resamples: int, confidence: float,
                         description: str) -> Dict[str, List[float]]:
    """`<score>_ci`: a percentile bootstrap interval of each score (of the fold mean for k-fold tasks),
    test items drawn again within each split. Per-class averages (mAP, AUC, d') reweight each split's
    ranking, sorted once, instead of sorting every resample. The frame-level DCASE scores are left out:
    each resample would cost a whole PSDS computation."""
    drawn = [score for score in scores if score.kind in (SCENE, EVENT)]
    reweighted = [isinstance(score, MacroOverDefinedClasses) for score in drawn]
    rankings = [RankedPredictions(data.arrays["probabilities"], data.arrays["targets"])
                if any(reweighted) and data.reference is None else None for data in splits]

    def split_values(data: SplitPredictions, ranked: Optional[RankedPredictions], draw: np.ndarray) -> List[float]:
        ranking = ranked.weighted(np.bincount(draw, minlength=data.units)) if ranked else None
        resampled = data.resampled(draw) if not (ranking and all(reweighted)) else None
        return [score.weighted(ranking) if ranking and by_weight
                else primary_value(score_value(score, resampled, duration))
                for score, by_weight in zip(drawn, reweighted)]

    def statistic(draws: List[np.ndarray]) -> np.ndarray:
        per_split = [split_values(data, ranked, draw) for data, ranked, draw in zip(splits, rankings, draws)]
        return np.array([defined_mean_and_std(values)["mean"] for values in zip(*per_split)])

    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a resample without some class makes scikit-learn warn
        intervals = percentile_intervals(statistic, [data.units for data in splits], resamples, confidence,
                                         description=description)
    return {f"{score.name}_ci": list(interval) for score, interval in zip(drawn, intervals)}


def evaluate_task(task_dir: Path, extra_scores: Sequence[str] = (), bootstrap: int = 0,
                  confidence: float = 0.95, probe: str = MLP) -> Dict[str, Any]:
    """{score: value} of one probe's predictions (the MLP's by default) for trainvaltest tasks; for k-fold
    tasks the fold mean, `<score>_std` and `folds`. With `bootstrap` resamples, also `<score>_ci` intervals at
    the `confidence` level."""
    outputs = probe_dir(task_dir, probe)
    metadata = load_task_metadata(task_dir)
    vocabulary = label_vocabulary(task_dir)
    label_to_idx = {label: i for i, label in enumerate(vocabulary)}
    names = list(dict.fromkeys(list(metadata.evaluation) + list(extra_scores)))
    scores = task_scores(task_dir, names, metadata, label_to_idx)
    duration = metadata.sample_duration
    tests = [a.test for a in arrangements(metadata)]
    data = {split: read_split_predictions(task_dir, split, metadata, vocabulary, outputs) for split in tests}
    per_split = {split: split_scores(data[split], scores, duration) for split in tests}
    if len(tests) == 1:
        result: Dict[str, Any] = dict(per_split[tests[0]])
    else:
        result = {}
        for key in per_split[tests[0]]:
            folds = defined_mean_and_std([per_split[s][key] for s in tests])
            result[key], result[f"{key}_std"] = folds["mean"], folds["std"]
        result["folds"] = per_split
    if bootstrap:
        result.update(confidence_intervals([data[s] for s in tests], scores, duration, bootstrap, confidence,
                                           f"{task_dir.name} bootstrap"))
        result["bootstrap"] = {"resamples": bootstrap, "confidence": confidence,
                               "drawn": "files" if metadata.is_event else "rows"}
    scores_file = outputs / SCORES
    report = read_json(scores_file) if scores_file.is_file() else {}
    seed_summary = {t: report[t]["seed_summary"] for t in tests if "seed_summary" in report.get(t, {})}
    if seed_summary:
        result["seed_summary"] = seed_summary
    cost = {stage: read_json(folder / name) for stage, folder, name in (
        ("embeddings", task_dir, embeddingformat.COST), ("predictions", outputs, predictionformat.COST))
            if (folder / name).is_file()}
    if cost:
        result["cost"] = cost
    result["primary_score"] = names[0] if names else None
    result["category"] = metadata.category
    result["probe"] = probe
    return result
