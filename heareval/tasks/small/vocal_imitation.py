"""Small stand-in for VocalImitationSet_v1.1.3.zip: VocalImitationSet/vocal_imitations.txt (tab-separated),
vocal_imitations/included/ and excluded/ imitations and original_recordings/reference/, at 16 kHz.

Eight reference sounds, each a pitch contour and rhythm of its own; each is imitated six times by voices
that follow its contour with their own pitch, timing and breath noise. Two more imitations are marked
excluded, as the real table marks some."""

from pathlib import Path
from typing import Iterator, Tuple

import numpy as np

from heareval.tasks.small import envelope, rng_for, wav_bytes, write_zip
from heareval.tasks.vocal_imitation import ROOT, TABLE

RATE = 16000
SECONDS = 2.5
REFERENCES = ["Animal_Dog barking", "Animal_Cat purring", "Vehicle_Car horn", "Vehicle_Motorcycle",
              "Music_Trumpet", "Music_Bell", "Domestic_Door knock", "Nature_Thunder"]
IMITATIONS_PER_REFERENCE = 6
EXCLUDED = 2


def contour(reference: int, t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A reference's frequency (Hz) over time: its own base, sweep and wobble rate."""
    shape = rng_for("vocal imitation reference", reference)
    base = 150.0 * 2 ** (reference * 0.4)
    sweep = shape.uniform(-0.8, 0.8)
    wobble = shape.uniform(1.0, 8.0)
    return base * rng.uniform(0.95, 1.05) * 2 ** (sweep * t / SECONDS + 0.1 * np.sin(2 * np.pi * wobble * t))


def sound(reference: int, rng: np.random.Generator, harmonics: int) -> np.ndarray:
    t = np.arange(int(SECONDS * RATE)) / RATE
    phase = 2 * np.pi * np.cumsum(contour(reference, t, rng)) / RATE
    tone = sum(np.sin(k * phase) * 0.6 ** k for k in range(1, harmonics + 1))
    bursts = 2.0 + reference % 4
    gate = np.sin(2 * np.pi * bursts * t * rng.uniform(0.95, 1.05)) > -0.5
    return tone * gate * envelope(len(t), RATE, 0.02, 0.1)


def imitation(reference: int, take: int) -> np.ndarray:
    rng = rng_for("vocal imitation", reference, take)
    samples = sound(reference, rng, harmonics=4)
    return samples + 0.05 * rng.standard_normal(len(samples))


def archive() -> Iterator[Tuple[str, bytes]]:
    rows = ["participant_id\timitation_filename\treference_filename\tincluded"]
    members = []
    for reference, name in enumerate(REFERENCES):
        reference_file = f"{reference:03d}{name}.wav"
        members.append((f"{ROOT}/original_recordings/reference/{reference_file}",
                        wav_bytes(sound(reference, rng_for("reference", reference), harmonics=8), RATE)))
        for take in range(IMITATIONS_PER_REFERENCE + (EXCLUDED if reference == 0 else 0)):
            included = take < IMITATIONS_PER_REFERENCE
            file_name = f"{reference:03d}{name} - {take:02d}.wav"
            rows.append(f"{take}\t{file_name}\t{reference_file}\t{int(included)}")
            folder = "included" if included else "excluded"
            samples = imitation(reference, take)
            members.append((f"{ROOT}/vocal_imitations/{folder}/{file_name}", wav_bytes(samples, RATE)))
    yield f"{ROOT}/{TABLE}", ("\n".join(rows) + "\n").encode()
    yield from members


def build(out_dir: Path) -> None:
    write_zip(out_dir / "VocalImitationSet_v1.1.3.zip", archive())
