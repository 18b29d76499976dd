"""Small stand-in for public_dataset.zip (COUGHVID v2.0): `public_dataset/<uuid>.ogg` (and a few .wav)
recordings with a `<uuid>.json` beside each, and metadata_compiled.csv with each recording's cough
detector score and self-reported status; some rows below the 0.8 score or without a status, which the
task leaves out. Upstream most recordings are WebM; libsndfile cannot write WebM, so the stand-in's are
Ogg Vorbis.

Each status coughs in its own way: bursts of noise in a band of their own, at a rate of their own."""

import io
import json
from pathlib import Path
from typing import Iterator, Tuple

import numpy as np
import soundfile as sf

from heareval.tasks.coughvid import FOLDER, TABLE
from heareval.tasks.small import envelope, rng_for, wav_bytes, write_zip

RATE = 16000
SECONDS = 1.5
STATUSES = ["healthy", "symptomatic", "COVID-19"]
PER_STATUS = 12


def cough(status: int, take: int) -> np.ndarray:
    rng = rng_for("coughvid", status, take)
    n = int(SECONDS * RATE)
    spectrum = np.fft.rfft(rng.standard_normal(n))
    frequencies = np.fft.rfftfreq(n, 1 / RATE)
    spectrum *= np.exp(-((frequencies - (500.0 + 900.0 * status)) / 250.0) ** 2)
    noise = np.fft.irfft(spectrum, n)
    t = np.arange(n) / RATE
    bursts = (np.sin(2 * np.pi * (2.0 + 1.5 * status) * t + rng.uniform(0, 6.28)) > 0.3).astype(float)
    samples = noise / np.max(np.abs(noise)) * bursts * envelope(n, RATE, 0.01, 0.05)
    return 0.6 * samples + 0.005 * rng.standard_normal(n)


def ogg_bytes(samples: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    sf.write(buffer, samples.astype(np.float32), RATE, format="OGG", subtype="VORBIS")
    return buffer.getvalue()


def archive() -> Iterator[Tuple[str, bytes]]:
    rows = ["uuid,datetime,cough_detected,age,gender,status"]
    for status, name in enumerate(STATUSES):
        for take in range(PER_STATUS + 2):
            uuid = f"{rng_for('coughvid uuid', status, take).integers(16 ** 12):012x}-{status}{take:02d}"
            detected = 0.95 if take < PER_STATUS else 0.3  # the last two: no cough detected, left out
            rows.append(f"{uuid},2020-05-01,{detected},40,female,{name}")
            samples = cough(status, take)
            audio = wav_bytes(samples, RATE) if take % 5 == 4 else ogg_bytes(samples)
            yield f"{FOLDER}/{uuid}.{'wav' if take % 5 == 4 else 'ogg'}", audio
            yield f"{FOLDER}/{uuid}.json", json.dumps({"datetime": "2020-05-01", "status": name}).encode()
    unlabelled = "0000000000ff-none"
    rows.append(f"{unlabelled},2020-05-01,0.99,,,")  # no status: left out
    yield f"{FOLDER}/{unlabelled}.ogg", ogg_bytes(cough(0, 99))
    yield f"{FOLDER}/{TABLE}", ("\n".join(rows) + "\n").encode()


def build(out_dir: Path) -> None:
    write_zip(out_dir / "public_dataset.zip", archive())
