"""Small stand-in for free-spoken-digit-dataset v1.0.9.tar.gz: `recordings/<digit>_<speaker>_<n>.wav` at
8 kHz, as upstream, for the five speakers of release 1.0.9 and four takes of each digit (upstream: 50).

Each digit is a voiced sound with two formants of its own; each speaker speaks at a pitch of their own."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.small import envelope, rng_for, wav_bytes, write_tar_gz
from heareval.tasks.spoken_digit import UPSTREAM_FOLDER

RATE = 8000
SPEAKERS = ["george", "jackson", "nicolas", "theo", "yweweler"]
TAKES = 4


def utterance(digit: int, speaker: int, take: int) -> np.ndarray:
    rng = rng_for("spoken digit", digit, speaker, take)
    t = np.arange(int(rng.uniform(0.35, 0.5) * RATE)) / RATE
    f0 = (100.0 + 30.0 * speaker) * rng.uniform(0.97, 1.03)
    formants = (300.0 + 60.0 * digit, 2300.0 - 130.0 * digit)
    harmonics = np.arange(1, int(RATE / 2 / f0))
    weights = sum(np.exp(-((harmonics * f0 - formant) / 120.0) ** 2) for formant in formants)
    voiced = sum(w * np.sin(2 * np.pi * k * f0 * t) for k, w in zip(harmonics, weights))
    samples = voiced * envelope(len(t), RATE, 0.03, 0.08) + 0.01 * rng.standard_normal(len(t))
    return samples / np.max(np.abs(samples)) * 0.6


def archive() -> Iterator[Tuple[str, bytes]]:
    for digit in range(10):
        for speaker, name in enumerate(SPEAKERS):
            for take in range(TAKES):
                yield f"{UPSTREAM_FOLDER}/{digit}_{name}_{take}.wav", wav_bytes(utterance(digit, speaker, take), RATE)


def build(out_dir: Path) -> None:
    write_tar_gz(out_dir / "v1.0.9.tar.gz", archive())
