"""Splits, folds and caps by hearpreprocess 2021.1.1's rules.

The expected assignments below were computed once by running the original's own
`ExtractMetadata.split_train_test_val`, `ExtractMetadata.split_k_folds` and `SubsampleSplit`
selection (hearpreprocess 2021.1.1 from PyPI) on these same inputs, and written in here.
"""

import random

import pandas as pd
import pytest

from heareval.errors import UserError
from heareval.tasks.splits import (
    assign_splits,
    carving_percentages,
    split_duration_cap,
    str2int,
    subsample,
)


def frame(keys, labels=None, split="train", seed=None):
    keys = list(keys)
    labels = labels or ["a"] * len(keys)
    rows = pd.DataFrame({"relpath": [f"/x/{k}.wav" for k in keys], "unique_filestem": keys, "split_key": keys,
                         "label": labels, "split": split})
    if seed is not None:  # the order files were found in must not matter
        rows = rows.sample(frac=1, random_state=seed).reset_index(drop=True)
    return rows


def splits_of(result):
    return result.set_index("split_key")["split"].sort_index().to_dict()


def by_split(**names):
    return {key: split for split, keys in names.items() for key in keys.split()}


def test_str2int_is_the_originals_seed():
    assert str2int("SubsampleSplit(train)") == int(__import__("hashlib").sha1(b"SubsampleSplit(train)")
                                                   .hexdigest(), 16) % (2**32 - 1)


def test_train_only_is_carved_80_10_10_as_the_original():
    expected = by_split(valid="k08 k18", test="k02 k12")
    for seed in (None, 1, 2):
        result = assign_splits(frame((f"k{i:02d}" for i in range(23)), seed=seed), {"task_name": "t"})
        assert splits_of(result) == {f"k{i:02d}": expected.get(f"k{i:02d}", "train") for i in range(23)}


def test_dcase_like_60_20_20_carving_as_the_original():
    config = {"task_name": "t", "split_percentage": {"valid": 20, "test": 20, "train": 60}}
    result = assign_splits(frame(f"s{i:02d}" for i in range(27)), config)
    expected = by_split(valid="s02 s07 s12 s15 s24", test="s01 s11 s16 s19 s25")
    assert splits_of(result) == {f"s{i:02d}": expected.get(f"s{i:02d}", "train") for i in range(27)}


def test_only_valid_missing_rescales_and_rounds_half_to_even_as_the_original():
    rows = frame(f"k{i:02d}" for i in range(20))
    rows.loc[rows["split_key"].isin(["k03", "k07"]), "split"] = "test"
    config = {"task_name": "t", "split_percentage": {"train": 60, "valid": 20, "test": 20}}
    result = assign_splits(rows, config)
    # 18 train keys x 25 % = 4.5 -> 4 valid keys (Python's round)
    expected = by_split(valid="k05 k12 k18 k19", test="k03 k07")
    assert splits_of(result) == {f"k{i:02d}": expected.get(f"k{i:02d}", "train") for i in range(20)}


def test_carving_percentages_keep_the_ratio():
    assert carving_percentages({"train": 80, "valid": 10, "test": 10}, {"valid"}) == pytest.approx(
        {"valid": 100 / 9, "test": 0.0})
    assert carving_percentages({"train": 80, "valid": 10, "test": 10}, {"test"})["test"] == pytest.approx(100 / 9)
    assert carving_percentages({"train": 80, "valid": 10, "test": 10}, {"valid", "test"}) == {"valid": 10,
                                                                                              "test": 10}


def test_too_few_keys_to_carve_is_an_error():
    with pytest.raises(UserError, match="too few"):
        assign_splits(frame(["a", "b", "c"]), {"task_name": "t"})


def test_split_key_keeps_a_speaker_in_one_split():
    rows = [(f"/x/{s}_{c}.wav", "train", f"spk{s}", f"spk{s}_{c}", "a") for s in range(30) for c in range(3)]
    random.Random(0).shuffle(rows)
    metadata = pd.DataFrame(rows, columns=["relpath", "split", "split_key", "unique_filestem", "label"])
    result = assign_splits(metadata, {"task_name": "t"})
    assert (result.groupby("split_key")["split"].nunique() == 1).all()
    assert result.drop_duplicates("split_key")["split"].value_counts().to_dict() == {"train": 24, "valid": 3,
                                                                                     "test": 3}


