"""GTZAN Music/Speech: whether a 30 s excerpt is music or speech, in 10 new folds. The original built it
through TensorFlow Datasets; heareval reads the archive TFDS downloaded and names each excerpt as TFDS's
export did (heareval/tasks/tfds_export.py), so that the folds are the original's."""

import re
from pathlib import Path
from typing import List, Tuple

import pandas as pd

from heareval.tasks.pipeline import ExtractMetadata
from heareval.tasks.tfds_export import EXPORTED_AUDIO, export_split, read_export
from heareval.tasks.tfds_gtzan import SMALL_ARCHIVES

UPSTREAM_FOLDER = "music_speech"
CLASSES = ["music", "speech"]
# TFDS's rule: a file is an example where its path matches this, labelled by the second group (in effect the
# `music_`/`speech_` folder it lies in); other files are left out.
EXAMPLE_PATH = re.compile(r"(.*)(speech|music)\_.*\/[\w-]*\.(wav)")

CONFIG = {
    "task_name": "tfds_gtzan_music_speech",
    "version": "1.0.0",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 10,
    "sample_duration": 30.0,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "tfds_task_name": "gtzan_music_speech",
    "tfds_task_version": "1.0.0",
    "extract_splits": ["train"],
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {
            "download_urls": [{"split": "train", "url": f"{SMALL_ARCHIVES}/gtzan_music_speech-small.zip",
                               "md5": "11d0448e2c497ce1a3bd1a9ee5710aee"}],
            "max_task_duration_by_fold": None,
            "sample_duration": 2,
        },
    },
    "category": "music",
    "label_vocabulary": CLASSES,
    # What TFDS gtzan_music_speech 1.0.0 downloaded, with the checksum TFDS records for it (sha256, no md5).
    "upstream_download_urls": [{
        "split": "train", "url": "http://opihi.cs.uvic.ca/sound/music_speech.tar.gz",
        "sha256": "8753bc4129fc0a916d6efcf25dbcaf30e06b41acb44ad7c3d0b5c9d9c90ff546"}],
}


class GtzanMusicSpeechMetadata(ExtractMetadata):
    """The files under music_speech/ that TFDS's rule takes (keyed by file name), named as TFDS exported
    them; or, in the original's small mode, the export."""

    def get_metadata(self) -> pd.DataFrame:
        root = self.extracted("train")
        if (root / EXPORTED_AUDIO).is_dir():
            return read_export(root, "train", self.task_name)
        self.wav_files(root / UPSTREAM_FOLDER)  # a clear error if the folder is missing
        examples: List[Tuple[Path, str]] = []
        for path in sorted((root / UPSTREAM_FOLDER).rglob("*")):
            match = EXAMPLE_PATH.match(path.relative_to(root).as_posix()) if path.is_file() else None
            if match:
                examples.append((path, match.group(2)))
        exported = export_split("gtzan_music_speech", "train",
                             [(path.name, path, {"label": CLASSES.index(label), "audio/filename": path.name})
                              for path, label in examples])
        self.tfds_export = {"train": exported.facts()}
        names = exported.names
        return pd.DataFrame({"relpath": [str(path) for path, _ in examples], "split": "train",
                             "label": [label for _, label in examples],
                             "unique_filestem": [names[path.name] for path, _ in examples]})


METADATA_TASK = GtzanMusicSpeechMetadata
