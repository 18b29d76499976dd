"""ESC-50: 50-way classification of 5 s environmental sound clips, in the corpus's own 5 folds."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

CONFIG = {
    "task_name": "esc50",
    "version": "v2.0.0",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "sample_duration": 5,
    "split_mode": "presplit_kfold",
    "nfolds": 5,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [
        {"split": "all_folds", "url": "https://github.com/karoldvl/ESC-50/archive/master.zip",
         "md5": "7771e4b9d86d0945acce719c7a59305a"},
    ],
    "category": "environmental",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {"download_urls": [{"split": "all_folds",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/esc50-all_folds-small.zip",
                                     "md5": "08bb240e414ce96529087aba52983b1c"}],
                  "max_task_duration_by_fold": None, "sample_duration": 2},
    },
}
COLUMNS = ("filename", "fold", "category")


class ESC50Metadata(ExtractMetadata):
    """meta/esc50.csv: each clip's fold (1..5, fold00..fold04 here, as the original) and category."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("all_folds") / "ESC-50-master"
        table_path = root / "meta" / "esc50.csv"
        if not table_path.is_file():
            raise UserError(f"esc50: missing {table_path}")
        table = pd.read_csv(table_path)
        missing = [column for column in COLUMNS if column not in table]
        if missing:
            raise UserError(f"esc50: {table_path} has no column {missing[0]!r}")
        folds = pd.to_numeric(table["fold"], errors="coerce")
        bad = ~folds.isin(range(1, CONFIG["nfolds"] + 1))
        if bad.any():
            row = table[bad].iloc[0]
            raise UserError(f"esc50: {table_path}: {row['filename']} has fold {row['fold']}, not 1..5")
        return pd.DataFrame({"relpath": [str(root / "audio" / name) for name in table["filename"]],
                             "split": [f"fold{int(fold) - 1:02d}" for fold in folds],
                             "label": table["category"]})


METADATA_TASK = ESC50Metadata
