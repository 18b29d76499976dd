"""DCASE 2016 task 2 (office sound event detection), as HEAR 2021 used it: dev and test scenes
pooled and split by file, 60/20/20 in mode full (80/10/10 in the original's small mode)."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

CLASSES = ["clearthroat", "cough", "doorslam", "drawer", "keyboard", "keys", "knock", "laughter",
           "pageturn", "phone", "speech"]

DOWNSAMPLED = "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main"

CONFIG = {
    "task_name": "dcase2016_task2",
    "version": "hear2021",
    "embedding_type": "event",
    "prediction_type": "multilabel",
    "split_mode": "trainvaltest",
    "sample_duration": 120.0,
    "evaluation": ["event_onset_200ms_fms", "segment_1s_er"],
    "download_urls": [
        {"split": "train", "name": "dev",
         "url": "https://archive.org/download/dcase2016_task2_train_dev/dcase2016_task2_train_dev.zip",
         "md5": "4e1b5e8887159193e8624dec801eb9e7"},
        {"split": "train", "name": "eval",
         "url": "https://archive.org/download/dcase2016_task2_test_public/dcase2016_task2_test_public.zip",
         "md5": "ac98768b39a08fc0c6c2ddd15a981dd7"},
    ],
    "default_mode": "full",
    "modes": {
        "full": {"split_percentage": {"valid": 20, "test": 20, "train": 60},
                 "max_task_duration_by_split": {"train": None, "valid": None, "test": None}},
        "small": {  # the original's downsampled archives; no split_percentage: it carves 80/10/10
            "download_urls": [
                {"split": "train", "name": "dev", "url": f"{DOWNSAMPLED}/dcase2016_task2_train_dev-small.zip",
                 "md5": "aa9b43c40e9d496163caab83becf972e"},
                {"split": "train", "name": "eval", "url": f"{DOWNSAMPLED}/dcase2016_task2_test_public-small.zip",
                 "md5": "14539d85dec03cb7ac75eb62dd1dd21e"},
            ],
            "max_task_duration_by_split": {"train": None, "valid": None, "test": None},
        },
    },
    "category": "environmental",
    "label_vocabulary": CLASSES,
}

# Each archive's scene folder, by its download key (as the original's requires_key_to_path_str).
SCENE_FOLDERS = {
    "train_dev": "dcase2016_task2_train_dev/dcase2016_task2_dev",
    "train_eval": "dcase2016_task2_test_public",
}


class DCASE2016Task2Metadata(ExtractMetadata):
    """One row per annotated event (ms); every scene goes to the pool that is split by file."""

    def get_metadata(self) -> pd.DataFrame:
        frames = []
        for key, folder in SCENE_FOLDERS.items():
            root = self.extracted(key) / folder
            for annotation in sorted(root.glob("annotation/*.txt")):
                try:
                    events = pd.read_csv(annotation, sep="\t", header=None, names=["start", "end", "label"])
                    events["start"] = events["start"].astype(float) * 1000.0
                    events["end"] = events["end"].astype(float) * 1000.0
                except (ValueError, pd.errors.ParserError) as error:
                    raise UserError(f"dcase2016_task2: malformed annotation {annotation}: {error}") from None
                events["relpath"] = str(root / "sound" / f"{annotation.stem}.wav")
                events["split"] = "train"
                frames.append(events)
        if not frames:
            raise UserError("dcase2016_task2: no annotation files found in the extracted archives")
        return pd.concat(frames, ignore_index=True)[["relpath", "split", "label", "start", "end"]]


METADATA_TASK = DCASE2016Task2Metadata
