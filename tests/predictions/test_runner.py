"""The predictions runner: which task folders a command names, what it refuses before training, the CLI."""

import json
import subprocess
import sys

import pytest

from heareval.errors import UserError
from heareval.predictions.runner import embedding_task_dirs, run_predictions
from heareval.predictions.train import DONE_MARKER
from tests.predictions.test_train import scene_task


def test_targets_are_module_names_module_folders_or_task_folders(tmp_path):
    one, two = scene_task(tmp_path, name="one"), scene_task(tmp_path, name="two")
    emb = str(tmp_path / "emb")
    assert embedding_task_dirs(["mod"], emb) == [one, two]
    assert embedding_task_dirs([str(tmp_path / "emb" / "mod")], "elsewhere") == [one, two]
    assert embedding_task_dirs([str(two)], "elsewhere") == [two]
    assert embedding_task_dirs(["mod"], emb, task="two") == [two], "a task by its name"
    with pytest.raises(UserError, match="no task 'three' among mod"):
        embedding_task_dirs(["mod"], emb, task="three")
    with pytest.raises(UserError, match="'nomod' is neither an embedding task folder nor a module in .*emb"):
        embedding_task_dirs(["nomod"], emb)
    (tmp_path / "emb" / "empty").mkdir()
    with pytest.raises(UserError, match="no embedding task folders in .*empty"):
        embedding_task_dirs(["empty"], emb)


def test_an_unknown_probe_or_unfinished_embeddings_are_refused_before_any_training(tmp_path):
    task = scene_task(tmp_path)
    with pytest.raises(UserError, match="unknown probe 'svm'; probes: mlp, linear, knn"):
        run_predictions(["mod"], str(tmp_path / "emb"), probe="svm")
    (task / ".done.embeddings").unlink()  # an embeddings run that stopped while writing
    (task / "valid.embeddings.npy").write_bytes((task / "valid.embeddings.npy").read_bytes()[:-64])
    with pytest.raises(UserError, match="emb/mod/synthetic: embeddings are incomplete .*rerun the embeddings runner"):
        run_predictions(["mod"], str(tmp_path / "emb"), grid="faster", grid_points=1)
    assert not (task / DONE_MARKER).exists() and not (task / "logs").exists()


def test_cli_takes_module_names_or_task_folders(tmp_path):
    scene_task(tmp_path, name="one")
    scene_task(tmp_path, name="two")
    emb = tmp_path / "emb"
    folders = [str(p) for p in sorted((emb / "mod").iterdir())]
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", *folders, "--grid", "faster",
                             "--grid-points", "1", "--model", "weights.pt", "--gpus", "0", "--stop-on-nan-score"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert all(json.loads((emb / "mod" / n / DONE_MARKER).read_text())["stop_on_nan_score"] for n in ("one", "two"))
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", "mod", "--embeddings-dir", str(emb)],
                            capture_output=True, text=True, cwd=tmp_path, timeout=600)
    assert result.returncode == 0 and result.stderr.count("skipped (done)") == 2
    nothing_to_train = ("import sys; from heareval.predictions.runner import run_predictions; "
                        f"run_predictions(['mod'], embeddings_dir={str(emb)!r}); assert 'lightning' not in sys.modules")
    subprocess.run([sys.executable, "-c", nothing_to_train], check=True, capture_output=True, cwd=tmp_path)
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", "nomod", "--embeddings-dir",
                             str(emb), "--gpus", "[x]"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr and "--gpus" in result.stderr
