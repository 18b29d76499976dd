"""Deterministic, order-independent split assignment and duration-capped subsampling."""

import hashlib
from typing import Dict, List, Mapping, Optional

import numpy as np
import pandas as pd

from heareval.errors import UserError

DEFAULT_SPLIT_PERCENTAGE = {"train": 60, "valid": 20, "test": 20}


def stable_hash(key: str) -> int:
    """A hash that is the same on every machine and Python run (unlike hash())."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16)


def order_by_hash(keys: List[str]) -> List[str]:
    """Unique keys in hash order: a fixed pseudo-random order that ignores input order."""
    return sorted(set(keys), key=lambda k: (stable_hash(k), k))


def assign_by_percentage(keys: List[str], percentages: Mapping[str, float]) -> Dict[str, str]:
    """Map each unique key to a split, with split sizes as close to the percentages as counts allow."""
    ordered = order_by_hash(keys)
    total = sum(percentages.values())
    assignment: Dict[str, str] = {}
    start = 0
    cumulative = 0.0
    names = list(percentages)
    for i, name in enumerate(names):
        cumulative += percentages[name]
        end = len(ordered) if i == len(names) - 1 else int(round(len(ordered) * cumulative / total))
        for key in ordered[start:end]:
            assignment[key] = name
        start = end
    return assignment


def assign_folds(keys: List[str], n_folds: int) -> Dict[str, str]:
    """k balanced folds fold00.. by hash order of the split key."""
    return {key: f"fold{rank % n_folds:02d}" for rank, key in enumerate(order_by_hash(keys))}


def assign_splits(metadata: pd.DataFrame, config: Mapping) -> pd.DataFrame:
    """Fill the `split` column as the task's split_mode says, keeping each split_key in one split.

    trainvaltest: splits the dataset lacks are carved out of train (60/20/20 when only train exists).
    new_split_kfold: every file goes to a fold by its split key. presplit_kfold: folds come from the data.
    """
    metadata = metadata.copy()
    split_mode = config.get("split_mode", "trainvaltest")
    if split_mode == "new_split_kfold":
        folds = assign_folds(metadata["split_key"].tolist(), int(config["nfolds"]))
        metadata["split"] = metadata["split_key"].map(folds)
        return metadata
    if split_mode == "presplit_kfold":
        expected = {f"fold{i:02d}" for i in range(int(config["nfolds"]))}
        unknown = set(metadata["split"]) - expected
        if unknown:
            raise UserError(f"{config['task_name']}: splits {sorted(unknown)} are not folds {sorted(expected)}")
        return metadata
    if split_mode != "trainvaltest":
        raise UserError(f"{config['task_name']}: unknown split_mode {split_mode!r}")
    present = set(metadata["split"])
    unknown = present - {"train", "valid", "test"}
    if unknown or "train" not in present:
        raise UserError(f"{config['task_name']}: metadata splits {sorted(present)} must include train "
                        "and be among train/valid/test")
    percentages = dict(config.get("split_percentage", DEFAULT_SPLIT_PERCENTAGE))
    carve = {name: percentages[name] for name in ("train", "valid", "test") if name == "train" or name not in present}
    if len(carve) > 1:
        train = metadata["split"] == "train"
        keys_elsewhere = set(metadata.loc[~train, "split_key"])
        shared = keys_elsewhere & set(metadata.loc[train, "split_key"])
        if shared:
            raise UserError(f"{config['task_name']}: split keys {sorted(shared)[:3]} occur in train and another split")
        assignment = assign_by_percentage(metadata.loc[train, "split_key"].tolist(), carve)
        metadata.loc[train, "split"] = metadata.loc[train, "split_key"].map(assignment)
    return metadata


def subsample(files: pd.DataFrame, max_duration: Optional[float]) -> pd.DataFrame:
    """Keep files in hash order of unique_filestem while the total duration stays within the cap.

    `files` has one row per file with `unique_filestem` and `duration`; the result does not depend
    on the row order.
    """
    if max_duration is None:
        return files.sort_values("unique_filestem").reset_index(drop=True)
    order = np.argsort([stable_hash(s) for s in files["unique_filestem"]], kind="stable")
    ordered = files.iloc[order]
    keep = ordered["duration"].cumsum() <= max_duration
    return ordered[keep.values].sort_values("unique_filestem").reset_index(drop=True)
