"""Mridangam Stroke: 10-way classification of mridangam strokes (0.81 s), dealt into 5 new folds."""

from pathlib import Path
from typing import List, Optional

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

STROKES = ["bheem", "cha", "dheem", "dhin", "num", "ta", "tha", "tham", "thi", "thom"]
TONICS = ["b", "c", "csh", "d", "dsh", "e"]
ARCHIVE_FOLDER = "mridangam_stroke_1.5"

CONFIG = {
    "task_name": "mridangam_stroke",
    "version": "v1.5",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 0.81,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [
        {"split": "train", "url": "https://zenodo.org/record/4068196/files/mridangam_stroke_1.5.zip?download=1",
         "md5": "39af55b2476b94c7946bec24331ec01a"},
    ],
    "category": "music",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {"download_urls": [{"split": "train",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/mridangam-train-small.zip",
                                     "md5": "8269ea439beacacf8db19d6c26dd1e71"}],
                  "max_task_duration_by_fold": None, "sample_duration": 1},
    },
}


def name_parts(path: Path) -> Optional[List[str]]:
    """`<id>__<author>__<stroke>-<tonic>-<instance>.wav`: [stroke, tonic, instance], or None."""
    parts = path.stem.split("__")[-1].split("-")
    return parts[-3:] if len(parts) >= 3 else None


class MridangamMetadata(ExtractMetadata):
    """Every .wav under the archive's folder, labelled from its name (part `label_part` of
    stroke-tonic-instance, one of `labels`); all of them go to the pool that is dealt into folds. The label
    vocabulary is the labels found, as the original's."""

    label_part = 0
    labels = STROKES

    def get_metadata(self) -> pd.DataFrame:
        rows = []
        for path in self.wav_files(self.extracted("train") / ARCHIVE_FOLDER):
            parts = name_parts(path)
            if parts is None:
                raise UserError(f"{self.task_name}: {path}: expected a name <id>__<author>__<stroke>-<tonic>-<n>.wav")
            label = parts[self.label_part]
            if label not in self.labels:
                raise UserError(f"{self.task_name}: {path}: {label!r} is not one of {', '.join(self.labels)}")
            rows.append((str(path), "train", label))
        return pd.DataFrame(rows, columns=["relpath", "split", "label"])


METADATA_TASK = MridangamMetadata