KFOLD = {"task_name": "t", "split_mode": "new_split_kfold", "nfolds": 5, "mode": "full",
         "embedding_type": "scene", "prediction_type": "multiclass"}
ALTERNATING = ["a" if i % 2 else "b" for i in range(12)]


def test_kfold_retries_seeds_until_every_fold_has_every_label_as_the_original():
    result = assign_splits(frame((f"k{i:02d}" for i in range(12)), ALTERNATING), KFOLD)
    # the original succeeded with seed "split_k_folds_retry_2"
    assert splits_of(result) == by_split(fold00="k01 k07 k08", fold01="k00 k10 k11", fold02="k05 k06",
                                         fold03="k03 k04", fold04="k02 k09")
    assert (result.groupby("split")["label"].nunique() == 2).all()


def test_kfold_small_mode_takes_the_first_seed_as_the_original():
    for config in ({**KFOLD, "mode": "small"}, {**KFOLD, "embedding_type": "event", "prediction_type": "multilabel"}):
        result = assign_splits(frame((f"k{i:02d}" for i in range(12)), ALTERNATING, seed=3), config)
        assert splits_of(result) == by_split(fold00="k03 k05 k07", fold01="k02 k04 k09", fold02="k01 k06",
                                             fold03="k00 k08", fold04="k10 k11")


def test_kfold_errors():
    with pytest.raises(UserError, match="cannot fill 5 folds"):
        assign_splits(frame(["a", "b"]), KFOLD)
    with pytest.raises(UserError, match="no seed"):
        assign_splits(frame((f"k{i}" for i in range(5)), ["a", "b", "b", "b", "b"]), KFOLD)


def test_presplit_kfold_rejects_unknown_fold_names():
    with pytest.raises(UserError, match="fold07"):
        assign_splits(frame(["a"], split="fold07"), {"task_name": "t", "split_mode": "presplit_kfold", "nfolds": 5})


FILES = pd.DataFrame({"unique_filestem": [f"f{i}" for i in range(10)], "relpath": [f"/a/f{i}.wav" for i in range(10)]})


def test_subsample_keeps_the_originals_files():
    assert subsample(FILES, "train", 5.0, 1.0, "t")["unique_filestem"].tolist() == ["f1", "f2", "f4", "f8", "f9"]
    assert subsample(FILES, "fold01", 5.0, 1.0, "t")["unique_filestem"].tolist() == ["f3", "f4", "f5", "f7", "f9"]
    shuffled = FILES.sample(frac=1.0, random_state=4)
    assert subsample(shuffled, "train", 5.0, 1.0, "t")["unique_filestem"].tolist() == ["f1", "f2", "f4", "f8", "f9"]
    # int(cap / sample_duration) files: 5.9 s of 2 s clips -> 2 files
    assert len(subsample(FILES, "train", 5.9, 2.0, "t")) == 2
    assert len(subsample(FILES, "train", None, 1.0, "t")) == 10
    assert len(subsample(FILES, "train", None, None, "t")) == 10


def test_subsample_of_variable_length_audio_needs_no_cap():
    with pytest.raises(UserError, match="sample_duration null"):
        subsample(FILES, "train", 100.0, None, "t")


def test_split_duration_cap_reads_per_split_or_per_fold():
    assert split_duration_cap({"max_task_duration_by_split": {"train": 10.0, "test": None}}, "train") == 10.0
    assert split_duration_cap({"split_mode": "new_split_kfold", "max_task_duration_by_fold": 4500}, "fold02") == 4500


def test_every_split_must_hold_every_label_outside_mode_small():
    """hearpreprocess 2021.1.1's _diagnose_split_labels: an AssertionError outside mode small, a warning
    only for event multilabel tasks."""
    from heareval.tasks.splits import check_every_label_in_every_split

    metadata = pd.DataFrame({"split": ["train", "train", "valid", "test", "test"],
                             "label": ["a", "b", "a", "a", "b"]})
    config = {"task_name": "t", "mode": "full", "embedding_type": "scene", "prediction_type": "multiclass"}
    with pytest.raises(UserError, match=r"t: split valid has no example of label 'b' \(here; 1 label\(s\) missing\)"):
        check_every_label_in_every_split(metadata, config, "here")
    check_every_label_in_every_split(metadata, {**config, "mode": "small"}, "here")
    check_every_label_in_every_split(metadata, {**config, "embedding_type": "event", "prediction_type": "multilabel"},
                                     "here")
    check_every_label_in_every_split(metadata[metadata["split"] != "valid"], config, "here")
