"""The names TensorFlow Datasets' export gave a corpus's examples, computed from the upstream files.

The original built some tasks through TensorFlow Datasets (TFDS 4.4) and named each exported recording
`tfds_id_<slugified tfds id>.wav`, the id being `<dataset>-<split>.tfrecord-<shard>-of-<shards>__<index>`.
The folds follow from those names, so heareval gives each upstream file the same name by TFDS's rules:

- a split's examples are ordered by the md5 of the split name followed by the example's key;
- the number of shards follows from the split's serialized size (each example a `tf.train.Example`, the
  audio an int64 list, so the size depends on every sample's value) and its number of examples;
- shard i ends at example round(n * (i + 1) / shards).
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Sequence, Tuple, Union

import numpy as np
import pandas as pd
import soundfile as sf
from tqdm import tqdm

from heareval.errors import UserError

EXPORT_FACTS = "tfds-export.json"  # per TFDS split: examples, serialized bytes, shards (in 01-ExtractMetadata)

MIN_SHARD_SIZE = 64 << 20
MAX_SHARD_SIZE = 1024 << 20
RECORD_OVERHEAD = 16  # a TFRecord's length, its CRC and the data's CRC
SMALL_SHARD_COUNTS = (512, 256, 128, 64, 32, 16, 8, 4, 2)
EXPORTED_AUDIO = "audio"  # the original's small modes: TFDS's export, audio/ and <split>_labels.csv

Feature = Union[int, str]


def varint_sizes(values: np.ndarray) -> int:
    """Bytes of protobuf varints for int64 values: 7 bits a byte, a negative one always 10 bytes."""
    values = np.asarray(values, dtype=np.int64)
    total = 10 * int(np.count_nonzero(values < 0))
    for width in range(1, 10):
        low, high = (0 if width == 1 else 1 << (7 * (width - 1))), 1 << (7 * width)
        total += width * int(np.count_nonzero((values >= low) & (values < high)))
    return total


def varint_size(value: int) -> int:
    return varint_sizes(np.array([value]))


def length_delimited(size: int) -> int:
    """A field of `size` bytes with its one-byte tag and its length."""
    return 1 + varint_size(size) + size


def serialized_size(audio: np.ndarray, features: Mapping[str, Feature]) -> int:
    """Bytes of the `tf.train.Example` TFDS wrote for one example: `audio` an int64 list, each other feature
    an int (a class index, an int64 list of one) or a str (a bytes list of one)."""
    def feature_entry(key: str, list_size: int) -> int:
        feature = length_delimited(list_size)  # Feature: its one list
        return length_delimited(length_delimited(len(key.encode())) + length_delimited(feature))

    audio_payload = varint_sizes(audio)
    entries = feature_entry("audio", length_delimited(audio_payload) if len(audio) else 0)
    for key, value in features.items():
        if isinstance(value, str):
            entries += feature_entry(key, length_delimited(len(value.encode())))
        else:
            entries += feature_entry(key, length_delimited(varint_size(int(value))))
    return length_delimited(entries)


def wav_samples(path: Path) -> np.ndarray:
    """A WAV's samples as TFDS's Audio feature read them (through pydub): 16-bit as they are, 8-bit
    (unsigned in the file) less 128, channels interleaved. The original took 16-bit audio only (wider
    samples failed its export), so other encodings are refused."""
    try:
        info = sf.info(str(path))
        if info.format != "WAV" or info.subtype not in ("PCM_16", "PCM_U8"):
            raise UserError(f"{path}: expected a 16-bit or 8-bit PCM WAV (as the original's TFDS export read), "
                            f"found {info.format} {info.subtype}")
        samples = sf.read(str(path), dtype="int16", always_2d=True)[0].reshape(-1)
        return samples >> 8 if info.subtype == "PCM_U8" else samples
    except sf.LibsndfileError as error:
        raise UserError(f"cannot decode {path}: {error}") from None


def shard_count(total_size: int, examples: int) -> int:
    """How many shards TFDS 4.4 wrote a split of `examples` serialized in `total_size` bytes to: 1024 (or
    a multiple) for large splits, else the largest power of two from 512 down to 2 whose shards hold
    64 MiB to 1 GiB each, else 1."""
    total_size += examples * RECORD_OVERHEAD
    most, fewest = total_size // MIN_SHARD_SIZE, total_size // MAX_SHARD_SIZE
    if fewest <= 1024 <= most and examples >= 1024:
        return 1024
    if fewest > 1024:
        shards = 2048
        while shards < fewest or examples < shards:
            shards += 1024
        return shards
    return next((n for n in SMALL_SHARD_COUNTS if fewest <= n <= most and examples >= n), 1)


def slug(text: str) -> str:
    """python-slugify's result for an ASCII id: lower case, each run of other characters one hyphen."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def order_in_split(split: str, key: str) -> int:
    digest = hashlib.md5(split.encode())
    digest.update(key.replace("\\", "/").encode())
    return int(digest.hexdigest(), 16)


def exported_names(dataset: str, split: str, keys: Sequence[str], shards: int) -> Dict[str, str]:
    """{example key: the file stem the original's export gave it}, for one TFDS split."""
    ordered = sorted(keys, key=lambda key: order_in_split(split, key))
    if len(set(ordered)) != len(ordered):
        raise UserError(f"{dataset}: two examples of split {split} have the same key")
    names: Dict[str, str] = {}
    start = 0
    for shard in range(shards):
        end = int(round(len(ordered) * (shard + 1) / shards))
        for index, key in enumerate(ordered[start:end]):
            tfds_id = f"{dataset}-{split}.tfrecord-{shard:05d}-of-{shards:05d}__{index}"
            names[key] = f"tfds_id_{slug(tfds_id)}"
        start = end
    return names


@dataclass(frozen=True)
class ExportedSplit:
    """A TFDS split as the original's export laid it out: {example key: file stem}, and how it was sharded
    (TFDS's dataset_info.json lists the same numBytes and shard count)."""

    names: Dict[str, str]
    serialized_bytes: int
    shards: int

    def facts(self) -> Dict[str, int]:
        return {"examples": len(self.names), "serialized_bytes": self.serialized_bytes, "shards": self.shards}


def export_split(dataset: str, split: str, examples: List[Tuple[str, Path, Dict[str, Feature]]]) -> ExportedSplit:
    """A split given as (key, 16-bit WAV, other features) rows, named as TFDS exported it; every file is
    read once to size its example."""
    rows = tqdm(examples, desc=f"TFDS names {dataset} {split}", unit="file", leave=False)
    total = sum(serialized_size(wav_samples(path), features) for _, path, features in rows)
    shards = shard_count(total, len(examples))
    return ExportedSplit(exported_names(dataset, split, [key for key, _, _ in examples], shards), total, shards)


def read_export(root: Path, split: str, task: str) -> pd.DataFrame:
    """The original's small-mode archive of a TFDS task: its export (`audio/` and `<split>_labels.csv`)."""
    table_path = root / f"{split}_labels.csv"
    try:
        table = pd.read_csv(table_path)
    except FileNotFoundError:
        raise UserError(f"{task}: {table_path} is missing") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise UserError(f"{task}: malformed {table_path}: {error}") from None
    if list(table.columns) != ["filename", "label"]:
        raise UserError(f"{task}: {table_path} should have the columns filename,label")
    return pd.DataFrame({"relpath": [str(root / EXPORTED_AUDIO / name) for name in table["filename"]],
                         "split": split, "label": table["label"]})
