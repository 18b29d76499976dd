"""Scene scores over (files, labels) arrays of probabilities and one- or multi-hot targets: top-1 and
chroma accuracy, and the per-class averages mAP, AUC-ROC and d' (also under bootstrap weights)."""

import math
from dataclasses import dataclass
from typing import Any, Tuple

import numpy as np
from scipy.special import ndtri  # the standard normal's inverse CDF, scipy.stats.norm.ppf itself

from heareval.score.base import ScoreFunction


def sklearn_metrics() -> Any:
    """scikit-learn's metrics module, imported at first use: 0.4 s of start-up that event scores and
    --help do not need."""
    import sklearn.metrics

    return sklearn.metrics


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
