"""NSynth pitch: 88-way pitch classification of 4 s instrument notes (MIDI 21..108)."""

import json

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

# The original's small mode: its downsampled archives of the real corpus.
DOWNSAMPLED = "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main"

CONFIG = {
    "task_name": "nsynth_pitch",
    "version": "v2.2.3",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "trainvaltest",
    "sample_duration": 4.0,
    "pitch_range_min": 21,
    "pitch_range_max": 108,
    "evaluation": ["pitch_acc", "chroma_acc"],
    "download_urls": [
        {"split": split,
         "url": f"http://download.magenta.tensorflow.org/datasets/nsynth/nsynth-{split}.jsonwav.tar.gz",
         "md5": md5}
        for split, md5 in [("train", "fde6665a93865503ba598b9fac388660"),
                           ("valid", "87e94a00a19b6dbc99cf6d4c0c0cae87"),
                           ("test", "5e6f8719bf7e16ad0a00d518b78af77d")]
    ],
    "category": "music",
    "default_mode": "5h",
    "modes": {
        "5h": {"max_task_duration_by_split": {"train": 16000.0, "valid": 2000.0, "test": 2000.0}},
        "50h": {"max_task_duration_by_split": {"train": 160000.0, "valid": 20000.0, "test": 20000.0}},
        "small": {
            "download_urls": [
                {"split": split, "url": f"{DOWNSAMPLED}/nsynth-{split}-small.zip", "md5": md5}
                for split, md5 in [("train", "c17070e4798655d8bea1231506479ba8"),
                                   ("valid", "e36722262497977f6b945bb06ab0969d"),
                                   ("test", "9a98e869ed4add8ba9ebb0d7c22becca")]
            ],
            "max_task_duration_by_split": {"train": None, "valid": None, "test": None},
        },
    },
}


class NSynthPitchMetadata(ExtractMetadata):
    """Each split's examples.json, notes outside the HEAR pitch range dropped."""

    @staticmethod
    def split_key(unique_filestem: str) -> str:
        """The instrument (note_str is <instrument>-<pitch>-<velocity>)."""
        return unique_filestem.split("-")[0]

    def get_metadata(self) -> pd.DataFrame:
        low, high = self.config["pitch_range_min"], self.config["pitch_range_max"]
        rows = []
        for split in ("train", "valid", "test"):
            root = self.extracted(split) / f"nsynth-{split}"
            examples_path = root / "examples.json"
            if not examples_path.is_file():
                raise UserError(f"nsynth_pitch: missing {examples_path}")
            try:
                examples = json.loads(examples_path.read_text())
            except json.JSONDecodeError as error:
                raise UserError(f"nsynth_pitch: malformed {examples_path}: {error}") from None
            for note_str, example in sorted(examples.items()):
                pitch = int(example["pitch"])
                if low <= pitch <= high:
                    rows.append((str(root / "audio" / f"{note_str}.wav"), split, pitch, note_str))
        return pd.DataFrame(rows, columns=["relpath", "split", "label", "unique_filestem"])


METADATA_TASK = NSynthPitchMetadata
