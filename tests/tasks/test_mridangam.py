"""Mridangam Stroke and Tonic: labels from file names, folds dealt by the original's rule, bad corpora."""

import json
from pathlib import Path

import pytest

from heareval.tasks.small.mridangam_stroke import archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)


@pytest.mark.parametrize("task_name, part", [("mridangam_stroke", 0), ("mridangam_tonic", 1)])
def test_small_task_labels_and_folds(small_tasks, task_name, part):
    task_dir = task_dir_of(small_tasks, task_name)
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["split_mode"] == "new_split_kfold" and metadata["splits"] == [f"fold{i:02d}" for i in range(5)]
    names = [Path(name).name for name, _ in archive()]
    expected_fold = folds_by_the_original_rule([Path(n).stem for n in names], 5)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: expected_fold[Path(name).stem])
    for name, labels in seen.items():
        assert labels == [name.split("__")[-1].split("-")[part]]
    assert sorted(seen) == sorted(names), "every file in exactly one fold"
    assert vocabulary_of(task_dir) == sorted({labels[0] for labels in seen.values()})


@pytest.mark.parametrize("rename, message", [
    (lambda name: name.replace("bheem-b-001", "bheemx-b-001"),
     r"mridangam_stroke: .*__bheemx-b-001.wav: 'bheemx' is not one of bheem, cha, "),
    (lambda name: name.replace("__akshaylaya__cha-c-002", "cha_c"),
     r"mridangam_stroke: .*cha_c.wav: expected a name <id>__<author>__<stroke>-<tonic>-<n>.wav"),
])
def test_a_bad_file_name_is_one_clear_line(tmp_path, rename, message):
    mirror = zip_mirror(tmp_path, "mridangam_stroke_1.5.zip", ((rename(name), data) for name, data in archive()))
    assert_one_error_line(run_tasks_runner("mridangam_stroke", mirror, tmp_path), message, tmp_path)
