"""Gunshot Triangulation: which of four microphones recorded a gunshot (1.5 s), in 7 folds, one per firearm.

The corpus is four long recordings, one per microphone. As the original, the full mode cuts them into
the 22 shots of each microphone (`mic<m>_shot<j>_fid<f>.wav`); the small mode's archive holds shots
already cut.
"""

from pathlib import Path
from typing import Dict, List

import luigi
import numpy as np
import pandas as pd
from tqdm import tqdm

from heareval import audio
from heareval.atomic import atomic_path
from heareval.errors import UserError
from heareval.tasks.download import upstream_file_name
from heareval.tasks.pipeline import DownloadCorpus, ExtractMetadata, TaskStage

RECORDINGS = ["mic1raw", "mic2raw16b", "mic3raw", "mic4raw"]
# Where each microphone's recording lines up with the others' (samples at 48 kHz), from the corpus's
# create_data.m as the original took them.
MIC_OFFSETS = [15764451, 13764742, 9334032, 6794611]
RATE = 48000
SHOTS = 22
MIN_SAMPLES_BETWEEN_SHOTS = 25000
ONSET_LEVEL = 0.8
# The first four shots were fired with firearm 1, then three with each of firearms 2..7 (the corpus's table).
FIREARM_OF_SHOT = [1] + [shot // 3 + 1 for shot in range(SHOTS - 1)]
SHOT_SAMPLES = RATE + RATE // 2  # 1.5 s
LEAD_SAMPLES = RATE / 8  # a shot's clip starts 1/8 s before its onset

CONFIG = {
    "task_name": "gunshot_triangulation",
    "version": "v1.0",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 7,
    "sample_duration": 1.5,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [
        {"split": "train", "url": f"https://zenodo.org/record/3997406/files/{name}.wav?download=1", "md5": md5}
        for name, md5 in zip(RECORDINGS, ["e2f4acad742278c973e9c190fee03b5f", "184d888f457f331f592eeb4ee5fa12e2",
                                          "db2ffa4fdf8b42b98c208670f4578b4b", "571da84eecf397bf0356a24400769ced"])
    ],
    "category": "environmental",
    "default_mode": "full",
    "max_task_duration_by_fold": None,
    "modes": {
        "full": {},
        "small": {"download_urls": [{"split": "train",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/gunshot_triangulation.zip",
                                     "md5": "c24bfa3b60fc9a2f51169fdb9bc336fa"}],
                  "sample_duration": 1.5},
    },
}


def shot_onsets(samples: np.ndarray, min_samples_between: int = MIN_SAMPLES_BETWEEN_SHOTS,
                count: int = SHOTS) -> List[int]:
    """The original's shot finder: an onset is a sample at or above 0.8 in magnitude that comes more than
    min_samples_between + 1 samples after the previous onset; at most `count` of them."""
    loud = np.flatnonzero(np.abs(samples) >= ONSET_LEVEL)
    onsets: List[int] = []
    position = 0
    while len(onsets) < count:
        index = int(np.searchsorted(loud, position))
        if index == len(loud):
            break
        onsets.append(int(loud[index]))
        position = onsets[-1] + min_samples_between + 2
    return onsets


def aligned_recording(path: Path, offset: int) -> np.ndarray:
    """A microphone's recording, mono at 48 kHz, from one second before its alignment offset."""
    samples, rate = audio.read_audio(path)
    samples = audio.resample(audio.to_mono(samples), rate, RATE)
    if len(samples) < offset:
        raise UserError(f"gunshot_triangulation: {path} is too short ({len(samples) / RATE:.1f} s at 48 kHz) to "
                        f"reach its alignment offset of {offset / RATE:.1f} s")
    return samples[offset - RATE:]


def cut_shots(recordings: Dict[str, Path], out_dir: Path) -> None:
    """Write every microphone's 22 shots, found on microphone 1, as mic<m>_shot<j>_fid<f>.wav."""
    aligned = [aligned_recording(recordings[name], offset) for name, offset in zip(RECORDINGS, MIC_OFFSETS)]
    onsets = shot_onsets(aligned[0])
    if len(onsets) < SHOTS:
        raise UserError(f"gunshot_triangulation: found {len(onsets)} of {SHOTS} shots in {recordings['mic1raw']}")
    for shot, onset in enumerate(tqdm(onsets, desc="cut gunshots", unit="shot", leave=False, mininterval=1.0)):
        start = int(onset - LEAD_SAMPLES)
        for mic, samples in enumerate(aligned, start=1):
            audio.write_wav(out_dir / f"mic{mic}_shot{shot}_fid{FIREARM_OF_SHOT[shot]}.wav",
                            samples[start:start + SHOT_SAMPLES], RATE)


class CutShots(TaskStage):
    """The shots cut from the four downloaded recordings (the full mode)."""

    def requires(self) -> Dict[str, DownloadCorpus]:
        return {Path(upstream_file_name(entry["url"])).stem: DownloadCorpus(url=entry["url"], md5=entry["md5"],
                                                                             work_dir=self.work_dir)
                for entry in self.config["download_urls"]}

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "00-CutShots"))

    def run(self) -> None:
        missing = [name for name in RECORDINGS if name not in self.input()]
        if missing:
            raise UserError(f"gunshot_triangulation: the download list has no recording {missing[0]}")
        with atomic_path(self.output().path) as temporary:
            temporary.mkdir()
            cut_shots({name: Path(target.path) for name, target in self.input().items()}, temporary)


class GunshotMetadata(ExtractMetadata):
    """Every shot, labelled with its microphone; its firearm is the split key, so each of the 7 folds holds
    one firearm's shots, as the original."""

    def requires(self) -> Dict[str, luigi.Task]:
        if all(upstream_file_name(entry["url"]).endswith(".wav") for entry in self.config["download_urls"]):
            return {"train": CutShots(**self.common())}
        return super().requires()

    def get_metadata(self) -> pd.DataFrame:
        rows = []
        for path in self.wav_files(self.extracted("train")):
            parts = path.stem.split("_")
            if len(parts) < 3 or parts[-3] not in {f"mic{m}" for m in range(1, 5)} \
                    or parts[-1] not in {f"fid{f}" for f in range(1, 8)}:
                raise UserError(f"gunshot_triangulation: {path}: expected a name mic<1-4>_shot<n>_fid<1-7>.wav")
            rows.append((str(path), "train", parts[-3], parts[-1]))
        return pd.DataFrame(rows, columns=["relpath", "split", "label", "split_key"])


METADATA_TASK = GunshotMetadata
