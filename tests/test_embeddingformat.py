"""The embeddings folder's completeness: by the marker, or, without it, by the format itself."""

import json
import logging
import pickle
import subprocess
import sys

import numpy as np
import pytest

from heareval.embeddingformat import DONE_MARKER, check_complete, short_file
from heareval.errors import UserError
from heareval.evaluation.runner import evaluate
from tests.conftest import task_dir_of
from tests.predictions.test_train import scene_task


def without_marker(task):
    (task / DONE_MARKER).unlink()
    return task


def test_a_complete_folder_without_the_marker_trains_and_evaluates_with_a_warning(tmp_path):
    """As folders of earlier releases of the original kit, of other tools or of a user's script."""
    task = without_marker(scene_task(tmp_path))
    assert short_file(task) is None
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", str(task), "--grid", "faster",
                             "--grid-points", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"has no {DONE_MARKER} marker; its files are complete by the format" in result.stderr
    scores = evaluate(embeddings_dir=str(tmp_path / "emb"))["mod"]["synthetic"]
    assert 0 <= scores["top1_acc"] <= 1 and scores["primary_score"] == "top1_acc"


def test_the_marker_is_trusted_without_reading_the_files(tmp_path):
    task = scene_task(tmp_path)
    (task / "test.target-labels.pkl").unlink()
    check_complete(task)  # the finished runner's word: the predictions stage still checks every file it loads


def truncate_matrix(task):
    data = (task / "valid.embeddings.npy").read_bytes()
    (task / "valid.embeddings.npy").write_bytes(data[: len(data) // 2])
    return "valid.embeddings.npy holds 1280 bytes, but valid.embedding-dimensions.json says 40 x 16 float32"


def shorten_labels(task):
    labels = pickle.loads((task / "train.target-labels.pkl").read_bytes())
    (task / "train.target-labels.pkl").write_bytes(pickle.dumps(labels[:-1]))
    return "train.target-labels.pkl has 119 label rows for 120 embedding rows"


def remove_matrix(task):
    (task / "test.embeddings.npy").unlink()
    return "test.embeddings.npy is missing"


@pytest.mark.parametrize("damage", [truncate_matrix, shorten_labels, remove_matrix])
def test_an_incomplete_folder_without_the_marker_is_refused_naming_the_short_file(tmp_path, damage):
    task = without_marker(scene_task(tmp_path))
    message = damage(task)
    with pytest.raises(UserError, match=f"embeddings are incomplete \\(.*{message}"):
        check_complete(task)
    result = subprocess.run([sys.executable, "-m", "heareval.predictions.runner", str(task), "--grid", "faster",
                             "--grid-points", "1"], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert message.split(",")[0] in result.stderr.strip().splitlines()[-1]


def test_event_timestamps_are_counted_too(baseline_embeddings, copy_task, caplog):
    task = without_marker(copy_task(task_dir_of(baseline_embeddings, "dcase2016_task2")))
    with caplog.at_level(logging.WARNING):
        check_complete(task)
    assert "complete by the format" in caplog.text
    stamps = json.loads((task / "test.filename-timestamps.json").read_text())
    (task / "test.filename-timestamps.json").write_text(json.dumps(stamps[:-5]))
    rows = len(stamps)
    with pytest.raises(UserError, match=f"test.filename-timestamps.json has {rows - 5} rows for {rows} embedding"):
        check_complete(task)


def test_a_matrix_of_the_wrong_size_with_no_marker_is_refused_even_when_the_labels_match(tmp_path):
    task = without_marker(scene_task(tmp_path))
    np.zeros((120, 15), dtype=np.float32).tofile(task / "train.embeddings.npy")
    with pytest.raises(UserError, match="train.embeddings.npy holds 7200 bytes"):
        check_complete(task)
