"""Small stand-in for FSD50K: FSD50K.dev_audio.z01-z05/.zip and FSD50K.eval_audio.z01/.zip (split zip
archives of 44.1 kHz clips of their own length, 0.5 to 2.5 s), FSD50K.ground_truth.zip (dev.csv with its
train/val split, eval.csv, vocabulary.csv) and FSD50K.metadata.zip (each clip's Freesound info with its
uploader). Six classes, each with a parent label as the real labels carry their ontology's ancestors; a
clip sounds one or two of them. The dev set holds the twelve clip ids the original leaves out (here short
clips, like the others)."""

import json
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import numpy as np

from heareval.tasks.fsd50k import TOO_LONG
from heareval.tasks.small import envelope, rng_for, wav_bytes, write_split_zip, write_zip

RATE = 44100
CLASSES = [("Bark", "Dog"), ("Meow", "Cat"), ("Speech", "Human_voice"), ("Guitar", "Music"), ("Rain", "Water"),
           ("Engine", "Vehicle")]
MIDS = {label: f"/m/0{index:02d}x" for index, label in enumerate(label for pair in CLASSES for label in pair)}
DEV_CLIPS, VALIDATION_EVERY, EVAL_CLIPS = 60, 3, 30
UPLOADERS = [f"user{index}" for index in range(10)]


def class_sound(index: int, seconds: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    base = 180.0 * 2 ** (index * 0.6)
    if index % 2 == 0:  # a pulsed harmonic tone
        pulses = np.sin(2 * np.pi * (2 + index) * t) > 0
        sound = sum(np.sin(2 * np.pi * base * k * t) / k for k in range(1, 4)) * pulses
    else:  # a band of noise around the class's frequency
        spectrum = np.fft.rfft(rng.standard_normal(len(t)))
        frequencies = np.fft.rfftfreq(len(t), 1 / RATE)
        spectrum *= np.exp(-((frequencies - base * 2) / (base * 0.5)) ** 2)
        sound = np.fft.irfft(spectrum, len(t))
        sound /= max(1e-9, np.abs(sound).max())
    return sound * rng.uniform(0.5, 1.0)


def clip(fname: int) -> Tuple[np.ndarray, List[int]]:
    rng = rng_for("fsd50k", fname)
    classes = sorted(rng.choice(len(CLASSES), size=int(rng.integers(1, 3)), replace=False).tolist())
    seconds = float(rng.uniform(0.5, 2.5))
    samples = sum(class_sound(index, seconds, rng) for index in classes)
    return samples * envelope(len(samples), RATE, 0.01, 0.05) + 0.005 * rng.standard_normal(len(samples)), classes


def labels_of(classes: List[int]) -> Tuple[str, str]:
    labels = [label for index in classes for label in CLASSES[index]]
    return ",".join(labels), ",".join(MIDS[label] for label in labels)


def clips(first: int, count: int) -> Iterator[Tuple[int, np.ndarray, List[int]]]:
    for fname in range(first, first + count):
        samples, classes = clip(fname)
        yield fname, samples, classes


def build(out_dir: Path) -> None:
    dev_rows, eval_rows = ["fname,labels,mids,split"], ["fname,labels,mids"]
    info: Dict[str, Dict[str, Dict[str, object]]] = {"dev": {}, "eval": {}}
    dev_audio, eval_audio = [], []
    dev_ids = sorted(TOO_LONG) + list(range(100001, 100001 + DEV_CLIPS))
    for position, fname in enumerate(dev_ids):
        samples, classes = clip(fname)
        labels, mids = labels_of(classes)
        dev_rows.append(f'{fname},"{labels}","{mids}",{"val" if position % VALIDATION_EVERY == 1 else "train"}')
        info["dev"][str(fname)] = freesound_info(fname, position)
        dev_audio.append((f"FSD50K.dev_audio/{fname}.wav", wav_bytes(samples, RATE)))
    for position, (fname, samples, classes) in enumerate(clips(200001, EVAL_CLIPS)):
        labels, mids = labels_of(classes)
        eval_rows.append(f'{fname},"{labels}","{mids}"')
        info["eval"][str(fname)] = freesound_info(fname, position)
        eval_audio.append((f"FSD50K.eval_audio/{fname}.wav", wav_bytes(samples, RATE)))
    write_split_zip(out_dir, "FSD50K.dev_audio", iter(dev_audio), data_parts=5)
    write_split_zip(out_dir, "FSD50K.eval_audio", iter(eval_audio), data_parts=1)
    vocabulary = [f"{index},{label},{MIDS[label]}" for index, label in enumerate(MIDS)]
    write_zip(out_dir / "FSD50K.ground_truth.zip", iter([
        ("FSD50K.ground_truth/dev.csv", ("\n".join(dev_rows) + "\n").encode()),
        ("FSD50K.ground_truth/eval.csv", ("\n".join(eval_rows) + "\n").encode()),
        ("FSD50K.ground_truth/vocabulary.csv", ("\n".join(vocabulary) + "\n").encode()),
    ]))
    write_zip(out_dir / "FSD50K.metadata.zip", iter([
        ("FSD50K.metadata/dev_clips_info_FSD50K.json", json.dumps(info["dev"]).encode()),
        ("FSD50K.metadata/eval_clips_info_FSD50K.json", json.dumps(info["eval"]).encode()),
    ]))


def freesound_info(fname: int, position: int) -> Dict[str, object]:
    return {"title": f"clip {fname}", "description": "synthetic stand-in", "tags": ["heareval"],
            "license": "http://creativecommons.org/publicdomain/zero/1.0/", "uploader": UPLOADERS[position % 10]}
