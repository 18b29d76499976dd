"""Small stand-in for the four Beehive archives (Hive1_12_06_2018.rar, ...): RAR archives, as upstream,
each holding a folder of 16 kHz recordings of one hive on one day, half of them of a colony without its
queen. The real archives' file names are not known here; these take the form the original's label rule
reads (`NO` in the name: no queen).

The colony hums at its own pitch; with its queen it is calmer and lower, with short queen "toots" at
about 450 Hz; without, it hums higher and noisier."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.beehive_states_fold0 import RECORDINGS
from heareval.tasks.small import envelope, harmonic_tone, rng_for, wav_bytes, write_rar

RATE = 16000
SECONDS = 2.5
PER_STATE = 6  # recordings with and without the queen in each archive


def recording(archive: str, queen: bool, take: int, seconds: float = SECONDS) -> np.ndarray:
    rng = rng_for("beehive", archive, queen, take)
    f0 = rng.uniform(220, 250) if queen else rng.uniform(300, 340)
    hum = harmonic_tone(f0, seconds, RATE, 0.6 ** np.arange(8)) * (1 + 0.2 * rng.standard_normal())
    noise = rng.standard_normal(len(hum)) * (0.05 if queen else 0.3)
    if queen:
        t = np.arange(len(hum)) / RATE
        toots = np.sin(2 * np.pi * rng.uniform(430, 470) * t) * (np.sin(2 * np.pi * 2.0 * t) > 0.6)
        hum = hum + 0.8 * toots
    samples = (hum + noise) * envelope(len(hum), RATE, 0.05, 0.05)
    return 0.5 * samples / np.max(np.abs(samples))


def archive(name: str, per_state: int = PER_STATE, seconds: float = SECONDS) -> Iterator[Tuple[str, bytes]]:
    """The archive's members; more and longer recordings than the stand-in's for benchmarks."""
    hive = name.split("_")[0][-1]
    for take in range(per_state):
        for queen in (True, False):
            state = "QueenBee" if queen else "NO_QueenBee"
            yield (f"{name}/{name}_{state}_H{hive}_audio_{take:02d}.wav",
                   wav_bytes(recording(name, queen, take, seconds), RATE))


def build(out_dir: Path) -> None:
    for _, _, name, _, _ in RECORDINGS:
        write_rar(out_dir / f"{name}.rar", archive(name))
