"""Several tasks trained at once in worker processes."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading

import pytest

from heareval.errors import UserError
from heareval.predictionformat import DONE_MARKER
from heareval.predictions.runner import run_predictions
from heareval.predictions.workers import largest_first, predict_in_workers
from tests.predictions.test_train import scene_task


def test_largest_tasks_start_first(tmp_path):
    small, large = scene_task(tmp_path, name="a_small"), scene_task(tmp_path, name="b_large", n=(400, 40, 40))
    assert largest_first([small, large]) == [large, small]


def test_tasks_trained_side_by_side_match_one_at_a_time(tmp_path, capsys):
    names = ("one", "two", "three")
    for kind in ("serial", "parallel"):
        for name in names:
            scene_task(tmp_path / kind, name=name, multilabel=name == "two")
    options = dict(gpus=[], grid="faster", grid_points=2, seed=3)
    run_predictions([str(tmp_path / "serial" / "emb" / "mod")], **options)
    run_predictions([str(tmp_path / "parallel" / "emb" / "mod")], jobs=2, **options)
    assert "tasks, 2 at once" in capsys.readouterr().err
    for name in names:
        serial, parallel = (json.loads((tmp_path / kind / "emb" / "mod" / name / "test.predicted-scores.json")
                                       .read_text()) for kind in ("serial", "parallel"))
        assert parallel["test"]["test_score"] == serial["test"]["test_score"]
        assert parallel["hparams"] == serial["hparams"]
        assert (tmp_path / "parallel" / "emb" / "mod" / name / DONE_MARKER).is_file()


def test_a_failed_task_in_a_worker_is_one_clear_error(tmp_path):
    scene_task(tmp_path, name="good")
    bad = scene_task(tmp_path, name="bad")
    (bad / "train.embeddings.npy").write_bytes(b"\0" * 12)  # truncated
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", str(tmp_path / "emb" / "mod"),
                             "--grid", "faster", "--grid-points", "1", "--gpus", "0", "--jobs", "2"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "train.embeddings.npy" in result.stderr
    assert not (bad / DONE_MARKER).exists()


def test_a_killed_worker_is_one_clear_error_and_a_rerun_resumes(tmp_path):
    for name in ("one", "two"):
        scene_task(tmp_path, name=name)
    module = tmp_path / "emb" / "mod"

    def kill_workers() -> None:
        for child in multiprocessing.active_children():
            os.kill(child.pid, signal.SIGKILL)

    killer = threading.Timer(1.0, kill_workers)  # the workers are still importing Lightning
    killer.start()
    with pytest.raises(UserError, match="stopped abruptly"):
        for _ in predict_in_workers(sorted(module.iterdir()), [[], []], dict(grid="faster", grid_points=1)):
            pass
    killer.join()
    assert not any((task / DONE_MARKER).exists() for task in module.iterdir())
    run_predictions([str(module)], gpus=[], grid="faster", grid_points=1, jobs=2)
    assert all((task / DONE_MARKER).is_file() for task in module.iterdir())
