"""Free Spoken Digit Dataset: which digit (0-9) a speaker says, in 5 new folds. The original built it
through TensorFlow Datasets, whose export named each recording by its TFDS id; heareval reads the
upstream archive TFDS downloaded and gives each recording the same name, so that the folds are the
original's."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata
from heareval.tasks.tfds_export import EXPORTED_AUDIO, export_split, read_export

DOWNSAMPLED = "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main"
UPSTREAM_FOLDER = "free-spoken-digit-dataset-1.0.9/recordings"

CONFIG = {
    "task_name": "spoken_digit",
    "version": "1.0.9",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 0.56,
    "evaluation": ["top1_acc"],
    "tfds_task_name": "spoken_digit",
    "tfds_task_version": "1.0.9",
    "extract_splits": ["train"],
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {
            "download_urls": [{"split": "train", "url": f"{DOWNSAMPLED}/spoken_digit-small.zip",
                               "md5": "69d50c15805ea11beb12d9a4db1d4c2a"}],
            "max_task_duration_by_fold": None,
        },
    },
    "category": "speech",
    # What TFDS spoken_digit 1.0.9 downloaded, with the checksum TFDS records for it (sha256, no md5).
    "upstream_download_urls": [{
        "split": "train", "url": "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/v1.0.9.tar.gz",
        "sha256": "8bc44cde129d505cbbb6b365c09f80c663f2aa77578afc634e6141a2f87100c0"}],
}


class SpokenDigitMetadata(ExtractMetadata):
    """The upstream recordings (`<digit>_<speaker>_<n>.wav`, keyed by their stem), named as TFDS exported
    them; or, in the original's small mode, TFDS's export itself."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train")
        if (root / EXPORTED_AUDIO).is_dir():
            return read_export(root, "train", "spoken_digit")
        recordings = self.wav_files(root / UPSTREAM_FOLDER)
        digits = {}
        for path in recordings:
            digit = path.stem.split("_")[0]
            if not digit.isdigit():
                raise UserError(f"spoken_digit: {path}: the name should start with the digit and '_'")
            digits[path.stem] = int(digit)
        exported = export_split("spoken_digit", "train", [(path.stem, path, {"label": digits[path.stem],
                                                                          "audio/filename": path.name})
                                                        for path in recordings])
        self.tfds_export = {"train": exported.facts()}
        names = exported.names
        rows = [(str(path), "train", digits[path.stem], names[path.stem]) for path in recordings]
        return pd.DataFrame(rows, columns=["relpath", "split", "label", "unique_filestem"])


METADATA_TASK = SpokenDigitMetadata
