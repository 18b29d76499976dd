"""Training follows the task's official metadata as the original kit did: evaluation_params grids and
use_scoring_for_early_stopping (MAESTRO's task_metadata.json)."""

import csv
import json
import logging

import pytest

from heareval.errors import UserError
from heareval.predictions import grid as grid_module
from heareval.predictions import train as train_module
from heareval.predictions.grid import GRIDS, postprocessing_options, task_grid
from heareval.predictions.train import task_predictions
from heareval.taskformat import TaskMetadata
from tests.conftest import task_dir_of

# hearpreprocess 2021.1.1's maestro config, as its task_metadata.json holds it
MAESTRO_RULES = {
    "use_scoring_for_early_stopping": False,
    "evaluation_params": {"event_postprocessing_grid": {"median_filter_ms": [150], "min_duration": [50]},
                          "task_specific_param_grid": {"max_epochs": [50], "check_val_every_n_epoch": [1]}},
}


def metadata(task_name="t", **keys):
    return TaskMetadata(task_name, "event", "multilabel", ("train", "valid", "test"), **keys)


def with_metadata(task, **changes):
    path = task / "task_metadata.json"
    metadata = json.loads(path.read_text())
    metadata.update(changes)
    path.write_text(json.dumps(metadata))
    return task


def test_task_grids_override_in_the_originals_order():
    searched = task_grid(GRIDS["fast"], metadata("maestro", **MAESTRO_RULES))
    assert searched["max_epochs"] == [50] and searched["check_val_every_n_epoch"] == [1]
    assert searched["lr"] == GRIDS["fast"]["lr"]
    assert task_grid(GRIDS["fast"], metadata("dcase2016_task2"))["check_val_every_n_epoch"] == [10]
    both = metadata("dcase2016_task2", evaluation_params={"task_specific_param_grid":
                                                          {"check_val_every_n_epoch": [2]}})
    assert task_grid(GRIDS["fast"], both)["check_val_every_n_epoch"] == [2], "the metadata comes last"


def test_postprocessing_grid_from_the_metadata():
    assert postprocessing_options(metadata(**MAESTRO_RULES)) == [{"median_filter_ms": 150, "min_duration": 50}]
    assert postprocessing_options(metadata()) == [{"median_filter_ms": 250, "min_duration": 125},
                                          {"median_filter_ms": 250, "min_duration": 250}]


def test_maestro_metadata_trains_on_validation_loss_without_scoring(baseline_embeddings, copy_task, monkeypatch):
    """The official MAESTRO metadata used to stop with KeyError: 'threshold'. Now: its grid, its single
    post-processing, early stopping and checkpointing on the validation loss, no score during the fit."""
    task = with_metadata(copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2")), **MAESTRO_RULES)
    monkeypatch.setattr(grid_module, "TASK_GRIDS", {})

    def no_scoring(*args, **kwargs):
        raise AssertionError("a score was computed during the fit")

    monkeypatch.setattr(train_module, "make_validator", lambda *args: no_scoring)
    report = task_predictions(task, grid="faster", grid_points=1, seed=1)
    assert report["score_mode"] == "min"
    assert dict(report["postprocessing"]) == {"median_filter_ms": 150, "min_duration": 50}
    assert report["hparams"]["max_epochs"] == 50 and report["hparams"]["check_val_every_n_epoch"] == 1
    assert "test_event_onset_200ms_fms" in report["test"] and report["test"]["test_loss"] > 0
    with open(task / "logs" / "test-gridpoints00" / "metrics.csv") as log:
        checks = [(int(row["epoch"]), float(row["gridpoint00/val_score"])) for row in csv.DictReader(log)
                  if row["gridpoint00/val_score"]]
    best_epoch, best_loss = min(checks, key=lambda check: check[1])
    assert report["test"]["validation_score"] == pytest.approx(best_loss), "kept the lowest validation loss"
    assert report["test"]["epoch"] == best_epoch
    patience = report["hparams"]["patience"]
    assert len(checks) == min(50, best_epoch + 1 + patience), "stopped by patience on the loss"


def test_scene_task_can_stop_on_validation_loss(tmp_path):
    from tests.predictions.test_train import scene_task

    task = with_metadata(scene_task(tmp_path), use_scoring_for_early_stopping=False)
    report = task_predictions(task, grid="faster", grid_points=2, seed=1)
    assert report["score_mode"] == "min" and report["test"]["test_top1_acc"] > 0.5
    points = json.loads((task / "grid-points.json").read_text())
    assert report["test"]["validation_score"] == min(p["validation_score"] for p in points)


@pytest.mark.parametrize("params, message", [
    ({"task_specific_param_grid": {"learning_rate": [0.1]}}, "task_specific_param_grid names 'learning_rate'"),
    ({"event_postprocessing_grid": {"median_filter": [150]}}, "event_postprocessing_grid names 'median_filter'"),
    ({"task_specific_param_grid": {"max_epochs": 50}}, "task_specific_param_grid.max_epochs must be a non-empty list"),
    ({"task_specific_param_grid": {"max_epochs": []}}, "task_specific_param_grid.max_epochs must be a non-empty list"),
])
def test_unknown_grid_parameters_are_refused_before_training(tmp_path, params, message):
    from tests.predictions.test_train import scene_task

    task = with_metadata(scene_task(tmp_path), evaluation_params=params)
    with pytest.raises(UserError, match=f"task_metadata.json: evaluation_params.{message}"):
        task_predictions(task, grid="faster", grid_points=1)
    assert not (task / "logs").exists(), "nothing was trained"


def test_loss_early_stopping_needs_one_postprocessing_setting(baseline_embeddings, copy_task):
    task = with_metadata(copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2")),
                         use_scoring_for_early_stopping=False)
    with pytest.raises(UserError, match="needs a single event post-processing setting, but the grid has 2"):
        task_predictions(task, grid="faster", grid_points=1)


def test_unknown_evaluation_params_key_is_a_warning(tmp_path, caplog):
    from tests.predictions.test_train import scene_task

    task = with_metadata(scene_task(tmp_path), evaluation_params={"decoding": {"beam": 3}})
    with caplog.at_level(logging.WARNING):
        task_predictions(task, grid="faster", grid_points=1)
    assert "evaluation_params.decoding is not used by training" in caplog.text
