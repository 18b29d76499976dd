"""Beijing Opera: instruments by the original's file-name rule, only the archive folder's own files,
folds by the original's rule, bad names."""

import json
from pathlib import Path

import pytest

from heareval.tasks.beijing_opera import ARCHIVE_FOLDER, instrument_of
from heareval.tasks.small.beijing_opera import INSTRUMENTS, archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)


@pytest.mark.parametrize("name, instrument", [
    ("12__bangu-3.wav", "bangu"), ("a__b__naobo-10.wav", "naobo"), ("daluo-x-2.wav", "x"), ("xiaoluo-1.wav", "xiaoluo"),
])
def test_the_label_is_the_originals_rule(name, instrument):
    assert instrument_of(name) == name.split("__")[-1].split("-")[-2] == instrument


@pytest.mark.parametrize("name", ["bangu.wav", "12__-3.wav"])
def test_a_name_the_rule_cannot_read(name):
    with pytest.raises(ValueError):
        instrument_of(name)


def test_small_task_labels_and_folds(small_tasks):
    task_dir = task_dir_of(small_tasks, "beijing_opera")
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["splits"] == [f"fold{i:02d}" for i in range(5)]
    names = [Path(name).name for name, _ in archive()]
    expected_fold = folds_by_the_original_rule([Path(name).stem for name in names], 5)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: expected_fold[Path(name).stem])
    assert seen == {name: [instrument_of(name)] for name in names}
    assert vocabulary_of(task_dir) == sorted(INSTRUMENTS)


def test_files_below_the_archive_folder_are_left_out(tmp_path):
    members = list(archive()) + [(f"{ARCHIVE_FOLDER}/extra/999__bangu-1.wav", dict(archive())[
        f"{ARCHIVE_FOLDER}/100__bangu-1.wav"])]
    mirror = zip_mirror(tmp_path, "beijing_opera_percussion_instrument_1.0.zip", iter(members))
    result = run_tasks_runner("beijing_opera", mirror, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    task_dir = tmp_path / "t" / "beijing_opera-v1.0-hear2021-full"
    names = [name for fold in range(5) for name in json.loads((task_dir / f"fold{fold:02d}.json").read_text())]
    assert len(names) == len(list(archive())) and "999__bangu-1.wav" not in names


def test_a_bad_name_is_one_clear_line(tmp_path):
    members = ((name.replace("__naobo-2.wav", "__naobo2.wav"), data) for name, data in archive())
    mirror = zip_mirror(tmp_path, "beijing_opera_percussion_instrument_1.0.zip", members)
    assert_one_error_line(run_tasks_runner("beijing_opera", mirror, tmp_path),
                          r"beijing_opera: .*__naobo2.wav: expected a name ending in <instrument>-<n>.wav", tmp_path)
