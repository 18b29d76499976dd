"""Small stand-in for nsynth-{train,valid,test}.jsonwav.tar.gz: harmonic notes at the labelled pitch.

Valid and test share instruments that train lacks (as upstream); every pitch 21..108 occurs in
every split, plus a few out-of-range notes that the task drops.
"""

import json
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import numpy as np

from heareval.tasks.small import envelope, harmonic_tone, rng_for, wav_bytes, write_tar_gz

RATE = 16000
FAMILIES = ["keyboard", "bass", "guitar", "organ", "flute", "string", "brass", "mallet"]
SOURCES = ["acoustic", "electronic", "synthetic"]
PITCHES = list(range(21, 109))
OUT_OF_RANGE = [12, 15, 112, 118]
NOTES_PER_PITCH = {"train": 2, "valid": 1, "test": 1}
VELOCITY_OFFSET = {"train": 0, "valid": 1, "test": 3}  # valid and test share instruments, never a note_str


def instruments(split: str) -> List[str]:
    group = "train" if split == "train" else "eval"
    count = 12 if group == "train" else 6  # 18 in all: enough for nsynth_pitch_kfold's 10 folds
    offset = 0 if group == "train" else 100
    return [f"{FAMILIES[(i + offset) % len(FAMILIES)]}_{SOURCES[i % 3]}_{i + offset:03d}" for i in range(count)]


def note(instrument: str, pitch: int, velocity: int) -> bytes:
    rng = rng_for("instrument", instrument)
    rolloff = rng.uniform(0.5, 0.8)
    weights = rolloff ** np.arange(12) * rng.uniform(0.6, 1.0, 12)
    weights[0] = 1.0  # the fundamental is always present
    f0 = 440.0 * 2 ** ((pitch - 69) / 12)
    tone = harmonic_tone(f0, 4.0, RATE, weights)
    decay = np.exp(-np.arange(len(tone)) / RATE * rng.uniform(0.3, 1.2))
    samples = tone * decay * envelope(len(tone), RATE, 0.01, 0.2) * velocity / 127
    return wav_bytes(samples + 0.001 * rng_for("noise", instrument, pitch).standard_normal(len(samples)), RATE)


def split_archive(split: str) -> Iterator[Tuple[str, bytes]]:
    names = instruments(split)
    examples: Dict[str, dict] = {}
    audio = []
    for pitch in PITCHES + OUT_OF_RANGE:
        for take in range(NOTES_PER_PITCH[split] if pitch in PITCHES else 1):
            instrument = names[(pitch * 7 + take * 3) % len(names)]
            velocity = [25, 50, 75, 100, 127][(pitch + take + VELOCITY_OFFSET[split]) % 5]
            note_str = f"{instrument}-{pitch:03d}-{velocity:03d}"
            family, source, _ = instrument.split("_")
            examples[note_str] = {
                "note": len(examples), "note_str": note_str, "instrument": names.index(instrument),
                "instrument_str": instrument, "pitch": pitch, "velocity": velocity, "sample_rate": RATE,
                "qualities": [0] * 10, "qualities_str": [],
                "instrument_family": FAMILIES.index(family), "instrument_family_str": family,
                "instrument_source": SOURCES.index(source), "instrument_source_str": source,
            }
            audio.append((f"nsynth-{split}/audio/{note_str}.wav", note(instrument, pitch, velocity)))
    yield f"nsynth-{split}/examples.json", json.dumps(examples, indent=2, sort_keys=True).encode()
    yield from audio


def build(out_dir: Path) -> None:
    for split in ("train", "valid", "test"):
        write_tar_gz(out_dir / f"nsynth-{split}.jsonwav.tar.gz", split_archive(split))
