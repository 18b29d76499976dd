"""COUGHVID: a cougher's self-reported status (healthy, symptomatic, COVID-19) from a recording of the
cough, in 5 new folds by recording. As the original: only recordings whose cough detector score is above
0.8 and whose status was given."""

from pathlib import Path

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

FOLDER = "public_dataset"
TABLE = "metadata_compiled.csv"
AUDIO_SUFFIXES = (".wav", ".webm", ".ogg")  # most recordings are WebM, which only ffmpeg decodes
MIN_COUGH_DETECTED = 0.8

CONFIG = {
    "task_name": "coughvid",
    "version": "v2.0",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 10.19,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [{"split": "train", "url": "https://zenodo.org/record/4498364/files/public_dataset.zip",
                       "md5": "110d638a292cfa5c3a71a95d60b5b466"}],
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {
            "download_urls": [{"split": "train",
                               "url": "https://github.com/kmarufraj/s-task/raw/main/public_dataset-small.zip",
                               "md5": "ca3d811f1e533247b531224ca7d12346"}],
            "max_task_duration_by_fold": None,
            "sample_duration": 1,
        },
    },
    "category": "speech",
}


class CoughvidMetadata(ExtractMetadata):
    """Each recording (`<uuid>.<webm|ogg|wav>`) with the status its row of metadata_compiled.csv gives."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train") / FOLDER
        table_path = root / TABLE
        if not table_path.is_file():
            raise UserError(f"coughvid: missing {table_path}")
        try:
            table = pd.read_csv(table_path, usecols=["uuid", "cough_detected", "status"])
        except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
            raise UserError(f"coughvid: malformed {table_path}: {error}") from None
        labelled = table[(table["cough_detected"] > MIN_COUGH_DETECTED) & table["status"].notna()]
        recordings = pd.DataFrame({"relpath": [str(p) for p in sorted(root.glob("*"))
                                               if p.suffix in AUDIO_SUFFIXES]})
        recordings["uuid"] = recordings["relpath"].map(lambda relpath: Path(relpath).stem)
        rows = recordings.merge(labelled.rename(columns={"status": "label"})[["uuid", "label"]], on="uuid")
        return rows.assign(split="train")[["relpath", "split", "label"]]


METADATA_TASK = CoughvidMetadata
