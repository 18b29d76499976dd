"""Training, model selection and stored predictions on small and synthetic embedding tasks."""

import json
import logging
import math
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from heareval.errors import UserError
from heareval.predictions import grid as grid_module
from heareval.predictions import model as model_module
from heareval.predictions import train as train_module
from heareval.predictions.train import DONE_MARKER, FitResult, select_best, task_predictions
from tests.conftest import task_dir_of


def write_embedding_task(folder: Path, metadata: dict, splits: dict, vocabulary: list) -> Path:
    """A scene task in the embeddings format: splits {name: (embeddings (N, D), [labels per row])}."""
    folder.mkdir(parents=True)
    (folder / "task_metadata.json").write_text(json.dumps({"embedding_type": "scene", **metadata}))
    (folder / "labelvocabulary.csv").write_text("idx,label\n" + "".join(f"{i},{v}\n" for i, v in enumerate(vocabulary)))
    for split, (x, labels) in splits.items():
        x = np.asarray(x, dtype=np.float32)
        x.tofile(folder / f"{split}.embeddings.npy")
        (folder / f"{split}.embedding-dimensions.json").write_text(json.dumps(list(x.shape)))
        (folder / f"{split}.target-labels.pkl").write_bytes(pickle.dumps(labels))
        (folder / f"{split}.json").write_text(json.dumps({f"{split}_{i}.wav": lab for i, lab in enumerate(labels)}))
    (folder / ".done.embeddings").write_text("")
    return folder


def clusters(rng, n, classes=3, dim=16, multilabel=False):
    """Learnable data: each class adds its own direction."""
    directions = np.random.default_rng(99).normal(size=(classes, dim)) * 3
    if multilabel:
        active = rng.random((n, classes)) < 0.4
    else:
        active = np.eye(classes, dtype=bool)[rng.integers(0, classes, n)]
    x = rng.normal(size=(n, dim)) + active.astype(float) @ directions
    labels = [[f"c{j}" for j in np.nonzero(row)[0]] for row in active]
    return x, labels


def scene_task(tmp_path, name="synthetic", multilabel=False, kfold=0, evaluation=None, n=(120, 40, 40)):
    rng = np.random.default_rng(0)
    vocabulary = ["c0", "c1", "c2"]
    splits = [f"fold{i:02d}" for i in range(kfold)] if kfold else ["train", "valid", "test"]
    sizes = [60] * kfold if kfold else list(n)
    metadata = {"task_name": name, "prediction_type": "multilabel" if multilabel else "multiclass",
                "split_mode": "new_split_kfold" if kfold else "trainvaltest", "splits": splits,
                "evaluation": evaluation or (["mAP", "d_prime", "aucroc"] if multilabel else ["top1_acc"])}
    data = {s: clusters(rng, size, multilabel=multilabel) for s, size in zip(splits, sizes)}
    return write_embedding_task(tmp_path / "emb" / "mod" / name, metadata, data, vocabulary)


@pytest.fixture
def learning_grid(monkeypatch):
    """A small grid that learns the small tasks in seconds (the quality checks need one that learns)."""
    grid = {**grid_module.DEFAULT_GRID, "hidden_layers": [1], "hidden_dim": [128], "lr": [3.2e-3],
            "max_epochs": [20], "patience": [5], "check_val_every_n_epoch": [1]}
    monkeypatch.setitem(grid_module.GRIDS, "learning", grid)
    monkeypatch.setattr(grid_module, "TASK_GRIDS", {})  # dcase's original override: checks every 10 epochs
    return "learning"


def test_the_reported_test_scores_are_the_evaluation_stages_own(tmp_path):
    """What the predictions stage reports is what the evaluation stage computes from the stored files."""
    from heareval.evaluation.task_evaluation import evaluate_task

    for task in (scene_task(tmp_path), scene_task(tmp_path, name="tags", multilabel=True, kfold=3)):
        report = task_predictions(task, grid="faster", grid_points=1, seed=2)
        evaluated = evaluate_task(task)
        for fold, entry in (evaluated.get("folds") or {"test": evaluated}).items():
            for score in json.loads((task / "task_metadata.json").read_text())["evaluation"]:
                assert report[fold][f"test_{score}"] == entry[score], (task.name, fold, score)


