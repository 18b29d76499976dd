"""Small stand-in for VoxLingua107's dev.zip: <language>/<video>__U__S<n>---<start>-<end>.wav at 16 kHz.
Twelve languages with 2 to 14 utterances each, so that the task keeps the ten most frequent (each
with enough for every fold of the full mode).

Each language is a voice with its own vowel formants and syllable rate; each utterance a speaker of its
own pitch."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.small import envelope, rng_for, wav_bytes, write_zip

RATE = 16000
SECONDS = 2.5
UTTERANCES = {"en": 14, "de": 13, "fr": 13, "es": 12, "ru": 12, "zh": 12, "ja": 11, "ar": 11, "hi": 11, "pt": 11,
              "et": 4, "fi": 2}


def utterance(language: str, take: int) -> np.ndarray:
    accent = rng_for("vox lingua language", language)
    rng = rng_for("vox lingua", language, take)
    formants = np.sort(accent.uniform([250, 800, 2000], [800, 2000, 3400]))
    syllable_rate = accent.uniform(2.5, 7.0)
    f0 = rng.uniform(100, 220)
    t = np.arange(int(SECONDS * RATE)) / RATE
    tone = np.zeros_like(t)
    for k in range(1, int(3800 / f0)):
        weight = sum(np.exp(-((k * f0 - f) / 150.0) ** 2) for f in formants)
        tone += weight * np.sin(2 * np.pi * k * f0 * t)
    syllables = np.sin(2 * np.pi * syllable_rate * t + rng.uniform(0, 2 * np.pi)) > 0
    return tone * syllables * envelope(len(t), RATE, 0.02, 0.1) + 0.01 * rng.standard_normal(len(t))


def archive() -> Iterator[Tuple[str, bytes]]:
    for language, count in UTTERANCES.items():
        for take in range(count):
            name = f"{language}/{language}video{take:02d}__U__S{take}---0000.000-0002.500.wav"
            yield name, wav_bytes(utterance(language, take), RATE)


def build(out_dir: Path) -> None:
    write_zip(out_dir / "dev.zip", archive())
