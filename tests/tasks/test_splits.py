import random

import pandas as pd
import pytest

from heareval.errors import UserError
from heareval.tasks.splits import assign_by_percentage, assign_folds, assign_splits, stable_hash, subsample


def metadata(n_speakers=30, clips=3, seed=0):
    rows = [(f"/x/{s}_{c}.wav", "train", f"spk{s}", f"spk{s}_{c}") for s in range(n_speakers) for c in range(clips)]
    random.Random(seed).shuffle(rows)
    return pd.DataFrame(rows, columns=["relpath", "split", "split_key", "unique_filestem"])


CONFIG = {"task_name": "t", "split_mode": "trainvaltest", "split_percentage": {"train": 60, "valid": 20, "test": 20}}


def test_stable_hash_is_fixed():
    assert stable_hash("speaker") == stable_hash("speaker")
    assert stable_hash("a") != stable_hash("b")
    assert stable_hash("abc") == int("ba7816bf8f01cfea", 16)  # sha256("abc") prefix


def test_train_only_is_split_60_20_20_by_split_key():
    result = assign_splits(metadata(), CONFIG)
    per_key = result.groupby("split_key")["split"].nunique()
    assert (per_key == 1).all(), "a speaker spans two splits"
    counts = result.drop_duplicates("split_key")["split"].value_counts()
    assert counts.to_dict() == {"train": 18, "valid": 6, "test": 6}


def test_split_assignment_ignores_input_order():
    first = assign_splits(metadata(seed=1), CONFIG).set_index("relpath")["split"].sort_index()
    second = assign_splits(metadata(seed=2), CONFIG).set_index("relpath")["split"].sort_index()
    assert first.equals(second)


def test_existing_test_split_is_kept_and_valid_carved_from_train():
    frame = metadata()
    frame.loc[frame["split_key"].isin(["spk0", "spk1"]), "split"] = "test"
    result = assign_splits(frame, CONFIG)
    assert set(result.loc[result["split_key"].isin(["spk0", "spk1"]), "split"]) == {"test"}
    assert set(result["split"]) == {"train", "valid", "test"}


def test_kfold_assigns_balanced_folds_by_key():
    config = {"task_name": "t", "split_mode": "new_split_kfold", "nfolds": 5}
    result = assign_splits(metadata(seed=3), config)
    assert (result.groupby("split_key")["split"].nunique() == 1).all()
    assert result.drop_duplicates("split_key")["split"].value_counts().to_dict() == {
        f"fold{i:02d}": 6 for i in range(5)}
    assert assign_folds(["a", "b", "c"], 2) == assign_folds(["c", "a", "b"], 2)


def test_presplit_kfold_rejects_unknown_fold_names():
    frame = metadata().assign(split="fold07")
    with pytest.raises(UserError, match="fold07"):
        assign_splits(frame, {"task_name": "t", "split_mode": "presplit_kfold", "nfolds": 5})


def test_percentage_assignment_covers_every_key_once():
    keys = [f"k{i}" for i in range(101)]
    assignment = assign_by_percentage(keys, {"train": 60, "valid": 20, "test": 20})
    assert set(assignment) == set(keys)
    assert sorted(assignment.values()).count("train") == 61


def test_subsample_is_deterministic_capped_and_order_free():
    files = pd.DataFrame({"unique_filestem": [f"f{i}" for i in range(100)], "duration": [2.0] * 100,
                          "relpath": [f"/a/f{i}.wav" for i in range(100)]})
    kept = subsample(files, 50.0)
    assert len(kept) == 25 and kept["duration"].sum() <= 50.0
    shuffled = subsample(files.sample(frac=1.0, random_state=4), 50.0)
    assert kept["unique_filestem"].tolist() == shuffled["unique_filestem"].tolist()
    assert len(subsample(files, None)) == 100
    # growing the cap only adds files: the subset is stable
    assert set(kept["unique_filestem"]) <= set(subsample(files, 80.0)["unique_filestem"])
