"""The evaluation runner on stored predictions of the small tasks: JSON, tables, plots, bad input."""

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score

from heareval.errors import UserError
from heareval.evaluation.reference import Reference
from heareval.evaluation.report import cost_table, normalized_scores, primary_table, to_markdown
from heareval.evaluation.runner import evaluate
from heareval.predictions.train import task_predictions
from heareval.tasks.config import TASK_NAMES, resolve_config, task_dir_name
from tests.predictions.test_train import scene_task


@pytest.fixture(scope="session")
def small_predictions(baseline_embeddings, tmp_path_factory) -> Path:
    """Stored predictions of all the small tasks (faster grid, one point)."""
    root = tmp_path_factory.mktemp("predictions") / "embeddings"
    shutil.copytree(baseline_embeddings, root / "heareval.baseline")
    for task in sorted((root / "heareval.baseline").iterdir()):
        task_predictions(task, grid="faster", grid_points=1, seed=2)
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
    assert dcase["cost"]["predictions"]["wall_seconds"] > 0 and dcase["cost"]["embeddings"]["peak_memory_mb"] > 0
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
    reported = json.loads((task / "test.predicted-scores.json").read_text())["test"]["test_top1_acc"]
    assert reported == expected


def test_csv_table(small_predictions, tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "heareval.baseline",
                             "--embeddings-dir", str(small_predictions), "--table", "t.csv", "--output", "r.json"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0
    lines = (tmp_path / "t.csv").read_text().splitlines()
    assert lines[0].startswith("module,") and lines[1].startswith("heareval.baseline,")


def test_kfold_results_have_folds_mean_and_std(tmp_path):
    task = scene_task(tmp_path, kfold=3)
    task_predictions(task, grid="faster", grid_points=1)
    entry = evaluate(embeddings_dir=str(tmp_path / "emb"))["mod"]["synthetic"]
    folds = [entry["folds"][f]["top1_acc"] for f in ("fold00", "fold01", "fold02")]
    assert entry["top1_acc"] == pytest.approx(np.mean(folds))
    assert entry["top1_acc_std"] == pytest.approx(pd.Series(folds).std())  # ddof=1, as the original reported


def test_missing_predictions_are_skipped_or_strict(tmp_path):
    scene_task(tmp_path, name="done")
    scene_task(tmp_path, name="not_done")
    task_predictions(tmp_path / "emb" / "mod" / "done", grid="faster", grid_points=1)
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0 and "skipped: mod/not_done: no stored predictions" in result.stderr
    assert list(json.loads((tmp_path / "evaluation_results.json").read_text())["mod"]) == ["done"]
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb"), "--strict"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "error: mod/not_done: no stored predictions" in result.stderr


def test_unknown_score_lists_the_valid_ones(tmp_path):
    scene_task(tmp_path)
    with pytest.raises(UserError, match="unknown score 'f1'; valid scores: top1_acc, pitch_acc"):
        evaluate(embeddings_dir=str(tmp_path / "emb"), extra_scores=["f1"])


def test_malformed_prediction_file_is_named(tmp_path):
    task = scene_task(tmp_path)
    task_predictions(task, grid="faster", grid_points=1)
    (task / "test.predictions.npz").write_bytes(b"garbage")
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "malformed prediction file" in result.stderr and "test.predictions.npz" in result.stderr


def test_plot_normalization_by_best_module_or_reference():
    results = {"a": {"t1": {"primary_score": "top1_acc", "top1_acc": 0.5},
                     "t2": {"primary_score": "segment_1s_er", "segment_1s_er": 0.4}},
               "b": {"t1": {"primary_score": "top1_acc", "top1_acc": 0.25},
                     "t2": {"primary_score": "segment_1s_er", "segment_1s_er": 0.8}}}
    frame = normalized_scores(results).set_index(["module", "task"])["normalized"]
    assert frame[("a", "t1")] == 1.0 and frame[("b", "t1")] == 0.5
    assert frame[("a", "t2")] == 1.0 and frame[("b", "t2")] == 0.5, "error rates: lower is better"
    reference = Reference("r.json", {"t1": {"reference": 1.0}, "t2": {"reference": 0.2}}, {})
    frame = normalized_scores(results, reference).set_index(["module", "task"])["normalized"]
    assert frame[("a", "t1")] == 0.5 and frame[("a", "t2")] == 0.5


def test_printed_tables_show_missing_values_as_a_dash():
    cost = {"wall_seconds": 146.63, "cpu_seconds": 13.04, "peak_memory_mb": 725.4}
    results = {"a": {"t1": {"primary_score": "top1_acc", "top1_acc": 0.95833, "cost": {"predictions": cost}}},
               "b": {"t2": {"primary_score": "mAP", "mAP": 0.5}}}
    scores = to_markdown(primary_table(results)).splitlines()
    assert scores[2] == "| a | 0.9583 | - |" and scores[3] == "| b | - | 0.5000 |"
    costs = to_markdown(cost_table(results).set_index("module"), float_format="{:g}").splitlines()
    assert costs[2] == "| a | t1 | predictions | 146.6 | 13 | 725 | - | - |", "no GPU, no energy meter: a dash"


def test_table_shows_the_primary_scores_interval_beside_it():
    entry = {"primary_score": "top1_acc", "top1_acc": 0.9, "top1_acc_ci": [0.85, 0.95], "mAP_ci": [0.1, 0.2],
             "bootstrap": {"resamples": 1000, "confidence": 0.9, "drawn": "rows"}}
    table = primary_table({"a": {"t": entry}})
    assert list(table.columns) == ["t (top1_acc)", "t (top1_acc) 90% CI"]
    assert to_markdown(table).splitlines()[2] == "| a | 0.9000 | [0.8500, 0.9500] |"


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
    task = scene_task(tmp_path)
    task_predictions(task, grid="faster", grid_points=1)
    result = subprocess.run([sys.executable, "-m", "heareval.evaluation.runner", "--embeddings-dir",
                             str(tmp_path / "emb"), "--table", "out/t.md", "--plot", "out/figures/p.svg"],
                            capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "out" / "t.md").read_text().startswith("| module |")
    assert (tmp_path / "out" / "figures" / "p.svg").read_text().lstrip().startswith("<?xml")
    assert sorted(p.name for p in (tmp_path / "out").rglob("*")) == ["figures", "p.svg", "t.md"], "no leftovers"


def test_table_shows_the_seed_spread_beside_the_bootstrap_interval():
    entry = {"primary_score": "top1_acc", "top1_acc": 0.9, "top1_acc_ci": [0.85, 0.95],
             "bootstrap": {"resamples": 100, "confidence": 0.95, "drawn": "rows"},
             "seed_summary": {"fold00": {"test_top1_acc": {"mean": 0.90, "std": 0.02}},
                              "fold01": {"test_top1_acc": {"mean": 0.80, "std": 0.04}}}}
    table = primary_table({"a": {"t": entry}})
    assert table.loc["a", "t (top1_acc) seeds mean ± std"] == "0.8500 ± 0.0300", "fold means of mean and std"
    assert table.loc["a", "t (top1_acc) 95% CI"] == "[0.8500, 0.9500]"
