"""LibriCount: how many speakers (0 to 10) talk at once in a 5 s mixture, dealt into 5 new folds."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

COUNTS = [str(count) for count in range(11)]

CONFIG = {
    "task_name": "libricount",
    "version": "v1.0.0-hear2021",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 5.0,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [
        {"split": "train", "url": "https://zenodo.org/record/1216072/files/LibriCount10-0dB.zip?download=1",
         "md5": "30c8f844dc59fa65d216d53db9dc37e2"},
    ],
    "category": "speech",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {"download_urls": [{"split": "train",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/libricount-train-small.zip",
                                     "md5": "25d1bd1e71800440d635171a8f41a5f7"}],
                  "max_task_duration_by_fold": None, "sample_duration": 2},
    },
}


class LibriCountMetadata(ExtractMetadata):
    """Every .wav under the archive's `test/` folder; the label is the speaker count that starts its name
    (`<count>_<...>.wav`), as the original read it. All files go to the pool dealt into folds."""

    def get_metadata(self) -> pd.DataFrame:
        rows = []
        for path in self.wav_files(self.extracted("train") / "test"):
            count = path.name.split("_")[0]
            if count not in COUNTS:
                raise UserError(f"libricount: {path}: the name should start with the speaker count 0..10 and "
                                f"'_', not {count!r}")
            rows.append((str(path), "train", count))
        return pd.DataFrame(rows, columns=["relpath", "split", "label"])


METADATA_TASK = LibriCountMetadata
