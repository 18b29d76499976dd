"""The one registry of score functions, under the names task_metadata.json uses.

Compatible with the original kit's API: `available_scores[name](label_to_idx=...)` gives a callable
`(predictions, targets)`. Scene scores take arrays (n_files, n_labels) of probabilities and one- or
multi-hot targets and return a float; event scores take `{filename: [{"label", "start", "end"}]}` (ms)
and return `((name, value), ...)` with the primary value first; frame scores (PSDS, DCASE F1) take
frame-level probabilities `{filename: {"timestamps": [ms], "probabilities": [[p per label]]}}`.
"""

import math
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy.special import ndtri  # the standard normal's inverse CDF, scipy.stats.norm.ppf itself

from heareval import event_metrics

SCENE, EVENT, FRAME = "scene", "event", "frame"


def sklearn_metrics() -> Any:
    """scikit-learn's metrics module, imported at first use: 0.4 s of start-up that event scores and
    --help do not need."""
    import sklearn.metrics

    return sklearn.metrics


class ScoreFunction:
    """A named score; `maximize` says whether higher is better, `kind` which predictions it reads."""

    name = ""
    kind = SCENE

    def __init__(self, label_to_idx: Mapping[str, int], name: Optional[str] = None, maximize: bool = True) -> None:
        self.label_to_idx = dict(label_to_idx)
        if name:
            self.name = name
        self.maximize = maximize

    @property
    def labels(self) -> list:
        return [label for label, _ in sorted(self.label_to_idx.items(), key=lambda kv: kv[1])]

    def __call__(self, predictions: Any, targets: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def __str__(self) -> str:
        return self.name


def _check_scene(predictions: np.ndarray, targets: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    predictions, targets = np.asarray(predictions), np.asarray(targets)
    if predictions.ndim != 2 or targets.shape != predictions.shape:
        raise ValueError(f"expected predictions and targets of equal shape (n, labels), got "
                         f"{predictions.shape} and {targets.shape}")
    return predictions, targets


class Top1Accuracy(ScoreFunction):
    name = "top1_acc"

    def __call__(self, predictions: np.ndarray, targets: np.ndarray, **kwargs: Any) -> float:
        predictions, targets = _check_scene(predictions, targets)
        return float(sklearn_metrics().accuracy_score(targets.argmax(axis=1), predictions.argmax(axis=1)))


class ChromaAccuracy(ScoreFunction):
    """Pitch accuracy ignoring octave errors (labels are consecutive semitones)."""

    name = "chroma_acc"

    def __call__(self, predictions: np.ndarray, targets: np.ndarray, **kwargs: Any) -> float:
        predictions, targets = _check_scene(predictions, targets)
        return float(sklearn_metrics().accuracy_score(targets.argmax(axis=1) % 12, predictions.argmax(axis=1) % 12))


class RankedPredictions:
    """Each class's rows ranked by prediction once (ties grouped), so that the per-class average
    precision and ROC AUC of any weighting of the rows cost cumulative sums instead of a sort per class.
    A bootstrap resample is such a weighting: each row weighs as often as it was drawn. Weighted, both
    equal scikit-learn's on the rows repeated (tested). Arrays are (classes, rows)."""

    def __init__(self, predictions: np.ndarray, targets: np.ndarray) -> None:
        predictions, targets = _check_scene(predictions, targets)
        self.order = np.argsort(-predictions.T, axis=1, kind="stable")
        ranked = np.take_along_axis(predictions.T, self.order, axis=1)
        self.positive = np.take_along_axis(targets.T, self.order, axis=1) > 0
        rows = np.arange(ranked.shape[1])
        starts = np.ones(ranked.shape, dtype=bool)
        starts[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
        ends = np.ones(ranked.shape, dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        self.group_start = np.maximum.accumulate(np.where(starts, rows, 0), axis=1)
        self.group_end = np.minimum.accumulate(np.where(ends, rows, len(rows) - 1)[:, ::-1], axis=1)[:, ::-1]

    def weighted(self, weights: np.ndarray) -> "WeightedRanking":
        """The ranking with each row counted `weights` times."""
        ranked_weights = weights.astype(float)[self.order]
        positive = np.where(self.positive, ranked_weights, 0.0)
        return WeightedRanking(self, positive, np.cumsum(positive, axis=1),
                               np.cumsum(ranked_weights - positive, axis=1))


@dataclass
class WeightedRanking:
    """Ranked positive weights, and the cumulative positive and negative weights down each class's ranking."""

    ranking: RankedPredictions
    positive: np.ndarray
    true_positives: np.ndarray
    false_positives: np.ndarray

    @property
    def class_positives(self) -> np.ndarray:
        return self.true_positives[:, -1]

    @property
    def class_negatives(self) -> np.ndarray:
        return self.false_positives[:, -1]

    def average_precision(self) -> np.ndarray:
        """Per class: sum over thresholds of recall gained times precision there."""
        tp_at = np.take_along_axis(self.true_positives, self.ranking.group_end, axis=1)
        fp_at = np.take_along_axis(self.false_positives, self.ranking.group_end, axis=1)
        precision = np.divide(tp_at, tp_at + fp_at, out=np.zeros_like(tp_at), where=tp_at + fp_at > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.positive * precision).sum(axis=1) / self.class_positives

    def roc_auc(self) -> np.ndarray:
        """Per class: the chance that a positive outranks a negative, ties counting half."""
        start, end = self.ranking.group_start, self.ranking.group_end
        fp_through_group = np.take_along_axis(self.false_positives, end, axis=1)
        before = np.take_along_axis(self.false_positives, np.maximum(start - 1, 0), axis=1)
        fp_before_group = np.where(start > 0, before, 0.0)
        negatives = self.class_negatives[:, None]
        outranked = negatives - fp_through_group + 0.5 * (fp_through_group - fp_before_group)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (self.positive * outranked).sum(axis=1) / (self.class_positives * self.class_negatives)


class MacroOverDefinedClasses(ScoreFunction):
    """A per-class score averaged over the classes where it is defined (NaN when there are none)."""

    need_negatives = True  # ROC needs both positives and negatives; AP needs positives only

    def __call__(self, predictions: np.ndarray, targets: np.ndarray, **kwargs: Any) -> float:
        predictions, targets = _check_scene(predictions, targets)
        positives = targets.sum(axis=0)
        defined = self.defined(positives, len(targets) - positives)
        if not defined.any():
            return math.nan
        return self.macro(predictions[:, defined], targets[:, defined])

    def defined(self, positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
        return (positives > 0) & ((negatives > 0) if self.need_negatives else True)

    def macro(self, predictions: np.ndarray, targets: np.ndarray) -> float:
        raise NotImplementedError

    def weighted(self, ranking: WeightedRanking) -> float:
        """The score with each row counted as often as the ranking's weights say (a bootstrap resample),
        without sorting again."""
        defined = self.defined(ranking.class_positives, ranking.class_negatives)
        if not defined.any():
            return math.nan
        return float(np.mean(self.per_class(ranking)[defined]))

    def per_class(self, ranking: WeightedRanking) -> np.ndarray:
        raise NotImplementedError


class MeanAveragePrecision(MacroOverDefinedClasses):
    """Macro average precision over the classes with at least one positive example."""

    name = "mAP"
    need_negatives = False

    def macro(self, predictions: np.ndarray, targets: np.ndarray) -> float:
        return float(sklearn_metrics().average_precision_score(targets, predictions, average="macro"))

    def per_class(self, ranking: WeightedRanking) -> np.ndarray:
        return ranking.average_precision()


class AUCROC(MacroOverDefinedClasses):
    """Macro ROC AUC over the classes with both positive and negative examples."""

    name = "aucroc"

    def macro(self, predictions: np.ndarray, targets: np.ndarray) -> float:
        return float(sklearn_metrics().roc_auc_score(targets, predictions, average="macro"))

    def per_class(self, ranking: WeightedRanking) -> np.ndarray:
        return ranking.roc_auc()


class DPrime(MacroOverDefinedClasses):
    """Mean over classes of sqrt(2) * inverse-normal(ROC AUC), classes as for aucroc."""

    name = "d_prime"

    def macro(self, predictions: np.ndarray, targets: np.ndarray) -> float:
        auc = sklearn_metrics().roc_auc_score(targets, predictions, average=None)
        return float(np.mean(ndtri(auc) * np.sqrt(2.0)))

    def per_class(self, ranking: WeightedRanking) -> np.ndarray:
        return ndtri(ranking.roc_auc()) * np.sqrt(2.0)


class ParametrizedEventScore(ScoreFunction):
    """An event score with sed_eval parameters (collars, segment length) from the task's metadata."""

    kind = EVENT

    def __init__(self, label_to_idx: Mapping[str, int], params: Dict[str, Any], name: Optional[str] = None,
                 maximize: bool = True) -> None:
        super().__init__(label_to_idx, name, maximize)
        self.params = params


class EventBasedScore(ParametrizedEventScore):
    """sed_eval's overall event-based F-measure (then precision, recall), vectorized."""

    def __call__(self, predictions: Mapping, targets: Mapping, **kwargs: Any) -> Tuple[Tuple[str, float], ...]:
        result = event_metrics.event_based(targets, predictions, self.labels, **self.params)
        return tuple((key, result[key]) for key in ("f_measure", "precision", "recall"))


class SegmentBasedScore(ParametrizedEventScore):
    """sed_eval's overall segment-based error rate (then its parts), vectorized."""

    def __init__(self, label_to_idx: Mapping[str, int], params: Dict[str, Any], name: Optional[str] = None,
                 maximize: bool = False) -> None:
        super().__init__(label_to_idx, params, name, maximize)

    def __call__(self, predictions: Mapping, targets: Mapping, **kwargs: Any) -> Tuple[Tuple[str, float], ...]:
        result = event_metrics.segment_based(targets, predictions, self.labels, **self.params)
        keys = ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate")
        return tuple((key, result[key]) for key in keys)


class FrameScore(ScoreFunction):
    """DCASE threshold-based and threshold-free metrics from frame-level scores, via sed_scores_eval."""

    kind = FRAME

    def __init__(self, label_to_idx: Mapping[str, int], metric: str, params: Dict[str, Any],
                 name: Optional[str] = None, maximize: bool = True) -> None:
        super().__init__(label_to_idx, name, maximize)
        self.metric, self.params = metric, params

    def __call__(self, predictions: Mapping, targets: Mapping, audio_durations: Optional[Mapping[str, float]] = None,
                 **kwargs: Any) -> Tuple[Tuple[str, float], ...]:
        from heareval import dcase_metrics

        return dcase_metrics.compute(self.metric, self.params, predictions, targets, self.labels, audio_durations)


available_scores: Dict[str, Callable[..., ScoreFunction]] = {
    "top1_acc": Top1Accuracy,
    "pitch_acc": partial(Top1Accuracy, name="pitch_acc"),
    "chroma_acc": ChromaAccuracy,
    "mAP": MeanAveragePrecision,
    "d_prime": DPrime,
    "aucroc": AUCROC,
    "event_onset_200ms_fms": partial(EventBasedScore, name="event_onset_200ms_fms", params=dict(
        evaluate_onset=True, evaluate_offset=False, t_collar=0.2, percentage_of_length=0.5)),
    "event_onset_50ms_fms": partial(EventBasedScore, name="event_onset_50ms_fms", params=dict(
        evaluate_onset=True, evaluate_offset=False, t_collar=0.05, percentage_of_length=0.5)),
    "event_onset_offset_50ms_20perc_fms": partial(EventBasedScore, name="event_onset_offset_50ms_20perc_fms",
                                                  params=dict(evaluate_onset=True, evaluate_offset=True,
                                                              t_collar=0.05, percentage_of_length=0.2)),
    "segment_1s_er": partial(SegmentBasedScore, name="segment_1s_er", params=dict(time_resolution=1.0)),
    # DCASE 2022 task 4 baseline settings
    "psds1": partial(FrameScore, name="psds1", metric="psds", params=dict(
        dtc_threshold=0.7, gtc_threshold=0.7, cttc_threshold=None, alpha_ct=0.0, alpha_st=1.0, max_efpr=100.0)),
    "psds2": partial(FrameScore, name="psds2", metric="psds", params=dict(
        dtc_threshold=0.1, gtc_threshold=0.1, cttc_threshold=0.3, alpha_ct=0.5, alpha_st=1.0, max_efpr=100.0)),
    "intersection_f1": partial(FrameScore, name="intersection_f1", metric="intersection_f1", params=dict(
        threshold=0.5, dtc_threshold=0.5, gtc_threshold=0.5)),
    "collar_f1": partial(FrameScore, name="collar_f1", metric="collar_f1", params=dict(
        threshold=0.5, onset_collar=0.2, offset_collar=0.2, offset_collar_rate=0.2)),
}


def score_function(name: str, label_to_idx: Mapping[str, int]) -> ScoreFunction:
    from heareval.errors import UserError

    if name not in available_scores:
        raise UserError(f"unknown score {name!r}; valid scores: {', '.join(available_scores)}")
    return available_scores[name](label_to_idx=label_to_idx)


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
