"""VoxLingua107 top 10: the ten most frequent languages kept, labels from folders, folds by the original's rule."""

import json
from pathlib import Path

import pandas as pd

from heareval.tasks.small.vox_lingua_top10 import UTTERANCES, archive
from heareval.tasks.vox_lingua_top10 import most_frequent
from tests.conftest import task_dir_of
from tests.tasks.conftest import folds_by_the_original_rule, labels_by_fold, vocabulary_of


def test_most_frequent_breaks_ties_by_name():
    labels = pd.Series(["b"] * 3 + ["a"] * 2 + ["c"] * 2 + ["d"])
    assert most_frequent(labels, 2) == ["b", "a"]
    assert most_frequent(labels, 3) == ["b", "a", "c"]
    assert most_frequent(labels, 10) == ["b", "a", "c", "d"]


def test_small_task_keeps_the_top_ten(small_tasks):
    task_dir = task_dir_of(small_tasks, "vox_lingua_top10")
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    top = sorted(UTTERANCES, key=lambda language: -UTTERANCES[language])[:10]
    assert set(UTTERANCES) - set(top) == {"et", "fi"}
    kept = [name for name, _ in archive() if name.split("/")[0] in top]
    expected_fold = folds_by_the_original_rule([Path(name).stem for name in kept], 5)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: expected_fold[Path(name).stem])
    assert seen == {Path(name).name: [name.split("/")[0]] for name in kept}
    assert vocabulary_of(task_dir) == sorted(top)
