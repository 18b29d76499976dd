"""The one registry of scores, under the names task_metadata.json uses, and what callers ask of a score.

Each entry declares its function, which predictions it reads (scene arrays, events, or frame-level
probabilities), whether higher is better, its chance level, and whether a HEAR 2021 task's metadata
names it or it is one of heareval's extra scores. Compatible with the original kit's API:
`available_scores[name](label_to_idx=...)` gives a callable `(predictions, targets)`. Scene scores return
a float; event and frame scores return `((name, value), ...)` with the primary value first.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Type

import numpy as np

from heareval.errors import UserError
from heareval.score.base import EVENT, FRAME, SCENE, ScoreFunction
from heareval.score.classification import AUCROC, ChromaAccuracy, DPrime, MeanAveragePrecision, Top1Accuracy
from heareval.score.dcase import FrameScore
from heareval.score.events import EventBasedScore, SegmentBasedScore

__all__ = ["EVENT", "FRAME", "SCENE", "Chance", "ScoreEntry", "ScoreFunction", "REGISTRY", "available_scores",
           "score_entry", "score_function", "defined_mean_and_std", "primary_value", "scalar_scores", "is_better"]


@dataclass(frozen=True)
class Chance:
    """What predicting without listening scores: a fixed `value`; or one over the number of labels (at most
    `label_cap` of them: chroma has 12); or the test targets' rate of positives (average precision's)."""

    value: Optional[float] = None
    one_in_labels: bool = False
    label_cap: Optional[int] = None
    positive_rate: bool = False

    def level(self, n_labels: int, positive_rate: Callable[[], float]) -> float:
        if self.one_in_labels:
            return 1.0 / min(n_labels, self.label_cap or n_labels)
        if self.positive_rate:
            return positive_rate()
        return float(self.value)


@dataclass(frozen=True)
class ScoreEntry:
    """A score's declaration. `kind` is its function's (which predictions it reads)."""

    name: str
    function: Type[ScoreFunction]
    maximize: bool
    chance: Chance
    in_task_metadata: bool = True  # named by a HEAR 2021 task's `evaluation`; else an extra score
    arguments: Dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.function.kind

    def build(self, label_to_idx: Mapping[str, int]) -> ScoreFunction:
        return self.function(label_to_idx=label_to_idx, name=self.name, maximize=self.maximize, **self.arguments)

    def applies_to(self, embedding_type: str) -> bool:
        """Scene scores apply to scene tasks; event and frame-level scores to event tasks."""
        return (self.kind == SCENE) == (embedding_type == "scene")


def _event_f(collar: float, offset: bool, length: float) -> Dict[str, Any]:
    return {"params": dict(evaluate_onset=True, evaluate_offset=offset, t_collar=collar, percentage_of_length=length)}


REGISTRY: Dict[str, ScoreEntry] = {entry.name: entry for entry in [
    ScoreEntry("top1_acc", Top1Accuracy, True, Chance(one_in_labels=True)),
    ScoreEntry("pitch_acc", Top1Accuracy, True, Chance(one_in_labels=True)),
    ScoreEntry("chroma_acc", ChromaAccuracy, True, Chance(one_in_labels=True, label_cap=12)),
    ScoreEntry("mAP", MeanAveragePrecision, True, Chance(positive_rate=True)),
    ScoreEntry("d_prime", DPrime, True, Chance(value=0.0)),
    ScoreEntry("aucroc", AUCROC, True, Chance(value=0.5)),
    # event F-measures: no detections score 0; predicting nothing deletes every reference: error rate 1
    ScoreEntry("event_onset_200ms_fms", EventBasedScore, True, Chance(value=0.0), arguments=_event_f(0.2, False, 0.5)),
    ScoreEntry("event_onset_50ms_fms", EventBasedScore, True, Chance(value=0.0), arguments=_event_f(0.05, False, 0.5)),
    ScoreEntry("event_onset_offset_50ms_20perc_fms", EventBasedScore, True, Chance(value=0.0),
               arguments=_event_f(0.05, True, 0.2)),
    ScoreEntry("segment_1s_er", SegmentBasedScore, False, Chance(value=1.0),
               arguments={"params": dict(time_resolution=1.0)}),
    # DCASE 2022 task 4 baseline settings
    ScoreEntry("psds1", FrameScore, True, Chance(value=0.0), in_task_metadata=False, arguments={
        "metric": "psds", "params": dict(dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=None, alpha_ct=0.0,
                                         alpha_st=1.0, max_efpr=100.0)}),
    ScoreEntry("psds2", FrameScore, True, Chance(value=0.0), in_task_metadata=False, arguments={
        "metric": "psds", "params": dict(dtc_threshold=0.1, gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5,
                                         alpha_st=1.0, max_efpr=100.0)}),
    ScoreEntry("intersection_f1", FrameScore, True, Chance(value=0.0), in_task_metadata=False, arguments={
        "metric": "intersection_f1", "params": dict(threshold=0.5, dtc_threshold=0.5, gtc_threshold=0.5)}),
    ScoreEntry("collar_f1", FrameScore, True, Chance(value=0.0), in_task_metadata=False, arguments={
        "metric": "collar_f1", "params": dict(threshold=0.5, onset_collar=0.2, offset_collar=0.2,
                                              offset_collar_rate=0.2)}),
]}

available_scores: Dict[str, Callable[..., ScoreFunction]] = {name: entry.build for name, entry in REGISTRY.items()}


def score_entry(name: str) -> ScoreEntry:
    if name not in REGISTRY:
        raise UserError(f"unknown score {name!r}; valid scores: {', '.join(REGISTRY)}")
    return REGISTRY[name]


def score_function(name: str, label_to_idx: Mapping[str, int]) -> ScoreFunction:
    return score_entry(name).build(label_to_idx)


def scalar_scores(name: str, value: Any, primary_part_too: bool = False) -> Dict[str, float]:
    """A score's value as named numbers: `name` for the primary value, `<name>_<part>` for an event or
    frame score's other parts (and for the primary part as well with `primary_part_too`, as the original
    kit's test-scores file has them)."""
    parts = value[0 if primary_part_too else 1:] if isinstance(value, tuple) else ()
    return {name: primary_value(value), **{f"{name}_{part}": float(v) for part, v in parts}}


def defined_mean_and_std(values: Sequence[Optional[float]]) -> Dict[str, float]:
    """Mean and sample standard deviation (ddof=1, pandas' default, as the original kit reported folds) of a
    score over folds or seeds, leaving out those where it is undefined (None or NaN); the std is NaN with
    fewer than two defined values, the mean with none."""
    defined = [v for v in values if v is not None and not math.isnan(v)]
    with np.errstate(invalid="ignore"):  # infinite values (d_prime of a perfect split): std NaN, as pandas gives
        return {"mean": float(np.mean(defined)) if defined else math.nan,
                "std": float(np.std(defined, ddof=1)) if len(defined) > 1 else math.nan}


def primary_value(value: Any) -> float:
    """A score's primary number (the first of an event score's pairs)."""
    return float(value[0][1]) if isinstance(value, tuple) else float(value)


def is_better(score: float, than: float, maximize: bool) -> bool:
    """Strictly better in the score's direction; NaN is never better, anything beats NaN."""
    if math.isnan(score):
        return False
    if math.isnan(than):
        return True
    return score > than if maximize else score < than
