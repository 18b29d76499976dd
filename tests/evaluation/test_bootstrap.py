"""Bootstrap confidence intervals: against scipy's percentile bootstrap, and on stored task predictions."""

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import bootstrap as scipy_bootstrap

from heareval.evaluation.bootstrap import percentile_intervals
from heareval.evaluation.task_evaluation import SplitPredictions, evaluate_task, read_split_predictions
from heareval.predictionformat import DONE_MARKER
from heareval.score import score_function
from heareval.taskformat import label_vocabulary, load_task_metadata
from tests.evaluation.conftest import finished_scene_task
from tests.evaluation.test_task_evaluation import LABELS, event_predictions

RESAMPLES = 4000
# Monte Carlo error of a 2.5% percentile of 4000 resamples of these means: about 0.006. A wrong tail
# (5% instead of 2.5%) moves an end by about 0.04.
TOLERANCE = 0.02


@pytest.mark.parametrize("confidence", [0.95, 0.8])
def test_intervals_equal_scipys_percentile_bootstrap(confidence):
    x = np.random.default_rng(1).normal(size=60)
    ours = percentile_intervals(lambda draws: np.array([x[draws[0]].mean()]), [len(x)], RESAMPLES, confidence)
    theirs = scipy_bootstrap((x,), np.mean, n_resamples=RESAMPLES, confidence_level=confidence,
                             method="percentile", random_state=np.random.default_rng(2)).confidence_interval
    np.testing.assert_allclose(ours[0], (theirs.low, theirs.high), atol=TOLERANCE)


def test_groups_are_drawn_independently_like_scipys_unpaired_samples():
    rng = np.random.default_rng(3)
    folds = [rng.normal(size=40), rng.normal(loc=1.0, size=70)]
    ours = percentile_intervals(lambda draws: np.array([np.mean([f[d].mean() for f, d in zip(folds, draws)])]),
                                [len(f) for f in folds], RESAMPLES, 0.95)
    theirs = scipy_bootstrap(folds, lambda a, b: (a.mean() + b.mean()) / 2, n_resamples=RESAMPLES, paired=False,
                             vectorized=False, method="percentile",
                             random_state=np.random.default_rng(4)).confidence_interval
    np.testing.assert_allclose(ours[0], (theirs.low, theirs.high), atol=TOLERANCE)


def test_each_resample_draws_as_many_items_as_each_group_has():
    seen = []

    def statistic(draws):
        seen.append([(len(d), d.min(), d.max()) for d in draws])
        return np.zeros(1)

    percentile_intervals(statistic, [1, 5, 40], 50, 0.95)
    assert all([n for n, _, _ in groups] == [1, 5, 40] for groups in seen) and len(seen) == 50
    assert all(low >= 0 and high < n for groups in seen for (n, low, high) in groups)
    assert len({tuple(groups[2]) for groups in seen}) > 1, "a new draw each time"


def test_undefined_resamples_are_left_out_and_intervals_are_reproducible():
    x = np.arange(10.0)

    def statistic(draws):
        return np.array([np.nan if 0 in draws[0] else x[draws[0]].mean(), np.nan])

    first = percentile_intervals(statistic, [10], 500, 0.9)
    assert all(math.isfinite(v) for v in first[0]) and first[0][0] < first[0][1]
    assert all(math.isnan(v) for v in first[1]), "NaN on every resample: no interval"
    assert percentile_intervals(statistic, [10], 500, 0.9) == first


def test_infinite_values_stay_in_the_interval():
    """d' is infinite on a resample where some class is separated perfectly: the interval says so."""
    x = np.arange(10.0)
    (low, high), = percentile_intervals(lambda draws: np.array([np.inf if 0 in draws[0] else x[draws[0]].mean()]),
                                        [10], 500, 0.9)
    assert math.isfinite(low) and high == np.inf


