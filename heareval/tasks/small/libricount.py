"""Small stand-in for LibriCount10-0dB.zip: test/<count>_<speakers>.wav (16 kHz) with a .json beside each,
counts 0 to 10, ten mixtures of each (enough for every count in each of the full mode's 5 folds). Each
speaker is a voice of its own pitch band with a syllable rhythm; a mixture of n speakers holds n of ten
voices, chosen at random, so the count shows as the number of voices sounding at once."""

import json
from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np

from heareval.tasks.libricount import COUNTS
from heareval.tasks.small import envelope, harmonic_tone, rng_for, wav_bytes, write_zip

RATE = 16000
SECONDS = 3.0
MIXTURES_PER_COUNT = 10
VOICES = 10


def voice(index: int, rng: np.random.Generator) -> np.ndarray:
    f0 = 100.0 * 2 ** (index * 0.25) * rng.uniform(0.98, 1.02)
    tone = harmonic_tone(f0, SECONDS, RATE, 0.7 ** np.arange(6))
    t = np.arange(len(tone)) / RATE
    syllables = np.sin(2 * np.pi * rng.uniform(3.0, 5.0) * t + rng.uniform(0, 2 * np.pi)) > -0.3
    return tone * syllables * rng.uniform(0.6, 1.0)


def mixture(count: int, take: int) -> Tuple[np.ndarray, List[int]]:
    rng = rng_for("libricount", count, take)
    speakers = sorted(rng.choice(VOICES, size=count, replace=False).tolist()) if count else []
    samples = sum((voice(s, rng) for s in speakers), np.zeros(int(SECONDS * RATE)))
    samples = samples * envelope(len(samples), RATE, 0.02, 0.05) + 0.01 * rng.standard_normal(len(samples))
    return samples, speakers


def archive() -> Iterator[Tuple[str, bytes]]:
    for count in COUNTS:
        for take in range(MIXTURES_PER_COUNT):
            samples, speakers = mixture(int(count), take)
            stem = f"{count}_take{take}_" + "-".join(str(1000 + s) for s in speakers)
            yield f"test/{stem}.wav", wav_bytes(samples, RATE)
            yield f"test/{stem}.json", json.dumps([{"speaker_id": 1000 + s} for s in speakers]).encode()


def build(out_dir: Path) -> None:
    write_zip(out_dir / "LibriCount10-0dB.zip", archive())
