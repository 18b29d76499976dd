"""Small stand-in for GTZAN's genres.tar.gz: `genres/<genre>/<genre>.000NN.wav`, 22.05 kHz 16-bit mono as
upstream, six 3 s excerpts of each of the ten genres (upstream: a hundred of 30 s).

Each genre is a sound of its own: a harmonic tone at its own pitch and timbre, pulsed at its own tempo."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.small import harmonic_tone, rng_for, wav_bytes, write_tar_gz
from heareval.tasks.tfds_gtzan import GENRES, UPSTREAM_FOLDER

RATE = 22050
SECONDS = 3.0
PER_GENRE = 6
# For side-by-side runs in full mode: enough excerpts that every fold can hold every genre, and enough audio
# for TFDS to write four shards (310 examples: the shards end at 78, 155, 232 and 310, rounding half to even).
LARGE = {"per_genre": 31, "seconds": 10.0}


def excerpt(genre: int, take: int, seconds: float) -> np.ndarray:
    rng = rng_for("gtzan", genre, take)
    f0 = 110.0 * 2 ** (genre / 4) * rng.uniform(0.98, 1.02)
    weights = 1.0 / np.arange(1, 9) ** (0.5 + 0.25 * (genre % 4))
    tone = harmonic_tone(f0, seconds, RATE, weights)
    t = np.arange(len(tone)) / RATE
    beats = 0.5 + 0.5 * (np.sin(2 * np.pi * (1.0 + 0.4 * genre) * t + rng.uniform(0, 6.28)) > 0)
    samples = tone / np.max(np.abs(tone)) * beats
    return 0.6 * samples + 0.02 * rng.standard_normal(len(t))


def archive(per_genre: int = PER_GENRE, seconds: float = SECONDS) -> Iterator[Tuple[str, bytes]]:
    for genre, name in enumerate(GENRES):
        for take in range(per_genre):
            yield f"{UPSTREAM_FOLDER}/{name}/{name}.{take:05d}.wav", wav_bytes(excerpt(genre, take, seconds), RATE)


def build(out_dir: Path, per_genre: int = PER_GENRE, seconds: float = SECONDS) -> None:
    write_tar_gz(out_dir / "genres.tar.gz", archive(per_genre, seconds))
