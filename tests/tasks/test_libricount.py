"""LibriCount: speaker counts from file names, folds dealt by the original's rule, bad corpora."""

import json
from pathlib import Path

import pytest

from heareval.tasks.libricount import COUNTS
from heareval.tasks.small.libricount import archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)


def test_small_task_labels_and_folds(small_tasks):
    task_dir = task_dir_of(small_tasks, "libricount")
    assert task_dir.name == "libricount-v1.0.0-hear2021-small"
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["splits"] == [f"fold{i:02d}" for i in range(5)] and metadata["sample_duration"] == 2
    names = [Path(name).name for name, _ in archive() if name.endswith(".wav")]
    expected_fold = folds_by_the_original_rule([Path(name).stem for name in names], 5)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: expected_fold[Path(name).stem])
    for name, labels in seen.items():
        assert labels == [name.split("_")[0]]
    assert sorted(seen) == sorted(names), "every .wav in exactly one fold, no .json"
    assert vocabulary_of(task_dir) == sorted(COUNTS), "string labels in the original's sorted order: 0, 1, 10, 2"


@pytest.mark.parametrize("rename, pattern", [
    (lambda name: name.replace("test/3_take1_", "test/three_take1_"),
     r"libricount: .*/test/three_take1_[-0-9]*\.wav: the name should start with the speaker count 0..10 and '_', "
     r"not 'three'"),
    (lambda name: name.replace("test/", "train/"), r"libricount: missing .*/LibriCount10-0dB/test$"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, rename, pattern):
    mirror = zip_mirror(tmp_path, "LibriCount10-0dB.zip", ((rename(name), data) for name, data in archive()))
    assert_one_error_line(run_tasks_runner("libricount", mirror, tmp_path), pattern, tmp_path)