def test_scene_multiclass_small_task(baseline_embeddings, copy_task, learning_grid):
    task = copy_task(task_dir_of(baseline_embeddings, "speech_commands"))
    report = task_predictions(task, grid=learning_grid, grid_points=2, seed=1)
    assert report["test"]["test_top1_acc"] > 0.3
    stored = np.load(task / "test.predictions.npz")
    assert stored["probabilities"].shape == stored["targets"].shape == (48, 12)
    assert np.allclose(stored["probabilities"].sum(axis=1), 1.0, atol=1e-5)
    assert json.loads((task / "test.best-model-config.json").read_text()) == report["hparams"]
    points = json.loads((task / "grid-points.json").read_text())
    assert len(points) == 2 and all({"hparams", "validation_score", "epochs_trained", "seconds"} <= set(p)
                                    for p in points)
    with open(task / "logs" / "test-gridpoints00-01" / "metrics.csv") as log:  # the two points side by side
        assert {"gridpoint00/val_score", "gridpoint01/val_score", "gridpoint01/train_loss"} <= set(log.readline()
                                                                                                   .strip().split(","))
    scores = json.loads((task / "test.predicted-scores.json").read_text())
    assert scores["score_mode"] == "max" and "validation_score" in scores["test"]
    assert task_predictions(task, grid=learning_grid, grid_points=2) is None, "a done task is skipped"


def test_scene_multilabel(tmp_path, learning_grid):
    task = scene_task(tmp_path, multilabel=True)
    report = task_predictions(task, grid=learning_grid, grid_points=2, seed=1)
    assert report["test"]["test_mAP"] > 0.8 and report["test"]["test_aucroc"] > 0.8
    probabilities = np.load(task / "test.predictions.npz")["probabilities"]
    assert not np.allclose(probabilities.sum(axis=1), 1.0), "sigmoid outputs, not softmax"


def test_event_task(baseline_embeddings, copy_task, learning_grid):
    task = copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2"))
    report = task_predictions(task, grid=learning_grid, grid_points=1, seed=1)
    assert report["test"]["test_event_onset_200ms_fms"] > 0.1
    assert "test_segment_1s_er" in report["test"]
    assert dict(report["postprocessing"])["median_filter_ms"] == 250
    events = json.loads((task / "test.predicted-events.json").read_text())
    assert set(events) == set(json.loads((task / "test.json").read_text()))
    stored = np.load(task / "test.predictions.npz")
    assert stored["probabilities"].shape[0] == len(stored["timestamps"]) == len(stored["filenames"])


@pytest.mark.parametrize("flaw, message", [
    (lambda row: [row[0], float("nan")], "row 3 is .*, not \\[file name, time in ms\\]"),
    (lambda row: [row[0]], "row 3 is .*, not \\[file name, time in ms\\]"),
    (lambda row: ["elsewhere/stranger.wav", row[1]], "file 'stranger.wav' is not in the task's valid.json"),
])
def test_event_frames_that_do_not_fit_the_task_are_refused(baseline_embeddings, copy_task, flaw, message):
    task = copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2"))
    path = task / "valid.filename-timestamps.json"
    stamps = json.loads(path.read_text())
    stamps[3] = flaw(stamps[3])
    path.write_text(json.dumps(stamps))
    with pytest.raises(UserError, match=f"valid.filename-timestamps.json: {message}"):
        task_predictions(task, grid="faster", grid_points=1)


def test_kfold_task_scores_every_fold(tmp_path):
    task = scene_task(tmp_path, kfold=3)
    report = task_predictions(task, grid="faster", grid_points=2, seed=1)
    assert [k for k in report if k.startswith("fold")] == ["fold00", "fold01", "fold02"]
    for fold in ("fold00", "fold01", "fold02"):
        assert (task / f"{fold}.predictions.npz").is_file()
    folds = pd.DataFrame.from_dict({f: report[f] for f in ("fold00", "fold01", "fold02")}, orient="index")
    # the original's aggregate_test_results: every fold key's pandas mean and std (ddof=1)
    for key in ("test_top1_acc", "test_score", "test_loss", "validation_score", "epoch", "time_in_min"):
        assert report["aggregated_scores"][f"{key}_mean"] == pytest.approx(folds[key].mean())
        assert report["aggregated_scores"][f"{key}_std"] == pytest.approx(folds[key].std())
    searched = {p["split"] for p in json.loads((task / "grid-points.json").read_text())}
    assert searched == {"fold00"}, "by default only the first split is searched"


