"""Split assignment and duration caps by the rules of hearpreprocess 2021.1.1.

The same corpus gives the same files in each split as the original kit. Every rule starts from the
sorted unique split keys (or file stems) and shuffles them with a fixed seed, so the result does not
depend on the order in which files were found.
"""

import hashlib
import random
from typing import Dict, Mapping, Optional

import numpy as np
import pandas as pd

from heareval.errors import UserError
from heareval.taskformat import TRAIN_VALID_TEST, split_mode_of

# hearpreprocess's TRAIN/VALIDATION/TEST_PERCENTAGE (its README says 60/20/20; its code uses these).
DEFAULT_SPLIT_PERCENTAGE = {"train": 80, "valid": 10, "test": 10}
CARVE_SEED = "split_train_test_val"
KFOLD_SEEDS = ["split_k_folds"] + [f"split_k_folds_retry_{i}" for i in range(999)]


def str2int(text: str) -> int:
    """hearpreprocess's seed of a name: sha1 as an integer, modulo 2**32 - 1."""
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest(), 16) % (2**32 - 1)


def carving_percentages(split_percentage: Mapping[str, float], missing: set) -> Dict[str, float]:
    """Percentages of train's split keys that go to valid and test.

    When only one of valid/test is missing, train and that split keep their ratio, rescaled to 100
    (80/10 -> 88.9/11.1), with the original's floating-point operations, since they decide rounding.
    """
    train, valid, test = (float(split_percentage[name]) for name in TRAIN_VALID_TEST)
    if missing == {"valid"}:
        total = (train + valid) / 100
        return {"valid": valid / total, "test": 0.0}
    if missing == {"test"}:
        total = (train + test) / 100
        return {"valid": 0.0, "test": test / total}
    return {"valid": valid, "test": test}


def carve_valid_test(metadata: pd.DataFrame, split_percentage: Mapping[str, float], task_name: str) -> pd.DataFrame:
    """Give valid and test, where the corpus lacks them, a share of train's split keys.

    As in the original, a carved key moves every row that has it, including rows of a split the
    corpus already had.
    """
    present = set(metadata["split"])
    missing = {"valid", "test"} - present
    if not missing:
        return metadata
    percentages = carving_percentages(split_percentage, missing)
    keys = sorted(metadata.loc[metadata["split"] == "train", "split_key"].unique())
    random.Random(CARVE_SEED).shuffle(keys)
    n_valid = int(round(len(keys) * percentages["valid"] / 100))
    n_test = int(round(len(keys) * percentages["test"] / 100))
    for name, count in (("valid", n_valid), ("test", n_test)):
        if name in missing and count == 0:
            raise UserError(f"{task_name}: {len(keys)} split keys in train are too few to carve a {name} split "
                            f"of {percentages[name]:.1f}%")
    metadata = metadata.copy()
    metadata.loc[metadata["split_key"].isin(set(keys[:n_valid])), "split"] = "valid"
    metadata.loc[metadata["split_key"].isin(set(keys[n_valid:n_valid + n_test])), "split"] = "test"
    return metadata


def split_k_folds(metadata: pd.DataFrame, nfolds: int, every_label_in_every_fold: bool,
                  task_name: str) -> pd.DataFrame:
    """Cut the shuffled split keys into k contiguous folds, fold00.. (numpy.array_split sizes).

    With `every_label_in_every_fold`, the next seed of KFOLD_SEEDS is tried until each fold holds
    every label, as the original did outside its small mode and for all but event multilabel tasks.
    """
    keys = sorted(metadata["split_key"].unique())
    if len(keys) < nfolds:
        raise UserError(f"{task_name}: {len(keys)} split keys cannot fill {nfolds} folds")
    metadata = metadata.copy()
    n_labels = metadata["label"].nunique()
    for seed in KFOLD_SEEDS:
        shuffled = list(keys)
        random.Random(seed).shuffle(shuffled)
        fold_of = {key: f"fold{j:02d}" for j, part in enumerate(np.array_split(np.array(shuffled, dtype=object),
                                                                               nfolds))
                   for key in part}
        metadata["split"] = metadata["split_key"].map(fold_of)
        if not every_label_in_every_fold or (metadata.groupby("split")["label"].nunique() == n_labels).all():
            return metadata
    raise UserError(f"{task_name}: no seed of {len(KFOLD_SEEDS)} puts every label in each of {nfolds} folds")


