"""Small stand-in for mridangam_stroke_1.5.zip: mridangam_stroke_1.5/<Tonic>/<id>__akshaylaya__<stroke>-<tonic>-<n>.wav
at 44.1 kHz, two of each stroke on each tonic. A stroke is a tone at the tonic's pitch with the stroke's own
harmonics, decay and noise, so both the stroke and the tonic can be learned."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.mridangam_stroke import ARCHIVE_FOLDER, STROKES, TONICS
from heareval.tasks.small import envelope, harmonic_tone, rng_for, wav_bytes, write_zip

RATE = 44100
INSTANCES = 2
TONIC_HZ = {"b": 123.5, "c": 130.8, "csh": 138.6, "d": 146.8, "dsh": 155.6, "e": 164.8}


def stroke_sound(stroke: int, tonic: str, instance: int) -> np.ndarray:
    timbre = rng_for("mridangam timbre", stroke)
    rng = rng_for("mridangam", stroke, tonic, instance)
    seconds = rng.uniform(0.4, 1.2)
    weights = timbre.uniform(0.0, 1.0, 8) * (0.6 ** np.arange(8))
    weights[stroke % 8] += 1.0  # each stroke stresses its own harmonic
    tone = harmonic_tone(TONIC_HZ[tonic] * 2, seconds, RATE, weights)
    decay = np.exp(-np.arange(len(tone)) / RATE * (2.0 + 1.5 * stroke))
    noise = rng.standard_normal(len(tone)) * np.exp(-np.arange(len(tone)) / RATE * 40) * 0.1 * (stroke % 3)
    return (tone * decay + noise) * envelope(len(tone), RATE, 0.002, 0.05) * rng.uniform(0.6, 1.0)


def archive() -> Iterator[Tuple[str, bytes]]:
    number = 224000
    for tonic in TONICS:
        for index, stroke in enumerate(STROKES):
            for instance in range(1, INSTANCES + 1):
                number += 1
                name = f"{ARCHIVE_FOLDER}/{tonic.upper()}/{number}__akshaylaya__{stroke}-{tonic}-{instance:03d}.wav"
                yield name, wav_bytes(stroke_sound(index, tonic, instance), RATE)


def build(out_dir: Path) -> None:
    write_zip(out_dir / "mridangam_stroke_1.5.zip", archive())
