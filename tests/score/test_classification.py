"""Scene scores against scikit-learn, and their bootstrap reweighting."""

import math

import numpy as np
import pytest
from scipy import stats
from sklearn.metrics import accuracy_score, average_precision_score, roc_auc_score

from heareval.score import available_scores, score_function
from heareval.score.classification import RankedPredictions

LABELS = ["a", "b", "c", "d"]
LABEL_TO_IDX = {label: i for i, label in enumerate(LABELS)}


def random_scene(rng, n=50, labels=4, multilabel=False):
    predictions = rng.random((n, labels))
    if multilabel:
        targets = (rng.random((n, labels)) < 0.4).astype(float)
    else:
        targets = np.eye(labels)[rng.integers(0, labels, n)]
    return predictions, targets


@pytest.mark.parametrize("seed", range(5))
def test_classification_scores_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    predictions, targets = random_scene(rng)
    assert available_scores["top1_acc"](label_to_idx=LABEL_TO_IDX)(predictions, targets) == accuracy_score(
        targets.argmax(1), predictions.argmax(1))
    assert available_scores["pitch_acc"](label_to_idx=LABEL_TO_IDX).name == "pitch_acc"
    multi_p, multi_t = random_scene(rng, multilabel=True)
    assert available_scores["mAP"](label_to_idx=LABEL_TO_IDX)(multi_p, multi_t) == pytest.approx(
        average_precision_score(multi_t, multi_p, average="macro"), abs=1e-12)
    assert available_scores["aucroc"](label_to_idx=LABEL_TO_IDX)(multi_p, multi_t) == pytest.approx(
        roc_auc_score(multi_t, multi_p, average="macro"), abs=1e-12)
    expected = np.mean(stats.norm().ppf(roc_auc_score(multi_t, multi_p, average=None)) * np.sqrt(2))
    d_prime = available_scores["d_prime"](label_to_idx=LABEL_TO_IDX)(multi_p, multi_t)
    assert d_prime == pytest.approx(expected, abs=1e-12)


def test_chroma_accuracy_ignores_octaves():
    labels = {str(p): i for i, p in enumerate(range(21, 109))}
    targets = np.eye(88)[[0, 12, 5]]
    predictions = np.eye(88)[[12, 24, 6]]  # octave errors, octave errors, a semitone off
    chroma = available_scores["chroma_acc"](label_to_idx=labels)
    assert chroma(predictions, targets) == pytest.approx(accuracy_score([0, 0, 5], [0, 0, 6]))
    assert available_scores["pitch_acc"](label_to_idx=labels)(predictions, targets) == 0.0


def test_class_never_present_is_left_out_of_macro_averages():
    rng = np.random.default_rng(1)
    predictions, targets = random_scene(rng, multilabel=True)
    targets[:, 2] = 0
    keep = [0, 1, 3]
    assert available_scores["mAP"](label_to_idx=LABEL_TO_IDX)(predictions, targets) == pytest.approx(
        average_precision_score(targets[:, keep], predictions[:, keep], average="macro"))
    assert available_scores["aucroc"](label_to_idx=LABEL_TO_IDX)(predictions, targets) == pytest.approx(
        roc_auc_score(targets[:, keep], predictions[:, keep], average="macro"))


def test_the_originals_macro_averages_differ_where_a_class_is_absent():
    """A deliberate difference (README, Evaluation): the original kit (heareval 2021.1.3) called scikit-learn
    on every column, so an absent class counted as an AP of 0 and made aucroc and d_prime NaN."""
    import warnings

    rng = np.random.default_rng(1)
    predictions, targets = random_scene(rng, multilabel=True)
    targets[:, 2] = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        original_map = average_precision_score(targets, predictions, average="macro")
        try:  # older scikit-learn raised here, and the original returned NaN; newer returns NaN itself
            original_auc = roc_auc_score(targets, predictions, average="macro")
        except ValueError:
            original_auc = math.nan
    ours = available_scores["mAP"](label_to_idx=LABEL_TO_IDX)(predictions, targets)
    assert original_map == pytest.approx(ours * 3 / 4), "the absent class adds an AP of 0 to the original's mean"
    assert math.isnan(original_auc)
    assert not math.isnan(available_scores["aucroc"](label_to_idx=LABEL_TO_IDX)(predictions, targets))
    assert math.isnan(available_scores["d_prime"](label_to_idx=LABEL_TO_IDX)(predictions, np.zeros_like(targets)))


@pytest.mark.parametrize("seed", range(8))
def test_reweighted_rankings_equal_sklearn_on_the_rows_repeated(seed):
    """A bootstrap resample as row weights over one ranking: ties (rounded predictions), rows drawn
    twice or not at all, classes left without positives or negatives by the draw."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 80))
    predictions = np.round(rng.random((n, 5)), 1)
    targets = (rng.random((n, 5)) < [0.02, 0.1, 0.5, 0.9, 0.98]).astype(float)
    ranked = RankedPredictions(predictions, targets)
    for _ in range(10):
        draw = rng.integers(0, n, n)
        p, t = predictions[draw], targets[draw]
        ranking = ranked.weighted(np.bincount(draw, minlength=n))
        has_positives = t.sum(0) > 0
        both = has_positives & (t.sum(0) < n)
        np.testing.assert_allclose(ranking.average_precision()[has_positives],
                                   [average_precision_score(t[:, c], p[:, c]) for c in np.flatnonzero(has_positives)],
                                   rtol=1e-12)
        np.testing.assert_allclose(ranking.roc_auc()[both],
                                   [roc_auc_score(t[:, c], p[:, c]) for c in np.flatnonzero(both)], rtol=1e-12)
        for name in ("mAP", "aucroc", "d_prime"):
            score = score_function(name, LABEL_TO_IDX | {"e": 4})
            np.testing.assert_allclose(score.weighted(ranking), score(p, t), rtol=1e-12, equal_nan=True)
        mean_auc = score_function("aucroc", LABEL_TO_IDX | {"e": 4}).weighted(ranking)
        assert mean_auc == pytest.approx(roc_auc_score(t[:, both], p[:, both], average="macro"), rel=1e-12) \
            if both.any() else math.isnan(mean_auc), "classes all positive or all negative are left out"
