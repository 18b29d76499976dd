"""The evaluation runner on stored predictions of the small tasks: JSON, tables, plots, bad input."""

import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from heareval.errors import UserError
from heareval.evaluation.runner import evaluate
from heareval.predictionformat import DONE_MARKER
from heareval.taskformat import is_task_dir
from heareval.tasks.config import TASK_NAMES, resolve_config, task_dir_name
from tests.evaluation.conftest import COSTS, finished_scene_task, write_predictions_from_labels


@pytest.fixture(scope="session")
def small_predictions(small_tasks, tmp_path_factory) -> Path:
    """Predictions of all the small tasks, written from their own labels in the predictions format."""
    root = tmp_path_factory.mktemp("predictions") / "embeddings"
    for task in sorted(p for p in small_tasks.iterdir() if is_task_dir(p)):
        write_predictions_from_labels(task, root / "heareval.baseline" / task.name, seed=2)
    return root


def png_size(path: Path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_runner_writes_json_table_and_plot(small_predictions, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir", str(small_predictions),
         "--scores", "psds1,psds2", "--table", "results.md", "--plot", "results.png"],
        capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    results = json.loads((tmp_path / "evaluation_results.json").read_text())
    tasks = results["heareval.baseline"]
    assert set(tasks) == {task_dir_name(resolve_config(name, None, True, "")) for name in TASK_NAMES}
    assert {"speech_commands-v0.0.2-small", "dcase2016_task2-hear2021-small", "esc50-v2.0.0-small"} <= set(tasks)
    assert tasks["esc50-v2.0.0-small"]["top1_acc_std"] >= 0 and len(tasks["esc50-v2.0.0-small"]["folds"]) == 5
    assert {"pitch_acc", "chroma_acc"} <= set(tasks["nsynth_pitch-v2.2.3-small"])
    dcase = tasks["dcase2016_task2-hear2021-small"]
    assert {"event_onset_200ms_fms", "segment_1s_er", "psds1", "psds2"} <= set(dcase)
    assert 0.0 <= dcase["psds1"] <= 1.0
    assert dcase["cost"] == COSTS, "both stages' costs, as stored"
    table = (tmp_path / "results.md").read_text().splitlines()
    assert table[0].startswith("| module |") and table[2].startswith("| heareval.baseline |")
    assert f"{tasks['speech_commands-v0.0.2-small']['top1_acc']:.4f}" in table[2]
    assert png_size(tmp_path / "results.png") == (1200, 600)
    assert "heareval.baseline" in result.stdout, "the table is printed"


def test_scores_equal_a_recomputation_from_the_stored_predictions(small_predictions):
    results = evaluate(embeddings_dir=str(small_predictions))
    task = small_predictions / "heareval.baseline" / "speech_commands-v0.0.2-small"
    stored = np.load(task / "test.predictions.npz")
    expected = accuracy_score(stored["targets"].argmax(1), stored["probabilities"].argmax(1))
    assert results["heareval.baseline"]["speech_commands-v0.0.2-small"]["top1_acc"] == expected


def test_csv_table(small_predictions, tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "heareval.baseline",
                             "--embeddings-dir", str(small_predictions), "--table", "t.csv", "--output", "r.json"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].startswith("module,") and lines[1].startswith("heareval.baseline,")


def test_kfold_results_have_folds_mean_and_std(tmp_path):
    finished_scene_task(tmp_path / "emb" / "mod" / "synthetic", kfold=3)
    entry = evaluate(embeddings_dir=str(tmp_path / "emb"))["mod"]["synthetic"]
    folds = [entry["folds"][f]["top1_acc"] for f in ("fold00", "fold01", "fold02")]
    assert entry["top1_acc"] == pytest.approx(np.mean(folds))
    assert entry["top1_acc_std"] == pytest.approx(pd.Series(folds).std())  # ddof=1, as the original reported


def test_missing_predictions_are_skipped_or_strict(tmp_path):
    finished_scene_task(tmp_path / "emb" / "mod" / "done")
    (finished_scene_task(tmp_path / "emb" / "mod" / "not_done") / DONE_MARKER).unlink()  # an interrupted run
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "skipped: mod/not_done: no stored predictions" in result.stderr
    assert list(json.loads((tmp_path / "evaluation_results.json").read_text())["mod"]) == ["done"]
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb"), "--strict"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "error: mod/not_done: no stored predictions" in result.stderr


def test_unknown_score_lists_the_valid_ones(tmp_path):
    finished_scene_task(tmp_path / "emb" / "mod" / "synthetic")
    with pytest.raises(UserError, match="unknown score 'f1'; valid scores: top1_acc, pitch_acc"):
        evaluate(embeddings_dir=str(tmp_path / "emb"), extra_scores=["f1"])


def test_malformed_prediction_file_is_named(tmp_path):
    task = finished_scene_task(tmp_path / "emb" / "mod" / "synthetic")
    (task / "test.predictions.npz").write_bytes(b"garbage")
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "malformed prediction file" in result.stderr and "test.predictions.npz" in result.stderr


@pytest.mark.parametrize("options, message", [
    (["--reference", "list.json", "--plot", "p.png"], "--reference list.json: expected a JSON object {task: score}"),
    (["--reference", "text.json", "--plot", "p.png"], "--reference text.json: expected a JSON object"),
    (["--plot", "p.txt"], "--plot p.txt: use a .png, .pdf, .svg file name"),
    (["--table", "t.xlsx"], "--table t.xlsx: use a .md or .csv file name"),
])
def test_bad_report_options_are_one_line_before_any_scoring(tmp_path, options, message):
    (tmp_path / "list.json").write_text("[0.5]")
    (tmp_path / "text.json").write_text('{"synthetic": "high"}')
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "none"), *options], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"error: {message}" in result.stderr, result.stderr


def test_table_and_plot_go_into_new_folders(tmp_path):
    finished_scene_task(tmp_path / "emb" / "mod" / "synthetic")
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb"), "--table", "out/t.md", "--plot", "out/figures/p.svg"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out" / "t.md").read_text().startswith("| module |")
    assert (tmp_path / "out" / "figures" / "p.svg").read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["figures", "p.svg", "t.md"], "no leftovers"
