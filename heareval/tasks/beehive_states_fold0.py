"""Beehive states, fold 0: whether a hive has its queen, from 10-minute recordings inside two hives.
Hive 1 is trained on (its valid split carved out of it), hive 3 is the test set; fold 1 swaps them."""

from typing import Any, Dict

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.config import download_key
from heareval.tasks.pipeline import ExtractMetadata

ZENODO = "https://zenodo.org/record/2667806/files"
S_TASK = "https://github.com/kmarufraj/s-task/raw/main"
# (hive, recording day, the full archive's name and md5, the small mode's archive md5)
RECORDINGS = [
    ("hive1", "12062018", "Hive1_12_06_2018", "c04cd7fd310a84f327eb7121e026b40a", "461c77d29e5c2c4ac51deb0b87c82d5c"),
    ("hive1", "31052018", "Hive1_31_05_2018", "834c58cb1e4c9a15a332a16e106bfa11", "c0e0b4c33879b865de022413138a61da"),
    ("hive3", "14072017", "Hive3_14_07_2017", "c1fc5c4d2e110aa2bc8687393db7d55d", "2650a40a1e38088391181451e0183ca6"),
    ("hive3", "28072017", "Hive3_28_07_2017", "3fe9c0488a2207379f410a81d17c5d18", "51d43e9621b8ad7681a44355f70329a2"),
]
QUEEN, NO_QUEEN = "QUEEN", "NOQUEEN"

CONFIG: Dict[str, Any] = {
    "task_name": "beehive_states_fold0",
    "version": "v2",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "trainvaltest",
    "sample_duration": 600,
    "evaluation": ["aucroc", "mAP", "d_prime", "top1_acc"],
    "download_urls": [{"split": hive, "name": day, "url": f"{ZENODO}/{archive}.rar?download=1", "md5": md5}
                      for hive, day, archive, md5, _ in RECORDINGS],
    "default_mode": "5h",
    "modes": {
        "5h": {"sample_duration": 30,
               "max_task_duration_by_split": {"train": 16000.0, "valid": 2000.0, "test": 2000.0}},
        "full": {"max_task_duration_by_split": {"train": None, "valid": None, "test": None}},
        "small": {
            "download_urls": [{"split": hive, "name": day, "url": f"{S_TASK}/{hive}_{day}.zip", "md5": md5}
                              for hive, day, _, _, md5 in RECORDINGS],
            "sample_duration": 2,
            "max_task_duration_by_split": {"train": None, "valid": None, "test": None},
        },
    },
    "category": "environmental",
}


def queen_label(file_name: str) -> str:
    """The original's rule: a recording without its queen has "NO" in its file name."""
    return NO_QUEEN if "NO" in file_name else QUEEN


class BeehiveMetadata(ExtractMetadata):
    """Every recording of the training hive in train, of the test hive in test; labels from file names."""

    train_hive, test_hive = "hive1", "hive3"

    def get_metadata(self) -> pd.DataFrame:
        split_of = {self.train_hive: "train", self.test_hive: "test"}
        rows = []
        for entry in self.config["download_urls"]:
            if entry["split"] not in split_of:
                raise UserError(f"{self.task_name}: download entry of unknown hive {entry['split']!r}")
            for path in self.wav_files(self.extracted(download_key(entry))):
                rows.append((str(path), split_of[entry["split"]], queen_label(path.name)))
        return pd.DataFrame(rows, columns=["relpath", "split", "label"])


METADATA_TASK = BeehiveMetadata
