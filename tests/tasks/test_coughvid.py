"""COUGHVID: the status of recordings the cough detector is sure of, folds by recording, bad corpora."""

import csv
import io
from pathlib import Path

import pytest

from heareval.tasks.coughvid import TABLE
from heareval.tasks.small.coughvid import archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)


def test_small_task_keeps_the_sure_coughs_with_a_status(small_tasks):
    members = dict(archive())
    table = list(csv.DictReader(io.StringIO(members[f"public_dataset/{TABLE}"].decode())))
    kept = {row["uuid"]: row["status"] for row in table if float(row["cough_detected"]) > 0.8 and row["status"]}
    assert len(kept) < len(table), "the stand-in holds rows the rule leaves out"
    task_dir = task_dir_of(small_tasks, "coughvid")
    expected_fold = folds_by_the_original_rule(kept, 5)
    seen = labels_by_fold(task_dir, [f"fold{i:02d}" for i in range(5)], lambda name: expected_fold[Path(name).stem])
    assert seen == {f"{uuid}.wav": [status] for uuid, status in kept.items()}
    assert vocabulary_of(task_dir) == ["COVID-19", "healthy", "symptomatic"]


@pytest.mark.parametrize("change, pattern", [
    (lambda name, data: None if name.endswith(TABLE) else data, r"coughvid: missing .*public_dataset/" + TABLE),
    (lambda name, data: b"uuid;status\n" if name.endswith(TABLE) else data, r"coughvid: malformed .*" + TABLE),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, pattern):
    members = ((name, change(name, data)) for name, data in archive())
    mirror = zip_mirror(tmp_path, "public_dataset.zip", ((name, data) for name, data in members if data is not None))
    assert_one_error_line(run_tasks_runner("coughvid", mirror, tmp_path), pattern, tmp_path)
