"""Small stand-in for the DCASE 2016 task 2 archives: 120 s office scenes with annotated events.

Each of the eleven classes has its own synthetic sound (tones, chirps, noise bands, click trains),
placed at the annotated times over pink-noise background at the file's event-to-background ratio.
"""

from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np

from heareval.tasks.dcase2016_task2 import CLASSES
from heareval.tasks.small import envelope, rng_for, wav_bytes, write_zip

RATE = 44100
SCENE_SECONDS = 120.0
DEV_SCENES = [(-6, 1, 0), (-6, 2, 1), (0, 1, 0), (0, 2, 1), (6, 1, 0), (6, 2, 1)]
TEST_SCENES = [(-6, 2, 0), (0, 1, 1), (6, 2, 0), (0, 2, 0)]


def event_sound(label: str, duration: float, rng: np.random.Generator) -> np.ndarray:
    """A class-specific sound: the class index picks frequency band and texture."""
    index = CLASSES.index(label)
    n = int(duration * RATE)
    t = np.arange(n) / RATE
    centre = 300.0 * 1.35 ** index
    if index % 3 == 0:  # harmonic tone
        out = sum(np.sin(2 * np.pi * k * centre * t) / k for k in range(1, 5))
    elif index % 3 == 1:  # chirp
        out = np.sin(2 * np.pi * (centre * t + 0.5 * centre * t ** 2 / max(duration, 0.1)))
    else:  # band of noise with a click train
        spectrum = np.fft.rfft(rng.standard_normal(n))
        frequencies = np.fft.rfftfreq(n, 1 / RATE)
        spectrum *= np.exp(-((frequencies - centre * 2) / (centre * 0.3)) ** 2)
        out = np.fft.irfft(spectrum, n)
        out /= np.max(np.abs(out)) + 1e-9
        out *= 0.6 + 0.4 * (np.sin(2 * np.pi * (8 + index) * t) > 0)
    return out * envelope(n, RATE, 0.005, 0.05)


def pink_noise(n: int, rng: np.random.Generator) -> np.ndarray:
    spectrum = np.fft.rfft(rng.standard_normal(n))
    spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
    out = np.fft.irfft(spectrum, n)
    return out / (np.std(out) + 1e-12)


def scene(name: str, ebr: int, nec: int, poly: int) -> Tuple[bytes, bytes]:
    rng = rng_for("scene", name)
    n = int(SCENE_SECONDS * RATE)
    mix = np.zeros(n)
    events: List[Tuple[float, float, str]] = []
    slots = [(label, k) for label in CLASSES for k in range(nec)]
    order = rng.permutation(len(slots))
    cursor = 0.5
    spacing = (SCENE_SECONDS - 2.0) / len(slots)
    for i in order:
        label = slots[i][0]
        duration = float(np.round(rng.uniform(0.4, 1.4), 2))
        onset = float(np.round(cursor, 2))
        if poly and rng.random() < 0.4 and events:
            onset = float(np.round(events[-1][0] + 0.3, 2))  # overlap the previous event
        offset = float(np.round(min(onset + duration, SCENE_SECONDS - 0.1), 2))
        sound = event_sound(label, offset - onset, rng)
        start = int(onset * RATE)
        mix[start:start + len(sound)] += sound
        events.append((onset, offset, label))
        cursor += spacing
    background = pink_noise(n, rng) * 0.3 * 10 ** (-ebr / 20)
    annotation = "".join(f"{on:.2f}\t{off:.2f}\t{label}\n" for on, off, label in sorted(events))
    return wav_bytes(0.3 * mix + background, RATE), annotation.encode()


def scene_name(prefix: str, index: int, ebr: int, nec: int, poly: int) -> str:
    return f"{prefix}_{index}_ebr_{ebr}_nec_{nec}_poly_{poly}"


def dev_archive() -> Iterator[Tuple[str, bytes]]:
    root = "dcase2016_task2_train_dev"
    yield f"{root}/README.txt", b"heareval small stand-in for DCASE 2016 task 2 (synthetic).\n"
    for ebr, nec, poly in DEV_SCENES:
        name = scene_name("dev", 1, ebr, nec, poly)
        sound, annotation = scene(name, ebr, nec, poly)
        yield f"{root}/dcase2016_task2_dev/sound/{name}.wav", sound
        yield f"{root}/dcase2016_task2_dev/annotation/{name}.txt", annotation
    for label in CLASSES:  # isolated training events, as upstream ships them (unused by the task)
        yield f"{root}/dcase2016_task2_train/{label}001.wav", wav_bytes(event_sound(label, 0.5, rng_for(label)), RATE)


def test_archive() -> Iterator[Tuple[str, bytes]]:
    root = "dcase2016_task2_test_public"
    yield f"{root}/README.txt", b"heareval small stand-in for DCASE 2016 task 2 test set (synthetic).\n"
    for index, (ebr, nec, poly) in enumerate(TEST_SCENES, start=1):
        name = scene_name("test", index, ebr, nec, poly)
        sound, annotation = scene(name, ebr, nec, poly)
        yield f"{root}/sound/{name}.wav", sound
        yield f"{root}/annotation/{name}.txt", annotation


def build(out_dir: Path) -> None:
    write_zip(out_dir / "dcase2016_task2_train_dev.zip", dev_archive())
    write_zip(out_dir / "dcase2016_task2_test_public.zip", test_archive())
