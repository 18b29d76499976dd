"""Small stand-in for the four Gunshot Triangulation recordings (mic1raw.wav, mic2raw16b.wav, mic3raw.wav,
mic4raw.wav), at 8 kHz to keep them small (the task resamples them to 48 kHz, as the original loaded them).

Each recording is silent up to its alignment offset, then holds the same 22 shots one second apart, as
each microphone heard them: a click that crosses the onset level, then a decaying burst coloured by the
microphone's own resonance and by the firearm, arriving at the microphone's own delay."""

from pathlib import Path

import numpy as np

from heareval.tasks.gunshot_triangulation import FIREARM_OF_SHOT, MIC_OFFSETS, RATE, RECORDINGS, SHOTS
from heareval.tasks.small import rng_for, wav_bytes

SOURCE_RATE = 8000
STEP = RATE // SOURCE_RATE
SHOT_SPACING = SOURCE_RATE  # one second
MIC_RESONANCE_HZ = [300.0, 700.0, 1500.0, 2800.0]
MIC_DELAY = [0, 40, 90, 150]  # samples at 8 kHz


def shot(mic: int, shot_index: int) -> np.ndarray:
    rng = rng_for("gunshot", mic, shot_index)
    firearm = FIREARM_OF_SHOT[shot_index]
    t = np.arange(int(0.6 * SOURCE_RATE)) / SOURCE_RATE
    burst = rng.standard_normal(len(t)) * np.exp(-t * (8 + 2 * firearm)) * 0.3
    ring = np.sin(2 * np.pi * MIC_RESONANCE_HZ[mic] * (1 + 0.03 * firearm) * t) * np.exp(-t * 12) * 0.4
    samples = np.clip(burst + ring, -0.5, 0.5)  # below the onset level after the click
    samples[:3] = 0.95  # the click whose first loud sample is the shot's onset
    return samples


def recording(mic: int) -> np.ndarray:
    """Microphone `mic`'s recording: shot j's click at offset - 1 s + 1.5 s + j s (in 48 kHz samples)."""
    start = (MIC_OFFSETS[mic] - RATE) // STEP
    samples = np.zeros(start + (SHOTS + 2) * SHOT_SPACING, dtype=np.float32)
    for index in range(SHOTS):
        at = start + SOURCE_RATE + SOURCE_RATE // 2 + index * SHOT_SPACING + MIC_DELAY[mic]
        sound = shot(mic, index)
        samples[at:at + len(sound)] += sound
    samples[start:] += 0.003 * rng_for("gunshot noise", mic).standard_normal(len(samples) - start)
    return samples


def build(out_dir: Path) -> None:
    for mic, name in enumerate(RECORDINGS):
        (out_dir / f"{name}.wav").write_bytes(wav_bytes(recording(mic), SOURCE_RATE))
