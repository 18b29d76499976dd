"""Google Speech Commands v0.0.2: 10 keywords, _unknown_ and _silence_ (cut from background noise)."""

from pathlib import Path
from typing import Dict

import luigi
import pandas as pd

from heareval import audio
from heareval.atomic import atomic_path
from heareval.tasks.pipeline import ExtractArchive, ExtractMetadata, TaskStage, parallel_map

WORDS = ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"]
UNKNOWN = "_unknown_"
SILENCE = "_silence_"
BACKGROUND_NOISE = "_background_noise_"
VALIDATION_NOISE = "running_tap"

CONFIG = {
    "task_name": "speech_commands",
    "version": "v0.0.2",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "trainvaltest",
    "sample_duration": 1.0,
    "evaluation": ["top1_acc"],
    "download_urls": [
        {"split": "train", "url": "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz",
         "md5": "6b74f3901214cb2c2934e98196829835"},
        {"split": "test", "url": "http://download.tensorflow.org/data/speech_commands_test_set_v0.02.tar.gz",
         "md5": "854c580ee90bff80c516491c84544e32"},
    ],
    "category": "speech",
    "default_mode": "5h",
    "modes": {
        "5h": {"max_task_duration_by_split": {"train": 16000.0, "valid": 2000.0, "test": None}},
        "full": {"max_task_duration_by_split": {"train": None, "valid": None, "test": None}},
        # The original's downsampled archives of real recordings (--mode small); --small instead builds a
        # synthetic stand-in in the full archives' layout.
        "small": {
            "download_urls": [
                {"split": "train", "url": "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main/"
                 "speech_commands_v0.02-small.zip", "md5": "455123a88b8410d1f955c77ad331524f"},
                {"split": "test", "url": "https://github.com/hearbenchmark/hear2021-open-tasks-downsampled/raw/main/"
                 "speech_commands_test_set_v0.02-small.zip", "md5": "26d08374a7abd13ca2f4a4b8424f41d0"},
            ],
            "max_task_duration_by_split": {"train": None, "valid": None, "test": None},
        },
    },
    "label_vocabulary": sorted(WORDS + [UNKNOWN, SILENCE]),
}


def word_label(folder: str) -> str:
    return folder if folder in WORDS or folder == SILENCE else UNKNOWN


class SliceBackgroundNoise(TaskStage):
    """1 s windows every 0.5 s of each background-noise recording: the _silence_ class."""

    def requires(self) -> ExtractArchive:
        entry = next(e for e in self.config["download_urls"] if e["split"] == "train")
        return ExtractArchive(url=entry["url"], md5=entry["md5"], work_dir=self.work_dir)

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "00-SliceBackgroundNoise" / SILENCE))

    def run(self) -> None:
        noises = sorted(Path(self.input().path).glob(f"{BACKGROUND_NOISE}/*.wav"))
        with atomic_path(self.output().path) as temporary:
            temporary.mkdir()

            def slice_noise(path: Path) -> None:
                samples, rate = audio.read_audio(path)
                samples = audio.to_mono(samples)
                for start in range(0, len(samples) - rate, rate // 2):
                    audio.write_wav(temporary / f"{path.stem}-{start}.wav", samples[start:start + rate], rate)

            parallel_map(slice_noise, noises, self.threads, "slice background noise")


class SpeechCommandsMetadata(ExtractMetadata):
    """Official validation/testing lists; the separate test archive is the test split."""

    def requires(self) -> Dict[str, luigi.Task]:
        return {**super().requires(), "silence": SliceBackgroundNoise(**self.common())}

    @staticmethod
    def unique_filestem(relpath: str) -> str:
        path = Path(relpath)
        return f"{path.parent.name}_{path.stem}"

    @staticmethod
    def split_key(unique_filestem: str) -> str:
        """The speaker: one speaker never spans two splits."""
        return unique_filestem.split("_nohash_")[0]

    def get_metadata(self) -> pd.DataFrame:
        train_root = self.extracted("train")
        silence = sorted(Path(self.input()["silence"].path).glob("*.wav"))
        listed = {name: set(read_list(train_root / f"{name}_list.txt")) for name in ("validation", "testing")}
        rows = []
        for path in sorted(train_root.glob("[!_]*/*.wav")):
            relative = f"{path.parent.name}/{path.name}"
            if relative in listed["testing"]:
                continue
            split = "valid" if relative in listed["validation"] else "train"
            rows.append((str(path), split, word_label(path.parent.name)))
        for path in silence:
            rows.append((str(path), "valid" if path.name.startswith(VALIDATION_NOISE) else "train", SILENCE))
        for path in sorted(self.extracted("test").glob("*/*.wav")):
            rows.append((str(path), "test", word_label(path.parent.name)))
        return pd.DataFrame(rows, columns=["relpath", "split", "label"])


def read_list(path: Path) -> list:
    return path.read_text().split() if path.is_file() else []


METADATA_TASK = SpeechCommandsMetadata
