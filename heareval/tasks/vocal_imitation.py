"""Vocal Imitation: which recorded sound a person's vocal imitation imitates, dealt into 3 new folds."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

ROOT = "VocalImitationSet"
TABLE = "vocal_imitations.txt"
COLUMNS = ("imitation_filename", "reference_filename", "included")

CONFIG = {
    "task_name": "vocal_imitation",
    "version": "v1.1.3",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 3,
    "sample_duration": 11.26,
    "evaluation": ["mAP", "d_prime", "aucroc", "top1_acc"],
    "download_urls": [
        {"split": "train", "url": "https://zenodo.org/record/1340763/files/VocalImitationSet_v1.1.3.zip?download=1",
         "md5": "386e7b1487fe0800ade4916c344086bc"},
    ],
    "category": "environmental",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {"download_urls": [{"split": "train",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/"
                                            "vocal_imitation-train-small.zip",
                                     "md5": "08283695cafda4ba42a7f42f75f568d1"}],
                  "max_task_duration_by_fold": None, "sample_duration": 2},
    },
}


class VocalImitationMetadata(ExtractMetadata):
    """Every .wav under `vocal_imitations/included/`, labelled with the reference sound that
    `vocal_imitations.txt` (tab-separated) gives it among its rows marked included, as the original did;
    the split key is the file (the original found the participants too unevenly spread to split by)."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train") / ROOT
        files = self.wav_files(root / "vocal_imitations" / "included")
        table_path = root / TABLE
        if not table_path.is_file():
            raise UserError(f"vocal_imitation: missing {table_path}")
        table = pd.read_csv(table_path, sep="\t")
        missing = [column for column in COLUMNS if column not in table]
        if missing:
            raise UserError(f"vocal_imitation: {table_path} has no column {missing[0]!r}")
        table = table[table["included"].astype(bool)]
        repeated = table["imitation_filename"].duplicated()
        if repeated.any():
            raise UserError(f"vocal_imitation: {table_path} lists {table['imitation_filename'][repeated].iloc[0]} "
                            "more than once")
        reference_of = dict(zip(table["imitation_filename"], table["reference_filename"]))
        unlisted = [path for path in files if path.name not in reference_of]
        if unlisted:
            raise UserError(f"vocal_imitation: {unlisted[0]} is not among the included imitations of {table_path}")
        return pd.DataFrame({"relpath": [str(path) for path in files], "split": "train",
                             "label": [reference_of[path.name] for path in files]})


METADATA_TASK = VocalImitationMetadata
