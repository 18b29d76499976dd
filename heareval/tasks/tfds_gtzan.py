"""GTZAN Genre: which of ten genres a 30 s music excerpt is, in 10 new folds. The original built it
through TensorFlow Datasets; heareval reads the archive TFDS downloaded and names each excerpt as TFDS's
export did (heareval/tasks/tfds_export.py), so that the folds are the original's."""

from pathlib import Path
from typing import List

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata
from heareval.tasks.tfds_export import EXPORTED_AUDIO, export_split, read_export

SMALL_ARCHIVES = "https://github.com/kmarufraj/s-task/raw/main"
UPSTREAM_FOLDER = "genres"
GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]

CONFIG = {
    "task_name": "tfds_gtzan",
    "version": "1.0.0",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 10,
    "sample_duration": 30.0,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "tfds_task_name": "gtzan",
    "tfds_task_version": "1.0.0",
    "extract_splits": ["train"],
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {
            "download_urls": [{"split": "train", "url": f"{SMALL_ARCHIVES}/gtzan-small.zip",
                               "md5": "c3ac045c759cde4c5f44d2e7daf5d43d"}],
            "max_task_duration_by_fold": None,
            "sample_duration": 2,
        },
    },
    "category": "music",
    "label_vocabulary": GENRES,
    # What TFDS gtzan 1.0.0 downloaded, with the checksum TFDS records for it (sha256, no md5).
    "upstream_download_urls": [{
        "split": "train", "url": "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
        "sha256": "24347e0223d2ba798e0a558c4c172d9d4a19c00bb7963fe055d183dadb4ef2c6"}],
}


class GtzanMetadata(ExtractMetadata):
    """Every `.wav` under genres/ (`<genre>.<n>.wav`, keyed by its file name, labelled by the part before
    the first dot, as TFDS did), named as TFDS exported it; or, in the original's small mode, the export."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train")
        if (root / EXPORTED_AUDIO).is_dir():
            return read_export(root, "train", self.task_name)
        excerpts: List[Path] = self.wav_files(root / UPSTREAM_FOLDER)
        labels = {path.name: path.name.split(".")[0] for path in excerpts}
        for path in excerpts:
            if labels[path.name] not in GENRES:
                raise UserError(f"{self.task_name}: {path}: {labels[path.name]!r} (the name up to its first dot) "
                                f"is none of the genres {', '.join(GENRES)}")
        exported = export_split("gtzan", "train", [(path.name, path, {"label": GENRES.index(labels[path.name]),
                                                                   "audio/filename": path.name})
                                                for path in excerpts])
        self.tfds_export = {"train": exported.facts()}
        names = exported.names
        return pd.DataFrame({"relpath": [str(path) for path in excerpts], "split": "train",
                             "label": [labels[path.name] for path in excerpts],
                             "unique_filestem": [names[path.name] for path in excerpts]})


METADATA_TASK = GtzanMetadata
