"""Small stand-in for beijing_opera_percussion_instrument_1.0.zip: the archive's folder of 44.1 kHz strokes,
eight of each of the four instruments. The real archive's exact file names are not known here; these take
the form the original's label rule reads (`<n>__<instrument>-<take>.wav`).

Each instrument is a struck sound of its own: a low drum thump, a crash of noise, a large gong's slow
low partials, a small gong's quick pitch glide."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.beijing_opera import ARCHIVE_FOLDER
from heareval.tasks.small import rng_for, wav_bytes, write_zip

RATE = 44100
INSTRUMENTS = ["bangu", "naobo", "daluo", "xiaoluo"]
TAKES = 8


def stroke(instrument: int, take: int) -> np.ndarray:
    rng = rng_for("beijing opera", instrument, take)
    t = np.arange(int(rng.uniform(1.5, 3.0) * RATE)) / RATE
    if instrument == 0:  # clapper-drum: a short low thump
        samples = np.sin(2 * np.pi * rng.uniform(180, 200) * t) * np.exp(-t * 30)
    elif instrument == 1:  # cymbals: a bright crash of noise
        samples = np.diff(rng.standard_normal(len(t) + 1)) * np.exp(-t * 4)
    elif instrument == 2:  # large gong: slow, low inharmonic partials
        samples = sum(np.sin(2 * np.pi * rng.uniform(0.99, 1.01) * f * t) / (i + 1)
                      for i, f in enumerate([110.0, 237.0, 389.0])) * np.exp(-t * 1.5)
    else:  # small gong: a partial gliding upwards
        samples = np.sin(2 * np.pi * (600 * t + 300 * t ** 2) * rng.uniform(0.98, 1.02)) * np.exp(-t * 3)
    return samples * rng.uniform(0.5, 1.0) + 0.005 * rng.standard_normal(len(t))


def archive() -> Iterator[Tuple[str, bytes]]:
    for index, instrument in enumerate(INSTRUMENTS):
        for take in range(TAKES):
            name = f"{ARCHIVE_FOLDER}/{100 + index * TAKES + take}__{instrument}-{take + 1}.wav"
            yield name, wav_bytes(stroke(index, take), RATE)


def build(out_dir: Path) -> None:
    write_zip(out_dir / "beijing_opera_percussion_instrument_1.0.zip", archive())
