"""Beehive states (folds 0 and 1): one hive trained on, the other tested, labels from file names, RAR
archives read in process."""

import json
import random
from pathlib import Path

import pytest

from heareval.tasks.beehive_states_fold0 import RECORDINGS, queen_label
from heareval.tasks.download import md5_of
from heareval.tasks.small import write_rar
from heareval.tasks.small.beehive_states_fold0 import archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import assert_one_error_line, run_tasks_runner, vocabulary_of


def hive_files(hive: str) -> list:
    return sorted(Path(name).name for _, day, upstream, _, _ in RECORDINGS if upstream.lower().startswith(hive)
                  for name, _ in archive(upstream))


def valid_by_the_original_rule(train_stems: list) -> set:
    """hearpreprocess's split_train_test_val with only valid missing: 10 / (80 + 10) of the sorted, shuffled
    split keys (here each file's stem)."""
    keys = sorted(train_stems)
    random.Random("split_train_test_val").shuffle(keys)
    return set(keys[:int(round(len(keys) * (10 / ((80 + 10) / 100)) / 100))])


@pytest.mark.parametrize("task_name, train_hive, test_hive", [("beehive_states_fold0", "hive1", "hive3"),
                                                              ("beehive_states_fold1", "hive3", "hive1")])
def test_small_task_trains_on_one_hive_and_tests_on_the_other(small_tasks, task_name, train_hive, test_hive):
    task_dir = task_dir_of(small_tasks, task_name)
    assert task_dir.name == f"{task_name}-v2-small"
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["sample_duration"] == 2 and metadata["split_mode"] == "trainvaltest"
    splits = {split: json.loads((task_dir / f"{split}.json").read_text()) for split in ("train", "valid", "test")}
    assert sorted(splits["test"]) == hive_files(test_hive)
    assert sorted([*splits["train"], *splits["valid"]]) == hive_files(train_hive)
    assert {Path(name).stem for name in splits["valid"]} == valid_by_the_original_rule(
        [Path(name).stem for name in hive_files(train_hive)])
    for labels in splits.values():
        assert all(file_labels == [queen_label(name)] for name, file_labels in labels.items())
    assert vocabulary_of(task_dir) == ["NOQUEEN", "QUEEN"]


def test_the_label_is_read_from_the_file_name_as_the_original_did():
    assert queen_label("Hive1_12_06_2018_NO_QueenBee_H1_audio_00.wav") == "NOQUEEN"
    assert queen_label("Hive1_12_06_2018_QueenBee_H1_audio_00.wav") == "QUEEN"
    assert queen_label("Hive3_NOON_QueenBee.wav") == "NOQUEEN", "any 'NO', as the original's rule"


def rar_mirror(tmp_path: Path, broken: str) -> Path:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for _, _, name, _, _ in RECORDINGS:
        path = mirror / f"{name}.rar"
        if name == broken:
            path.write_bytes(b"Rar!\x1a\x07\x00" + b"\x00" * 40)
        else:
            write_rar(path, archive(name))
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(p)}  {p.name}\n" for p in sorted(mirror.glob("*.rar"))))
    return mirror


def test_a_broken_rar_archive_is_one_clear_line(tmp_path):
    result = run_tasks_runner("beehive_states_fold0", rar_mirror(tmp_path, "Hive3_14_07_2017"), tmp_path)
    assert_one_error_line(result, r"corrupt archive .*Hive3_14_07_2017\.rar: ", tmp_path)
