"""The linear and kNN probes: learning, equality with scikit-learn, their predictions folders, k-fold and
event tasks, and the tasks they refuse."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler

from heareval.errors import UserError
from heareval.evaluation.runner import evaluate
from heareval.predictionformat import DONE_MARKER, SCORES, predictions_file, probe_dir
from heareval.predictions import probes
from heareval.predictions.data import load_split
from heareval.predictions.probes import cosine_neighbours, probe_predictions
from tests.conftest import task_dir_of
from tests.predictions.test_train import scene_task


def split_arrays(task, split):
    data = load_split(task, split)
    return np.asarray(data.embeddings), data.targets


def stored(task, probe, split="test"):
    with np.load(probe_dir(task, probe) / predictions_file(split)) as arrays:
        return {key: arrays[key] for key in arrays.files}


def test_linear_probe_learns_and_equals_scikit_learn(tmp_path):
    task = scene_task(tmp_path)
    report = probe_predictions(task, "linear", progress=False)
    assert report["test"]["test_top1_acc"] > 0.9, "separable clusters, chance 1/3"
    x_train, y_train = split_arrays(task, "train")
    x_test, _ = split_arrays(task, "test")
    scaler = StandardScaler().fit(x_train.astype(np.float64))
    reference = LogisticRegression(C=report["hparams"]["C"], max_iter=1000, random_state=42).fit(
        scaler.transform(x_train).astype(np.float32), y_train.argmax(axis=1))
    expected = reference.predict_proba(scaler.transform(x_test).astype(np.float32))
    np.testing.assert_allclose(stored(task, "linear")["probabilities"], expected, atol=1e-5)
    tried = json.loads((probe_dir(task, "linear") / "grid-points.json").read_text())
    assert [t["C"] for t in tried] == list(probes.LINEAR_INVERSE_L2)


def test_knn_probe_equals_scikit_learn_cosine_neighbours(tmp_path):
    task = scene_task(tmp_path)
    report = probe_predictions(task, "knn", progress=False)
    assert report["test"]["test_top1_acc"] > 0.9
    x_train, y_train = split_arrays(task, "train")
    x_test, _ = split_arrays(task, "test")
    scaler = StandardScaler().fit(x_train.astype(np.float64))
    reference = KNeighborsClassifier(n_neighbors=10, metric="cosine", algorithm="brute").fit(
        scaler.transform(x_train), y_train.argmax(axis=1))
    np.testing.assert_allclose(stored(task, "knn")["probabilities"],
                               reference.predict_proba(scaler.transform(x_test)), atol=1e-6)


def test_neighbours_in_blocks_equal_all_at_once(monkeypatch):
    rng = np.random.default_rng(3)
    train = rng.normal(size=(300, 8)).astype(np.float32)
    queries = rng.normal(size=(70, 8)).astype(np.float32)
    train /= np.linalg.norm(train, axis=1, keepdims=True)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    expected = np.argsort(-(queries @ train.T), axis=1)[:, :10]
    monkeypatch.setattr(probes, "KNN_QUERY_BLOCK", 16)  # 70 queries: four full blocks and a partial one
    np.testing.assert_array_equal(cosine_neighbours(train, queries, 10), expected)


def test_multilabel_and_kfold_tasks(tmp_path):
    multilabel = scene_task(tmp_path, name="tags", multilabel=True)
    report = probe_predictions(multilabel, "linear", progress=False)
    assert report["test"]["test_mAP"] > 0.85, "chance is the label frequency, about 0.4"
    x_train, y_train = split_arrays(multilabel, "train")
    x_test, _ = split_arrays(multilabel, "test")
    scaler = StandardScaler().fit(x_train.astype(np.float64))
    fresh = OneVsRestClassifier(LogisticRegression(C=report["hparams"]["C"], max_iter=1000)).fit(
        scaler.transform(x_train).astype(np.float32), y_train)
    expected = fresh.predict_proba(scaler.transform(x_test).astype(np.float32))
    np.testing.assert_allclose(stored(multilabel, "linear")["probabilities"], expected, atol=2e-3,
                               err_msg="warm-started along the C path: the same optimum within tolerance")
    knn = probe_predictions(multilabel, "knn", progress=False)
    assert knn["test"]["test_mAP"] > 0.8
    kfold = scene_task(tmp_path, name="folds", kfold=3)
    report = probe_predictions(kfold, "linear", progress=False)
    assert {"fold00", "fold01", "fold02"} <= set(report) and report["aggregated_scores"]["test_score_mean"] > 0.9


def test_probe_outputs_evaluate_beside_the_mlp_and_a_rerun_skips(tmp_path):
    task = scene_task(tmp_path)
    for probe in ("linear", "knn"):
        probe_predictions(task, probe, progress=False)
        assert (probe_dir(task, probe) / DONE_MARKER).is_file()
    assert probe_predictions(task, "linear") is None, "done: skipped"
    results = evaluate(embeddings_dir=str(tmp_path / "emb"))
    assert set(results) == {"mod/linear", "mod/knn"}
    report = json.loads((probe_dir(task, "linear") / SCORES).read_text())
    assert results["mod/linear"]["synthetic"]["top1_acc"] == pytest.approx(report["test"]["test_top1_acc"])
    assert results["mod/knn"]["synthetic"]["probe"] == "knn"


def test_linear_probe_on_an_event_task(baseline_embeddings, copy_task):
    task = copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2"))
    report = probe_predictions(task, "linear", progress=False)
    assert dict(report["postprocessing"]).keys() == {"median_filter_ms", "min_duration"}, "chosen on validation"
    assert (probe_dir(task, "linear") / "test.predicted-events.json").is_file()
    results = evaluate(embeddings_dir=str(task.parent.parent))
    scores = results[f"{task.parent.name}/linear"][task.name]
    assert scores["event_onset_200ms_fms"] == pytest.approx(report["test"]["test_event_onset_200ms_fms"])


def test_knn_refuses_event_tasks_and_too_small_tasks(baseline_embeddings, copy_task, tmp_path):
    task = copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2"))
    with pytest.raises(UserError, match="the knn probe is for scene tasks"):
        probe_predictions(task, "knn")
    small = scene_task(tmp_path, name="tiny", n=(8, 6, 6))
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", str(small), "--probe", "knn"],
                            capture_output=True, text=True)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: tiny: 8 training rows, too few for the knn probe's 10 neighbours" in result.stderr
    assert not probe_dir(small, "knn").exists(), "nothing half-written"
