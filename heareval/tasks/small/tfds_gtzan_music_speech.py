"""Small stand-in for GTZAN's music_speech.tar.gz: `music_speech/music_wav/<name>.wav` and
`music_speech/speech_wav/<name>.wav`, 22.05 kHz 16-bit mono as upstream, eight 3 s excerpts of each
(upstream: 64 of 30 s).

Music is a steady chord of harmonic tones; speech is voiced syllables with gliding pitch and pauses."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.small import envelope, harmonic_tone, rng_for, wav_bytes, write_tar_gz
from heareval.tasks.tfds_gtzan_music_speech import UPSTREAM_FOLDER

RATE = 22050
SECONDS = 3.0
PER_CLASS = 8
# For side-by-side runs in full mode: upstream's 30 s excerpts, enough for TFDS to write four shards
# (130 examples: the shards end at 32, 65, 98 and 130).
LARGE = {"per_class": 65, "seconds": 30.0}
WORDS = ["ballad", "chorale", "fiddle", "organ", "reel", "sonata", "tango", "waltz"]


def music(take: int, seconds: float) -> np.ndarray:
    rng = rng_for("gtzan music", take)
    root = 196.0 * rng.uniform(0.9, 1.1)
    chord = sum(harmonic_tone(root * ratio, seconds, RATE, 1.0 / np.arange(1, 6)) for ratio in (1.0, 1.25, 1.5))
    return 0.5 * chord / np.max(np.abs(chord)) + 0.01 * rng.standard_normal(len(chord))


def speech(take: int, seconds: float) -> np.ndarray:
    rng = rng_for("gtzan speech", take)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    pitch = 120.0 * rng.uniform(0.8, 1.3) * (1 + 0.15 * np.sin(2 * np.pi * 3.0 * t))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(np.sin(k * phase) * np.exp(-((k * 120.0 - 700.0) / 400.0) ** 2) for k in range(1, 20))
    syllables = (np.sin(2 * np.pi * 4.0 * t + rng.uniform(0, 6.28)) > -0.2).astype(float)
    samples = voiced / np.max(np.abs(voiced)) * syllables * envelope(n, RATE)
    return 0.6 * samples + 0.01 * rng.standard_normal(n)


def archive(per_class: int = PER_CLASS, seconds: float = SECONDS) -> Iterator[Tuple[str, bytes]]:
    for take in range(per_class):
        word = f"{WORDS[take % len(WORDS)]}{take // len(WORDS) or ''}"
        yield f"{UPSTREAM_FOLDER}/music_wav/{word}.wav", wav_bytes(music(take, seconds), RATE)
        yield f"{UPSTREAM_FOLDER}/speech_wav/talk{take}.wav", wav_bytes(speech(take, seconds), RATE)


def build(out_dir: Path, per_class: int = PER_CLASS, seconds: float = SECONDS) -> None:
    write_tar_gz(out_dir / "music_speech.tar.gz", archive(per_class, seconds))
