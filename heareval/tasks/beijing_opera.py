"""Beijing Opera: which of four percussion instruments plays a stroke (4.77 s), dealt into 5 new folds."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

ARCHIVE_FOLDER = "beijing_opera_percussion_instrument_1.0"

CONFIG = {
    "task_name": "beijing_opera",
    "version": "v1.0-hear2021",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 4.77,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [
        {"split": "train",
         "url": "https://zenodo.org/record/1285212/files/beijing_opera_percussion_instrument_1.0.zip?download=1",
         "md5": "51dc70d02a06b9d96befadf320a6996f"},
    ],
    "category": "music",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {"download_urls": [{"split": "train",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/beijing_opera-train-small.zip",
                                     "md5": "391b086d4a81c525d8b052ac50a6a8c0"}],
                  "max_task_duration_by_fold": None, "sample_duration": 2},
    },
}


def instrument_of(file_name: str) -> str:
    """The original's rule: of the name's last `__` part, the second-to-last `-` part (`...__<...>-<n>.wav`)."""
    parts = file_name.split("__")[-1].split("-")
    if len(parts) < 2 or not parts[-2]:
        raise ValueError(file_name)
    return parts[-2]


class BeijingOperaMetadata(ExtractMetadata):
    """The .wav files directly in the archive's folder (not below it, as the original), labelled by the
    original's file-name rule; the vocabulary is the instruments found. All go to the pool dealt into folds."""

    def get_metadata(self) -> pd.DataFrame:
        rows = []
        for path in self.wav_files(self.extracted("train") / ARCHIVE_FOLDER, recursive=False):
            try:
                rows.append((str(path), "train", instrument_of(path.name)))
            except ValueError:
                raise UserError(f"beijing_opera: {path}: expected a name ending in <instrument>-<n>.wav") from None
        return pd.DataFrame(rows, columns=["relpath", "split", "label"])


METADATA_TASK = BeijingOperaMetadata
