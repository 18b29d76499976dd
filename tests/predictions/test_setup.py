"""What training resolves from a task before it fits: the validator, the test scores and stored predictions,
the rules of the task's metadata, and the k-fold aggregate."""

import logging

import numpy as np
import pandas as pd
import pytest

from heareval.errors import UserError
from heareval.predictions.data import SplitData
from heareval.predictions.grid import GRIDS
from heareval.predictions.setup import Setup, aggregated_scores, make_validator, score_probabilities, training_rules
from heareval.score import score_function
from heareval.taskformat import TaskMetadata

LABELS = ["beep", "hiss"]
SPLITS = ("train", "valid", "test")


def event_setup(postprocessing):
    metadata = TaskMetadata("events", "event", "multilabel", SPLITS, evaluation=("event_onset_200ms_fms",))
    primary = score_function("event_onset_200ms_fms", {label: i for i, label in enumerate(LABELS)})
    return Setup(None, metadata, LABELS, None, "cpu", 1, True, True, primary=primary, scores=[primary],
                 postprocessing=postprocessing)


def event_split():
    """One file of 40 frames (50 ms): a 'beep' from 500 to 1000 ms, and a one-frame blip of 'hiss'."""
    times = np.arange(40) * 50.0
    probabilities = np.zeros((40, 2), np.float32)
    probabilities[(times >= 500) & (times <= 1000), 0] = 0.9
    probabilities[30, 1] = 0.9
    data = SplitData("valid", np.zeros((40, 1), np.float32), (probabilities > 0.5).astype(np.float32),
                     ["a.wav"] * 40, times)
    return data, probabilities, {"a.wav": [{"label": "beep", "start": 500.0, "end": 1000.0}]}


def test_the_event_validator_chooses_the_post_processing_with_the_best_score():
    keeps_blip = {"median_filter_ms": 0, "min_duration": 0}
    drops_blip = {"median_filter_ms": 0, "min_duration": 100}
    data, probabilities, reference = event_split()
    for options in ([keeps_blip, drops_blip], [drops_blip, keeps_blip]):
        score, details = make_validator(event_setup(options), data, reference)(probabilities)
        assert score == 1.0 and details == {"postprocessing": drops_blip}, "the blip is a false alarm"
    score, _ = make_validator(event_setup([keeps_blip]), data, reference)(probabilities)
    assert score == pytest.approx(2 / 3), "one hit and one false alarm: F = 2 * 0.5 * 1 / 1.5"


def test_test_scores_and_stored_predictions_of_an_event_task():
    data, probabilities, reference = event_split()
    drops_blip = {"median_filter_ms": 0, "min_duration": 100}
    scores, stored = score_probabilities(event_setup([drops_blip]), probabilities, data, reference,
                                         {"postprocessing": drops_blip})
    assert scores["test_score"] == scores["test_event_onset_200ms_fms"] == 1.0
    assert [event["label"] for event in stored["events"]["a.wav"]] == ["beep"]
    assert stored["filenames"].tolist() == ["a.wav"] * 40 and stored["timestamps"] is data.timestamps
    assert stored["probabilities"] is probabilities and stored["targets"] is data.targets


def test_test_scores_of_a_scene_task_are_every_scene_score_of_the_task():
    metadata = TaskMetadata("pitch", "scene", "multiclass", SPLITS, evaluation=("top1_acc", "d_prime"))
    scores = [score_function(name, {label: i for i, label in enumerate(LABELS)}) for name in metadata.evaluation]
    setup = Setup(None, metadata, LABELS, None, "cpu", 1, True, True, primary=scores[0], scores=scores)
    targets = np.eye(2, dtype=np.float32)[[0, 1, 1, 0]]
    probabilities = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]], np.float32)
    result, stored = score_probabilities(setup, probabilities, SplitData("test", probabilities, targets), None, {})
    assert result["test_top1_acc"] == result["test_score"] == 0.75 and "test_d_prime" in result
    assert set(stored) == {"probabilities", "targets"}


def test_the_tasks_rules_for_training_are_checked_against_its_file(tmp_path, caplog):
    grid = GRIDS["faster"]
    bad = TaskMetadata("t", "scene", "multiclass", SPLITS,
                       evaluation_params={"task_specific_param_grid": {"learning_rate": [1e-3]}})
    with pytest.raises(UserError, match="task_metadata.json: evaluation_params.task_specific_param_grid names "
                                        "'learning_rate', which training does not know"):
        training_rules(tmp_path, bad, grid)
    extra = TaskMetadata("t", "scene", "multiclass", SPLITS, evaluation_params={"decoding": {}},
                         use_scoring_for_early_stopping=False)
    with caplog.at_level(logging.WARNING):
        searched, postprocessing, monitor_loss = training_rules(tmp_path, extra, grid)
    assert "evaluation_params.decoding is not used by training" in caplog.text
    assert searched == grid and monitor_loss and len(postprocessing) == 2


def test_kfold_aggregates_are_the_mean_and_sample_std_of_every_numeric_value():
    folds = [{"test_score": 0.5, "epoch": 3, "hparams": "x"}, {"test_score": 0.7, "epoch": 5, "hparams": "y"},
             {"test_score": 0.9, "epoch": 4, "hparams": "z"}]
    aggregated = aggregated_scores(folds)
    assert set(aggregated) == {"test_score_mean", "test_score_std", "epoch_mean", "epoch_std"}
    assert aggregated["test_score_mean"] == pytest.approx(0.7)
    assert aggregated["test_score_std"] == pytest.approx(pd.Series([0.5, 0.7, 0.9]).std())  # ddof=1
