"""DCASE 2016 task 2 (office sound event detection), as HEAR 2021 used it: dev and test scenes
pooled and split 60/20/20 by file."""

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

CLASSES = ["clearthroat", "cough", "doorslam", "drawer", "keyboard", "keys", "knock", "laughter",
           "pageturn", "phone", "speech"]

CONFIG = {
    "task_name": "dcase2016_task2",
    "version": "hear2021",
    "embedding_type": "event",
    "prediction_type": "multilabel",
    "split_mode": "trainvaltest",
    "sample_duration": 120.0,
    "evaluation": ["event_onset_200ms_fms", "segment_1s_er"],
    "download_urls": [
        {"split": "train",
         "url": "https://archive.org/download/dcase2016_task2_train_dev/dcase2016_task2_train_dev.zip",
         "md5": "4e1b5e8887159193e8624dec801eb9e7"},
        {"split": "test",
         "url": "https://archive.org/download/dcase2016_task2_test_public/dcase2016_task2_test_public.zip",
         "md5": "ac98768b39a08fc0c6c2ddd15a981dd7"},
    ],
    "category": "environmental",
    "default_mode": "full",
    "split_percentage": {"valid": 20, "test": 20, "train": 60},
    "modes": {"full": {"max_task_duration_by_split": {"train": None, "valid": None, "test": None}}},
    "label_vocabulary": CLASSES,
}

SCENE_FOLDERS = {
    "train": "dcase2016_task2_train_dev/dcase2016_task2_dev",
    "test": "dcase2016_task2_test_public",
}


class DCASE2016Task2Metadata(ExtractMetadata):
    """One row per annotated event (ms); every scene goes to the pool that is split by file."""

    def get_metadata(self) -> pd.DataFrame:
        frames = []
        for split, folder in SCENE_FOLDERS.items():
            root = self.extracted(split) / folder
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