def scene_predictions(folder: Path, n: int = 90) -> Path:
    """A finished multilabel scene task written by hand, predictions rounded so that some tie."""
    rng = np.random.default_rng(5)
    folder.mkdir(parents=True)
    metadata = {"task_name": "tags", "embedding_type": "scene", "prediction_type": "multilabel",
                "split_mode": "trainvaltest", "splits": ["train", "valid", "test"],
                "evaluation": ["mAP", "d_prime", "aucroc"]}
    (folder / "task_metadata.json").write_text(json.dumps(metadata))
    (folder / "labelvocabulary.csv").write_text("idx,label\n" + "".join(f"{i},t{i}\n" for i in range(4)))
    targets = (rng.random((n, 4)) < [0.05, 0.2, 0.5, 0.8]).astype(np.float32)
    probabilities = np.round(np.clip(0.3 * targets + 0.7 * rng.random((n, 4)), 0, 1), 2).astype(np.float32)
    np.savez(folder / "test.predictions.npz", probabilities=probabilities, targets=targets)
    (folder / DONE_MARKER).write_text("{}")
    return folder


def test_macro_scores_reweighted_give_the_intervals_of_scikit_learn_on_each_resample(tmp_path):
    task = scene_predictions(tmp_path / "tags")
    result = evaluate_task(task, bootstrap=300)
    arrays = np.load(task / "test.predictions.npz")
    p, t = arrays["probabilities"], arrays["targets"]
    scores = [score_function(name, {f"t{i}": i for i in range(4)}) for name in ("mAP", "d_prime", "aucroc")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = percentile_intervals(lambda draws: np.array([s(p[draws[0]], t[draws[0]]) for s in scores]),
                                        [len(t)], 300, 0.95)
    for score, interval in zip(scores, expected):
        np.testing.assert_allclose(result[f"{score.name}_ci"], interval, rtol=1e-9)
        low, high = result[f"{score.name}_ci"]
        assert low < result[score.name] < high


def test_a_file_drawn_twice_counts_twice_and_a_file_without_predictions_misses():
    reference = {"a.wav": [{"label": "beep", "start": 100.0, "end": 600.0}],
                 "b.wav": [{"label": "hiss", "start": 900.0, "end": 1500.0}]}
    split = SplitPredictions({}, events={"a.wav": reference["a.wav"]}, reference=reference)
    score = score_function("event_onset_200ms_fms", {label: i for i, label in enumerate(LABELS)})
    drawn = split.resampled(np.array([0, 0, 1]))
    assert split.units == 2 and len(drawn.reference) == 3
    f_measure, precision, recall = (value for _, value in score(drawn.events, drawn.reference))
    assert (precision, recall) == pytest.approx((1.0, 2 / 3)) and f_measure == pytest.approx(0.8)


def test_event_task_intervals_leave_out_the_frame_level_scores(tmp_path):
    result = evaluate_task(event_predictions(tmp_path / "events"), ["psds1"], bootstrap=200)
    assert result["event_onset_200ms_fms_ci"] == [1.0, 1.0] and result["segment_1s_er_ci"] == [0.0, 0.0]
    assert "psds1" in result and "psds1_ci" not in result
    assert result["bootstrap"] == {"resamples": 200, "confidence": 0.95, "drawn": "files"}
    assert "event_onset_200ms_fms_ci" not in evaluate_task(tmp_path / "events"), "no interval unless asked"


def test_kfold_interval_is_of_the_fold_mean(tmp_path):
    task = finished_scene_task(tmp_path / "kfold", kfold=3)
    result = evaluate_task(task, bootstrap=1000)
    low, high = result["top1_acc_ci"]
    assert low < result["top1_acc"] < high
    first = read_split_predictions(task, "fold00", load_task_metadata(task), label_vocabulary(task)).arrays
    correct = first["probabilities"].argmax(1) == first["targets"].argmax(1)
    (one_low, one_high), = percentile_intervals(lambda draws: np.array([correct[draws[0]].mean()]), [len(correct)],
                                                1000, 0.95)
    assert high - low < 0.8 * (one_high - one_low), "three folds of 60 vary less than one"