def test_search_on_every_fold_and_repeated_seeds(tmp_path):
    task = scene_task(tmp_path, kfold=3)
    report = task_predictions(task, grid="faster", grid_points=1, seed=1, seeds=3, search_every_fold=True)
    assert {p["split"] for p in json.loads((task / "grid-points.json").read_text())} == {"fold00", "fold01", "fold02"}
    summary = report["fold00"]["seed_summary"]["test_top1_acc"]
    values = [report["fold00"]["seeds"][s]["test_top1_acc"] for s in ("1", "2", "3")]
    assert summary["mean"] == pytest.approx(np.mean(values)) and summary["std"] == pytest.approx(np.std(values, ddof=1))


def test_lightning_banners_are_quiet_during_fits_and_only_then(tmp_path, caplog):
    lightning_logger = logging.getLogger("lightning.pytorch")
    level = lightning_logger.level
    with caplog.at_level(logging.INFO):
        task_predictions(scene_task(tmp_path), grid="faster", grid_points=1)
    assert "GPU available" not in caplog.text
    assert lightning_logger.level == level, "Lightning's logging is as it was outside the fit"


def test_grid_search_is_reproducible_with_a_seed(tmp_path):
    first = task_predictions(scene_task(tmp_path / "a"), grid="faster", grid_points=3, seed=5)
    second = task_predictions(scene_task(tmp_path / "b"), grid="faster", grid_points=3, seed=5)
    assert first["test"]["test_top1_acc"] == second["test"]["test_top1_acc"]
    assert first["hparams"] == second["hparams"]
    points_a = json.loads((tmp_path / "a/emb/mod/synthetic/grid-points.json").read_text())
    points_b = json.loads((tmp_path / "b/emb/mod/synthetic/grid-points.json").read_text())
    assert [p["validation_score"] for p in points_a] == [p["validation_score"] for p in points_b]
    assert grid_module.sample_grid(grid_module.DEFAULT_GRID, 8, 5) == grid_module.sample_grid(
        grid_module.DEFAULT_GRID, 8, 5)
    assert len(grid_module.sample_grid(grid_module.DEFAULT_GRID, 8, 5)) == 8


def test_model_selection_picks_the_best_validation_point_on_a_planted_case(tmp_path, monkeypatch):
    planted = {**grid_module.GRIDS["faster"], "lr": [1e-9, 3.2e-3], "hidden_dim": [64], "patience": [3],
               "max_epochs": [15]}
    monkeypatch.setitem(grid_module.GRIDS, "planted", planted)
    task = scene_task(tmp_path)
    report = task_predictions(task, grid="planted", grid_points=4, seed=3)
    points = json.loads((task / "grid-points.json").read_text())
    best = max(points, key=lambda p: p["validation_score"])
    assert report["hparams"]["lr"] == 3.2e-3 == best["hparams"]["lr"]
    assert report["test"]["validation_score"] == best["validation_score"]
    fake = [FitResult({"i": i}, 0, v, 0, 0, 0.0, {}, None) for i, v in enumerate([0.2, math.nan, 0.7, 0.7])]
    assert select_best(fake, maximize=True).hparams == {"i": 2}
    assert select_best(fake, maximize=False).hparams == {"i": 0}


def test_grid_points_trained_side_by_side_train_as_they_would_alone(tmp_path, monkeypatch):
    """Each point keeps its own learning rate, cadence, patience, maximum epochs and best weights; narrow
    first layers (32 units, none) run as one product, a wide one (300) alone. Without dropout the only
    difference is rounding."""
    grid = {**grid_module.DEFAULT_GRID, "hidden_layers": [0, 1], "hidden_dim": [32, 300], "dropout": [0.0],
            "lr": [1e-3, 3.2e-3], "patience": [1, 3], "max_epochs": [4, 9], "check_val_every_n_epoch": [1, 2],
            "batch_size": [32]}
    monkeypatch.setitem(grid_module.GRIDS, "mixed", grid)
    side_by_side = task_predictions(scene_task(tmp_path / "a", multilabel=True), grid="mixed", grid_points=6, seed=4)
    monkeypatch.setattr(model_module, "BUNDLE_PARAMETERS", 0)  # every point alone
    alone = task_predictions(scene_task(tmp_path / "b", multilabel=True), grid="mixed", grid_points=6, seed=4)
    together = json.loads((tmp_path / "a/emb/mod/synthetic/grid-points.json").read_text())
    apart = json.loads((tmp_path / "b/emb/mod/synthetic/grid-points.json").read_text())
    wide = sum(p["hparams"]["hidden_layers"] == 1 and p["hparams"]["hidden_dim"] == 300 for p in together)
    assert 0 < wide < 5, "the grid sample holds both kinds"
    assert len(list((tmp_path / "a/emb/mod/synthetic/logs").iterdir())) == 1 + wide, "the wide points alone"
    assert len(list((tmp_path / "b/emb/mod/synthetic/logs").iterdir())) == 6
    assert len({json.dumps(p["hparams"]) for p in together}) == 6
    assert len({p["epochs_trained"] for p in together}) > 1, "the points stop at different epochs"
    for a, b in zip(together, apart):
        assert a["hparams"] == b["hparams"]
        assert (a["epochs_trained"], a["best_epoch"]) == (b["epochs_trained"], b["best_epoch"])
        assert a["validation_score"] == pytest.approx(b["validation_score"], abs=1e-6)
        assert a["epochs_trained"] <= a["hparams"]["max_epochs"]
    assert side_by_side["test"]["test_mAP"] == pytest.approx(alone["test"]["test_mAP"], abs=1e-6)
    stored = [np.load(tmp_path / f"{run}/emb/mod/synthetic/test.predictions.npz")["probabilities"] for run in "ab"]
    np.testing.assert_allclose(stored[0], stored[1], atol=1e-5)


