"""Train/validation/test arrangements: the one test split, or each k-fold fold tested once."""

import pytest

from heareval.errors import UserError
from heareval.predictionformat import arrangements
from heareval.taskformat import TaskMetadata


def task(splits, split_mode):
    return TaskMetadata("t", "scene", "multiclass", tuple(splits), split_mode)


def test_a_presplit_task_is_trained_validated_and_tested_once():
    (only,) = arrangements(task(["train", "valid", "test"], "trainvaltest"))
    assert (only.name, only.train, only.valid, only.test) == ("test", ["train"], "valid", "test")


def test_each_fold_is_tested_once_validated_on_the_next_and_trained_on_the_rest():
    folds = [f"fold{i:02d}" for i in range(4)]
    layout = arrangements(task(folds, "new_split_kfold"))
    assert [a.test for a in layout] == folds
    assert [a.valid for a in layout] == folds[1:] + folds[:1]
    for a in layout:
        assert sorted(a.train + [a.valid, a.test]) == folds and len(set(a.train + [a.valid, a.test])) == 4


def test_k_fold_needs_three_folds():
    with pytest.raises(UserError, match="at least 3 folds"):
        arrangements(task(["fold00", "fold01"], "presplit_kfold"))
