"""Small stand-in for CREMA-D as TFDS fetched it: `summaryTable.csv` (the corpus's table of recordings,
with the four rows upstream has no recording for), the recordings `<actor>_<sentence>_<emotion>_<level>.wav`
(16 kHz 16-bit mono, as upstream) and TFDS's checksum list `crema_d.txt` of them, all in one folder, as a
mirror holds them. Twelve actors (upstream: 91), each saying two sentences in each of the six emotions
(upstream: twelve sentences).

Each emotion is a voice of its own: its pitch, its pitch movement and its loudness rhythm."""

import hashlib
from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.small import envelope, rng_for, wav_bytes
from heareval.tasks.tfds_crema_d import AUDIO_URL, LABELS, NOT_RECORDINGS, SUMMARY_TABLE_URL, TABLE

RATE = 16000
SECONDS = 1.5
ACTORS = 12
SENTENCES = ["DFA", "IEO", "IOM", "ITH", "ITS", "IWL", "IWW", "MTI", "TAI", "TIE", "TSI", "WSI"]
PER_ACTOR = 2  # sentences per emotion
LEVELS = ["XX", "LO", "MD", "HI"]
# For side-by-side runs: enough audio for TFDS to write its train and test splits in several shards.
LARGE = {"actors": 30, "sentences": 12, "seconds": 4.0}


def voice(emotion: int, actor: int, take: int, seconds: float) -> np.ndarray:
    rng = rng_for("crema_d", emotion, actor, take)
    n = int(seconds * RATE * rng.uniform(0.85, 1.0))
    t = np.arange(n) / RATE
    pitch = (110.0 + 8.0 * actor % 60) * 2 ** (emotion / 6) * (1 + (0.05 + 0.04 * emotion) * np.sin(
        2 * np.pi * (1.0 + emotion) * t))
    phase = 2 * np.pi * np.cumsum(pitch) / RATE
    voiced = sum(np.sin(k * phase) / k ** (0.6 + 0.2 * (emotion % 3)) for k in range(1, 16))
    rhythm = 0.55 + 0.45 * np.sin(2 * np.pi * (2.0 + 0.7 * emotion) * t)
    samples = voiced / np.max(np.abs(voiced)) * rhythm * envelope(n, RATE, 0.02, 0.1)
    return 0.6 * samples + 0.01 * rng.standard_normal(n)


def files(actors: int = ACTORS, sentences: int = PER_ACTOR, seconds: float = SECONDS) -> Iterator[Tuple[str, bytes]]:
    """(file name, bytes) of the mirror folder: the recordings, the table, the checksum list."""
    names, checksums = [], []
    for actor in range(1001, 1001 + actors):
        for emotion, label in enumerate(LABELS):
            for take in range(sentences):
                sentence = SENTENCES[(take + emotion) % len(SENTENCES)]
                name = f"{actor}_{sentence}_{label}_{LEVELS[(actor + take) % len(LEVELS)]}"
                data = wav_bytes(voice(emotion, actor, take, seconds), RATE)
                names.append(name)
                checksums.append(f"{AUDIO_URL}{name}.wav\t{len(data)}\t{hashlib.sha256(data).hexdigest()}\t{name}.wav")
                yield f"{name}.wav", data
    rows = ['"","FileName","VoiceVote","VoiceLevel","FaceVote","FaceLevel","MultiModalVote","MultiModalLevel"']
    missing = sorted(name for name in NOT_RECORDINGS if name != "FileName" and int(name[:4]) < 1001 + actors)
    for number, name in enumerate(names + missing, 1):
        rows.append(f'"{number}","{name}","{name.split("_")[2][0]}","50","{name.split("_")[2][0]}","50","A","50"')
    table = ("\n".join(rows) + "\n").encode()
    checksums.append(f"{SUMMARY_TABLE_URL}\t{len(table)}\t{hashlib.sha256(table).hexdigest()}\t{TABLE}")
    yield TABLE, table
    yield "crema_d.txt", ("\n".join(checksums) + "\n").encode()


def build(out_dir: Path, actors: int = ACTORS, sentences: int = PER_ACTOR, seconds: float = SECONDS) -> None:
    for name, data in files(actors, sentences, seconds):
        (out_dir / name).write_bytes(data)
