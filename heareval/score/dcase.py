"""DCASE-style metrics from frame-level scores with sed_scores_eval (PSDS, intersection and collar F1).

Reference: Ebbers, Haeb-Umbach, Serizel, "Threshold independent evaluation of sound event detection
scores", ICASSP 2022; Bilen et al., "A framework for the robust evaluation of sound event detection",
ICASSP 2020 (PSDS).
"""

import functools
import sys
from types import ModuleType
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np

from heareval.score.base import FRAME, ScoreFunction

ABSENT = object()


def writable_arrays(function: Callable) -> Callable:
    """`function` called with writable copies of any read-only array arguments."""
    @functools.wraps(function)
    def call(*args: Any, **kwargs: Any) -> Any:
        def writable(value: Any) -> Any:
            return np.require(value, requirements="W") if isinstance(value, np.ndarray) else value

        return function(*map(writable, args), **{key: writable(value) for key, value in kwargs.items()})

    call.writable_arrays = True  # type: ignore[attr-defined]
    return call


@functools.lru_cache(maxsize=None)
def load_sed_scores_eval() -> ModuleType:
    """sed_scores_eval, importable and usable on the stacks heareval supports.

    Through sed_eval it imports dcase_util, whose modules `import pkg_resources` at import time although only
    functions heareval never calls use it; setuptools 81 dropped pkg_resources and Python 3.12+ venvs have no
    setuptools at all. Where it is missing, an empty placeholder stands in during this import only, so the
    user's environment is neither pinned back nor left with a fake module.

    sed_scores_eval 0.0.4's Cython event detection takes typed memoryviews, which refuse read-only arrays, and
    under pandas 3 (copy-on-write) the score frames' to_numpy() returns read-only views: its detection gets
    writable copies instead (with pandas 2 the arrays are writable and nothing is copied)."""
    try:
        import pkg_resources  # noqa: F401
        placeholder = None
    except ImportError:
        placeholder = ModuleType("pkg_resources", "stand-in while dcase_util is imported; see heareval.score.dcase")
    before = sys.modules.get("pkg_resources", ABSENT)
    if placeholder is not None:
        sys.modules["pkg_resources"] = placeholder
    try:
        import sed_scores_eval
        from sed_scores_eval.base_modules import scores, statistics  # noqa: F401 (scores: used as an attribute)
    finally:
        if placeholder is not None:
            if before is ABSENT:
                sys.modules.pop("pkg_resources", None)
            else:
                sys.modules["pkg_resources"] = before
    if not getattr(statistics.onset_offset_curves, "writable_arrays", False):
        statistics.onset_offset_curves = writable_arrays(statistics.onset_offset_curves)
    return sed_scores_eval


def frame_boundaries(timestamps_ms: np.ndarray) -> np.ndarray:
    """Frame edges in seconds from frame centres: midpoints, and half a hop beyond the ends."""
    centres = np.asarray(timestamps_ms, dtype=float) / 1000.0
    if len(centres) == 1:
        return np.array([max(0.0, centres[0] - 0.025), centres[0] + 0.025])
    hop = float(np.median(np.diff(centres)))
    middle = (centres[1:] + centres[:-1]) / 2
    return np.concatenate([[max(0.0, centres[0] - hop / 2)], middle, [centres[-1] + hop / 2]])


def score_dataframes(predictions: Mapping[str, Mapping[str, Any]], labels: Sequence[str],
                     columns_of: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """sed_scores_eval score frames of `labels`; `columns_of` names every probability column (default: labels)."""
    create_score_dataframe = load_sed_scores_eval().base_modules.scores.create_score_dataframe

    columns_of = [str(x) for x in (columns_of or labels)]
    keep = [columns_of.index(str(label)) for label in labels]
    frames = {}
    for filename, frame_scores in predictions.items():
        probabilities = np.asarray(frame_scores["probabilities"], dtype=float)[:, keep]
        edges = frame_boundaries(np.asarray(frame_scores["timestamps"]))
        frames[audio_id(filename)] = create_score_dataframe(probabilities, edges, [str(x) for x in labels])
    return frames


def audio_id(filename: str) -> str:
    return filename[:-4] if filename.endswith(".wav") else filename


def merge_overlapping(events: Sequence[Tuple[float, float, str]]) -> list:
    """Join touching or overlapping reference events of one class (sed_scores_eval requires disjoint ones)."""
    merged: list = []
    for onset, offset, label in sorted(events, key=lambda e: (e[2], e[0], e[1])):
        if merged and merged[-1][2] == label and onset <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], offset), label)
        else:
            merged.append((onset, offset, label))
    return merged


def compute(metric: str, params: Dict[str, Any], predictions: Mapping, targets: Mapping, labels: Sequence[str],
            audio_durations: Optional[Mapping[str, float]] = None) -> Tuple[Tuple[str, float], ...]:
    """The metric over the classes that have reference events (like mAP; others have no defined value)."""
    all_labels = [str(label) for label in labels]
    sed_scores_eval = load_sed_scores_eval()
    collar_based, intersection_based = sed_scores_eval.collar_based, sed_scores_eval.intersection_based
    present = {str(e["label"]) for events in targets.values() for e in events}
    labels = [label for label in labels if str(label) in present]  # sed_scores_eval needs events per class
    if not labels:
        return (("psds", float("nan")),) if metric == "psds" else (("f_measure", float("nan")),)
    scores = score_dataframes(predictions, labels, all_labels)
    ground_truth = {audio_id(f): merge_overlapping([(e["start"] / 1000.0, e["end"] / 1000.0, str(e["label"]))
                                                    for e in events])
                    for f, events in targets.items() if audio_id(f) in scores}
    for key in scores:
        ground_truth.setdefault(key, [])
    if metric == "psds":
        durations = {audio_id(f): float(d) for f, d in (audio_durations or {}).items()}
        for key, frame in scores.items():
            durations.setdefault(key, float(frame["offset"].iloc[-1]))
        value = intersection_based.psds(scores, ground_truth, durations, unit_of_time="hour", **params)[0]
        return (("psds", float(value)),)
    if metric == "intersection_f1":
        f, p, r, _ = intersection_based.fscore(scores, ground_truth, **params)
    elif metric == "collar_f1":
        f, p, r, _ = collar_based.fscore(scores, ground_truth, **params)
    else:
        raise ValueError(f"unknown DCASE metric {metric}")
    return (("f_measure", float(f["macro_average"])), ("precision", float(p["macro_average"])),
            ("recall", float(r["macro_average"])))


class FrameScore(ScoreFunction):
    """DCASE threshold-based and threshold-free metrics from frame-level scores, via sed_scores_eval."""

    kind = FRAME

    def __init__(self, label_to_idx: Mapping[str, int], metric: str, params: Dict[str, Any],
                 name: Optional[str] = None, maximize: bool = True) -> None:
        super().__init__(label_to_idx, name, maximize)
        self.metric, self.params = metric, params

    def __call__(self, predictions: Mapping, targets: Mapping, audio_durations: Optional[Mapping[str, float]] = None,
                 **kwargs: Any) -> Tuple[Tuple[str, float], ...]:
        return compute(self.metric, self.params, predictions, targets, self.labels, audio_durations)