def requires_every_label(config: Mapping) -> bool:
    """The original's rule: outside mode small, every split (or fold) holds an example of every label, but
    for event multilabel tasks (a MAESTRO fold need not hold every pitch)."""
    event_multilabel = config.get("embedding_type") == "event" and config.get("prediction_type") == "multilabel"
    return config.get("mode") != "small" and not event_multilabel


def check_every_label_in_every_split(metadata: pd.DataFrame, config: Mapping, stage: str) -> None:
    """Refuse, as the original did, splits that miss a label where `requires_every_label`."""
    if not requires_every_label(config) or len(metadata) == 0:
        return
    every_label = set(metadata["label"])
    for split, labels in metadata.groupby("split")["label"]:
        missing = sorted(map(str, every_label - set(labels)))
        if missing:
            raise UserError(f"{config['task_name']}: split {split} has no example of label {missing[0]!r} ({stage}; "
                            f"{len(missing)} label(s) missing); outside mode small every split must hold every label")


def assign_splits(metadata: pd.DataFrame, config: Mapping) -> pd.DataFrame:
    """Fill the `split` column as the task's split_mode says, keeping each split_key in one split.

    trainvaltest: splits the corpus lacks are carved out of train. new_split_kfold: the split keys are
    dealt into folds. presplit_kfold: the folds come from the corpus.
    """
    task_name = config["task_name"]
    split_mode = split_mode_of(config)
    if split_mode == "new_split_kfold":
        return split_k_folds(metadata, int(config["nfolds"]), requires_every_label(config), task_name)
    if split_mode == "presplit_kfold":
        expected = {f"fold{i:02d}" for i in range(int(config["nfolds"]))}
        unknown = set(metadata["split"]) - expected
        if unknown:
            raise UserError(f"{task_name}: splits {sorted(unknown)} are not folds {sorted(expected)}")
        return metadata
    if split_mode != "trainvaltest":
        raise UserError(f"{task_name}: unknown split_mode {split_mode!r}")
    present = set(metadata["split"])
    if present - set(TRAIN_VALID_TEST) or "train" not in present:
        raise UserError(f"{task_name}: metadata splits {sorted(present)} must include train "
                        "and be among train/valid/test")
    return carve_valid_test(metadata, config.get("split_percentage", DEFAULT_SPLIT_PERCENTAGE), task_name)


def split_duration_cap(config: Mapping, split: str) -> Optional[float]:
    """The mode's cap on a split's audio seconds: per split (trainvaltest) or per fold (k-fold)."""
    if split_mode_of(config) == "trainvaltest":
        return config.get("max_task_duration_by_split", {}).get(split)
    return config.get("max_task_duration_by_fold")


def subsample(files: pd.DataFrame, split: str, max_duration: Optional[float],
              sample_duration: Optional[float], task_name: str) -> pd.DataFrame:
    """The split's files kept under the cap: sorted by unique_filestem, shuffled with the split's seed,
    the first int(max_duration / sample_duration) kept (a cap of None keeps every file).

    `files` has one row per file with `unique_filestem` and `relpath`; the result is sorted by
    unique_filestem.
    """
    ordered = files.drop_duplicates(["unique_filestem", "relpath"]).sort_values("unique_filestem")
    if max_duration is None:
        return ordered.reset_index(drop=True)
    if sample_duration is None:
        raise UserError(f"{task_name}: split {split} has a duration cap but the task keeps files at their own "
                        "length (sample_duration null); the original allows no cap there")
    shuffled = ordered.sample(frac=1, random_state=str2int(f"SubsampleSplit({split})"))
    kept = shuffled.iloc[: int(max_duration / sample_duration)]
    return kept.sort_values("unique_filestem").reset_index(drop=True)
