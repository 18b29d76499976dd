"""Free Spoken Digit Dataset: which digit (0-9) a speaker says, in 5 new folds. The original built it
through TensorFlow Datasets, whose export named each recording by its TFDS id; heareval reads the
upstream archive TFDS downloaded and gives each recording the same name, so that the folds are the
original's."""

import hashlib
from pathlib import Path
from typing import Dict, List

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

DOWNSAMPLED = "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main"
UPSTREAM_FOLDER = "free-spoken-digit-dataset-1.0.9/recordings"
TFDS_LABELS = "train_labels.csv"  # the original's small mode: TFDS's export, audio/ and this table

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


def tfds_names(stems: List[str]) -> Dict[str, str]:
    """{recording stem: the file name stem TFDS's export gave it}. TFDS keyed each recording by its stem,
    ordered a split's examples by the md5 of the split name followed by the key, and wrote them to one
    shard (2500 recordings of 8 kHz audio are far below its 64 MiB a shard); the export named each
    `tfds_id_` plus its slugified id, `spoken_digit-train.tfrecord-00000-of-00001__<position>`."""
    salted = hashlib.md5(b"train")

    def order(stem: str) -> int:
        digest = salted.copy()
        digest.update(stem.encode())
        return int(digest.hexdigest(), 16)

    return {stem: f"tfds_id_spoken-digit-train-tfrecord-00000-of-00001-{position}"
            for position, stem in enumerate(sorted(stems, key=order))}


class SpokenDigitMetadata(ExtractMetadata):
    """The upstream recordings (`<digit>_<speaker>_<n>.wav`), named as TFDS exported them; or, in the
    original's small mode, TFDS's export itself (audio/ and train_labels.csv)."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train")
        if (root / TFDS_LABELS).is_file():
            return self.exported_metadata(root)
        recordings = self.wav_files(root / UPSTREAM_FOLDER)
        names = tfds_names([path.stem for path in recordings])
        rows = []
        for path in recordings:
            digit = path.stem.split("_")[0]
            if not digit.isdigit():
                raise UserError(f"spoken_digit: {path}: the name should start with the digit and '_'")
            rows.append((str(path), "train", int(digit), names[path.stem]))
        return pd.DataFrame(rows, columns=["relpath", "split", "label", "unique_filestem"])

    def exported_metadata(self, root: Path) -> pd.DataFrame:
        try:
            table = pd.read_csv(root / TFDS_LABELS)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
            raise UserError(f"spoken_digit: malformed {root / TFDS_LABELS}: {error}") from None
        if list(table.columns) != ["filename", "label"]:
            raise UserError(f"spoken_digit: {root / TFDS_LABELS} should have the columns filename,label")
        return pd.DataFrame({"relpath": [str(root / "audio" / name) for name in table["filename"]],
                             "split": "train", "label": table["label"]})


METADATA_TASK = SpokenDigitMetadata
