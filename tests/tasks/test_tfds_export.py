"""TFDS's export names: the serialized size of an example, the shard count, the order and the shards.

The expected values marked "TFDS 4.4.0" were printed by tensorflow-datasets 4.4.0 itself (its
ExampleSerializer, `_get_number_shards` and `_get_shard_boundaries`; benchmarks/install_tfds_peer.sh
installs it). The whole naming is compared with TFDS's own export in benchmarks/preprocess.py --large."""

import hashlib

import numpy as np
import pytest
import soundfile as sf

from heareval.errors import UserError
from heareval.tasks.tfds_export import exported_names, serialized_size, shard_count, slug, wav_samples

# TFDS 4.4.0's bytes for {"audio": [], "label": 0, "audio/filename": "x.wav"} (gtzan's features)
TFDS_EMPTY_EXAMPLE = bytes.fromhex(
    "0a3a0a1b0a0e617564696f2f66696c656e616d6512090a070a05782e7761760a0b0a05617564696f12021a00"
    "0a0e0a056c6162656c12051a030a0100")


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # a negative int64 as its two's complement: ten bytes
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def field(number: int, payload: bytes) -> bytes:
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def example_bytes(audio, features) -> bytes:
    """An independent writer of the tf.train.Example TFDS serializes (Example > Features > map entries)."""
    def entry(key: str, feature: bytes) -> bytes:
        return field(1, field(1, key.encode()) + field(2, feature))

    packed = b"".join(varint(int(v)) for v in audio)
    entries = [entry("audio", field(3, field(1, packed) if len(audio) else b""))]
    for key, value in features.items():
        if isinstance(value, str):
            entries.append(entry(key, field(1, field(1, value.encode()))))
        else:
            entries.append(entry(key, field(3, field(1, varint(value)))))
    return field(1, b"".join(entries))


def test_the_reference_writer_writes_tfds_bytes():
    written = example_bytes([], {"label": 0, "audio/filename": "x.wav"})
    assert len(written) == len(TFDS_EMPTY_EXAMPLE) == 60
    assert sorted(TFDS_EMPTY_EXAMPLE) == sorted(written), "the same bytes, map entries in another order"
    assert serialized_size(np.zeros(0, np.int16), {"label": 0, "audio/filename": "x.wav"}) == 60


@pytest.mark.parametrize("length", [1, 7, 130, 5000])
def test_the_size_is_what_the_writer_writes(length):
    rng = np.random.default_rng(length)
    audio = rng.integers(-32768, 32768, length).astype(np.int16)
    audio[: min(length, 9)] = [-32768, -1, 0, 1, 127, 128, 16383, 16384, 32767][: min(length, 9)]
    for features in ({"label": 9, "audio/filename": "blues.00001.wav"}, {"label": 3, "speaker_id": "1001"}):
        assert serialized_size(audio, features) == len(example_bytes(audio, features))


def test_the_size_is_tfds_4_4s():
    # TFDS 4.4.0: 3547 and 90 bytes
    assert serialized_size(np.arange(-300, 300, dtype=np.int16), {"label": 7, "audio/filename": "pop.00042.wav"}) \
        == 3547
    edges = np.array([-32768, -1, 0, 1, 127, 128, 16383, 16384, 32767], np.int16)
    assert serialized_size(edges, {"label": 5, "speaker_id": "1091"}) == 90


@pytest.mark.parametrize("total, examples, shards", [
    (3983582167, 1000, 32),  # GTZAN's 3.71 GiB (TFDS's catalog)
    (445267312, 128, 4),  # GTZAN Music/Speech's 424.64 MiB
    (10 ** 7, 2500, 1),
    (1536 << 30, 2 * 10 ** 6, 2048),
    ((1 << 30) + 5, 7000, 16),
    (300 << 20, 3, 2),  # not more shards than examples
])
def test_the_shard_count_is_tfds_4_4s(total, examples, shards):
    assert shard_count(total, examples) == shards  # TFDS 4.4.0's _get_number_shards


def test_names_follow_the_salted_md5_order_and_round_half_to_even_shards():
    keys = [f"clip{i}.wav" for i in range(10)]
    names = exported_names("gtzan", "train", keys, shards=4)
    ordered = sorted(keys, key=lambda key: int(hashlib.md5(f"train{key}".encode()).hexdigest(), 16))
    # TFDS 4.4.0's shard boundaries for 10 examples in 4 shards: 2, 5, 8, 10
    expected = [f"tfds_id_gtzan-train-tfrecord-{shard:05d}-of-00004-{index}"
                for shard, size in enumerate([2, 3, 3, 2]) for index in range(size)]
    assert [names[key] for key in ordered] == expected


def test_slug_is_python_slugifys_for_tfds_ids():
    assert slug("crema_d-validation.tfrecord-00001-of-00002__17") == "crema-d-validation-tfrecord-00001-of-00002-17"


def test_samples_are_what_pydub_gave_tfds(tmp_path):
    ramp = np.linspace(-1, 0.99, 200).astype(np.float32)
    sf.write(tmp_path / "u8.wav", ramp, 8000, subtype="PCM_U8")
    # pydub 0.25.1 (TFDS 4.4.0's reader) on this file: signed bytes, the unsigned sample less 128
    assert list(wav_samples(tmp_path / "u8.wav")[:5]) == [-128, -127, -126, -125, -123]
    sf.write(tmp_path / "s16.wav", np.stack([ramp, -ramp], 1), 8000, subtype="PCM_16")
    both = wav_samples(tmp_path / "s16.wav")
    assert len(both) == 400 and both[0] == -32768 and both[1] == 32767, "channels interleaved"
    sf.write(tmp_path / "f.wav", ramp, 8000, subtype="FLOAT")
    with pytest.raises(UserError, match="f.wav: expected a 16-bit or 8-bit PCM WAV"):
        wav_samples(tmp_path / "f.wav")
