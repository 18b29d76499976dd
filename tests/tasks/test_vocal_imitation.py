"""Vocal Imitation: labels from the corpus's table of included imitations, folds by the original's rule,
bad corpora."""

import csv
import io
import json
from pathlib import Path

import pytest

from heareval.tasks.small.vocal_imitation import archive
from heareval.tasks.vocal_imitation import ROOT, TABLE
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
    zip_mirror,
)


def table_rows():
    return list(csv.DictReader(io.StringIO(dict(archive())[f"{ROOT}/{TABLE}"].decode()), delimiter="\t"))


def test_small_task_labels_and_folds(small_tasks):
    task_dir = task_dir_of(small_tasks, "vocal_imitation")
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["splits"] == ["fold00", "fold01", "fold02"]
    included = {row["imitation_filename"]: row["reference_filename"] for row in table_rows() if row["included"] == "1"}
    assert len(included) < len(table_rows()), "the stand-in has excluded imitations"
    expected_fold = folds_by_the_original_rule([Path(name).stem for name in included], 3)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: expected_fold[Path(name).stem])
    assert seen == {name: [reference] for name, reference in included.items()}
    assert vocabulary_of(task_dir) == sorted(set(included.values()))


def with_table(change):
    def rename(name, data):
        return (name, change(data.decode()).encode()) if name.endswith(TABLE) else (name, data)
    return rename


@pytest.mark.parametrize("change, pattern", [
    (lambda name, data: (None, data) if name.endswith(TABLE) else (name, data),
     r"vocal_imitation: missing .*/VocalImitationSet/vocal_imitations.txt"),
    (with_table(lambda text: text.replace("\tincluded\n", "\tkept\n")),
     r"vocal_imitation: .*vocal_imitations.txt has no column 'included'"),
    (with_table(lambda text: text.replace("Bell - 03.wav\t005Music_Bell.wav\t1", "Bell - 03.wav\t005Music_Bell.wav\t0",
                                          1)),
     r"vocal_imitation: .*/included/005Music_Bell - 03.wav is not among the included imitations of .*txt"),
    (with_table(lambda text: text + "9\t000Animal_Dog barking - 00.wav\t001Animal_Cat purring.wav\t1\n"),
     r"vocal_imitation: .*txt lists 000Animal_Dog barking - 00.wav more than once"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, pattern):
    members = [(name, data) for name, data in (change(name, data) for name, data in archive()) if name]
    mirror = zip_mirror(tmp_path, "VocalImitationSet_v1.1.3.zip", iter(members))
    assert_one_error_line(run_tasks_runner("vocal_imitation", mirror, tmp_path), pattern, tmp_path)