def test_a_point_that_trains_as_an_earlier_one_takes_its_result(tmp_path, monkeypatch):
    """Linear points that differ only in hidden_dim train once; trained anyway, each alone, they match."""
    grid = {**grid_module.GRIDS["faster"], "hidden_layers": [0], "hidden_dim": [64, 128], "lr": [1e-3, 3.2e-3],
            "patience": [3], "initialization": ["xavier_normal"]}
    monkeypatch.setitem(grid_module.GRIDS, "twins", grid)
    shared = task_predictions(scene_task(tmp_path / "a"), grid="twins", grid_points=4, seed=1)
    monkeypatch.setattr(train_module, "first_with_same_training", lambda points: list(range(len(points))))
    monkeypatch.setattr(model_module, "BUNDLE_PARAMETERS", 0)  # and every point alone
    apart = task_predictions(scene_task(tmp_path / "b"), grid="twins", grid_points=4, seed=1)
    once, each = (json.loads((tmp_path / f"{run}/emb/mod/synthetic/grid-points.json").read_text()) for run in "ab")
    twins = {i: p["same_training_as"] for i, p in enumerate(once) if p["same_training_as"] is not None}
    assert len(twins) == 2 and all(once[i]["hparams"]["lr"] == once[j]["hparams"]["lr"] for i, j in twins.items())
    logs = list((tmp_path / "a/emb/mod/synthetic/logs").iterdir())
    assert len(logs) == 1 and logs[0].name.count("-") == 2, "one fit of the two distinct points"
    for i, j in twins.items():
        assert once[i]["hparams"] != once[j]["hparams"]
        assert {k: once[i][k] for k in ("validation_score", "epochs_trained", "best_epoch")} == {
            k: once[j][k] for k in ("validation_score", "epochs_trained", "best_epoch")}
        assert each[i]["validation_score"] == each[j]["validation_score"], "trained alone, twins are identical"
        assert (each[i]["epochs_trained"], each[i]["best_epoch"]) == (once[i]["epochs_trained"], once[i]["best_epoch"])
        assert once[i]["validation_score"] == pytest.approx(each[i]["validation_score"], abs=1e-6)
    assert shared["hparams"] == apart["hparams"] and shared["test"]["test_top1_acc"] == apart["test"]["test_top1_acc"]


@pytest.mark.parametrize("stop_on_nan_score", [False, True])
def test_a_nan_validation_score_stops_training_only_when_asked(tmp_path, monkeypatch, stop_on_nan_score):
    grid = {**grid_module.GRIDS["faster"], "hidden_layers": [1], "hidden_dim": [64], "patience": [2],
            "max_epochs": [8], "check_val_every_n_epoch": [1]}
    monkeypatch.setitem(grid_module.GRIDS, "nan", grid)
    monkeypatch.setattr(train_module, "make_validator", lambda *args: lambda probabilities: (math.nan, {}))
    task = scene_task(tmp_path)
    task_predictions(task, grid="nan", grid_points=2, seed=3, stop_on_nan_score=stop_on_nan_score)
    points = json.loads((task / "grid-points.json").read_text())
    assert all(p["validation_score"] == -math.inf for p in points), "NaN counts as the worst score"
    # stopped at the first check, as the original kit did; else patience (2 checks after the first) decides
    assert [p["epochs_trained"] for p in points] == ([1, 1] if stop_on_nan_score else [3, 3])
    assert json.loads((task / DONE_MARKER).read_text())["stop_on_nan_score"] is stop_on_nan_score


class MakesFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __reduce__(self):
        return os.mkdir, (str(self.folder),)


def break_task(task: Path, how: str) -> str:
    if how == "missing_file":
        (task / "valid.embeddings.npy").unlink()
        return "missing embedding file: .*valid.embeddings.npy"
    if how == "truncated":
        data = (task / "train.embeddings.npy").read_bytes()
        (task / "train.embeddings.npy").write_bytes(data[:-100])
        return "train.embeddings.npy holds .* truncated or mismatched"
    if how == "label_count":
        labels = pickle.loads((task / "test.target-labels.pkl").read_bytes())
        (task / "test.target-labels.pkl").write_bytes(pickle.dumps(labels[:-1]))
        return "test.target-labels.pkl has 39 label rows but the embeddings have 40 rows"
    if how == "unknown_label":
        labels = pickle.loads((task / "train.target-labels.pkl").read_bytes())
        labels[5] = ["zebra"]
        (task / "train.target-labels.pkl").write_bytes(pickle.dumps(labels))
        return "label 'zebra' \\(row 5\\) is not in labelvocabulary.csv"
    if how == "nan":
        x = np.fromfile(task / "valid.embeddings.npy", dtype=np.float32)
        x[16 * 7 + 3] = np.nan
        x.tofile(task / "valid.embeddings.npy")
        return "valid.embeddings.npy: embedding row 7 contains NaN"
    if how == "code_in_labels":  # a crafted pickle runs code while it loads, unless refused
        (task / "train.target-labels.pkl").write_bytes(pickle.dumps(MakesFolder(task / "made-by-pickle")))
        return "malformed label file .*train.target-labels.pkl: it names .*mkdir"
    if how == "one_training_row":
        x = np.fromfile(task / "train.embeddings.npy", dtype=np.float32)[:16]
        x.tofile(task / "train.embeddings.npy")
        (task / "train.embedding-dimensions.json").write_text("[1, 16]")
        labels = pickle.loads((task / "train.target-labels.pkl").read_bytes())
        (task / "train.target-labels.pkl").write_bytes(pickle.dumps(labels[:1]))
        return "synthetic \\(test\\): 1 training row; at least 2 are needed"
    if how == "no_dimension":
        (task / "test.embeddings.npy").write_bytes(b"")
        (task / "test.embedding-dimensions.json").write_text("[40, 0]")
        return "test.embeddings.npy holds no embeddings \\(40 x 0\\)"
    raise ValueError(how)


@pytest.mark.parametrize("how", ["missing_file", "truncated", "label_count", "unknown_label", "nan",
                                 "no_dimension", "code_in_labels", "one_training_row"])
def test_bad_embeddings_give_clear_errors(tmp_path, how):
    task = scene_task(tmp_path)
    message = break_task(task, how)
    with pytest.raises(UserError, match=message):
        task_predictions(task, grid="faster", grid_points=1)
    assert not (task / DONE_MARKER).exists()
    assert not (task / "made-by-pickle").exists()


def test_class_without_training_example_is_reported(tmp_path, caplog):
    task = scene_task(tmp_path)
    labels = pickle.loads((task / "train.target-labels.pkl").read_bytes())
    x = np.fromfile(task / "train.embeddings.npy", dtype=np.float32).reshape(len(labels), -1)
    keep = [i for i, lab in enumerate(labels) if lab != ["c2"]]
    x[keep].tofile(task / "train.embeddings.npy")
    (task / "train.embedding-dimensions.json").write_text(json.dumps([len(keep), x.shape[1]]))
    (task / "train.target-labels.pkl").write_bytes(pickle.dumps([labels[i] for i in keep]))
    report = task_predictions(task, grid="faster", grid_points=1)
    assert report["test"]["classes_without_training_examples"] == ["c2"]
    assert any("no training example for class(es) ['c2']" in r.message for r in caplog.records)


def test_interrupted_task_restarts_cleanly(tmp_path):
    task = scene_task(tmp_path)
    (task / "test.predicted-scores.json").write_text("{half")
    (task / "logs").mkdir()
    (task / "logs" / "stale.csv").write_text("x")
    task_predictions(task, grid="faster", grid_points=1)
    assert json.loads((task / "test.predicted-scores.json").read_text())["test"]
    assert not (task / "logs" / "stale.csv").exists()
