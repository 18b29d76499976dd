"""One task's embeddings, piece by piece: the rate read, batches of equal length, audio straight into the
batch or resampled, reading ahead, writing behind, and the checks of every batch a module returns."""

import types

import numpy as np
import pytest
import soundfile
import soxr

from heareval.embeddings.hear_api import HearModel
from heareval.embeddings.task_embeddings import (
    BackgroundWriter,
    SplitAudio,
    check_finite,
    check_shapes,
    default_batch_size,
    equal_length_batches,
    frame_labels,
    prefetched_batches,
    source_rate,
)
from heareval.errors import UserError


def task_with_rates(tmp_path, *rates):
    task = tmp_path / "task-v1-full"
    for rate in rates:
        (task / str(rate) / "train").mkdir(parents=True)
    (task / "notes").mkdir(parents=True)
    return task


def test_the_models_rate_is_read_else_the_closest_higher_one_never_a_lower_one(tmp_path):
    task = task_with_rates(tmp_path, 16000, 44100, 48000)
    assert source_rate(task, 16000, strict=False) == 16000
    assert source_rate(task, 22050, strict=False) == 44100, "the closest higher rate, resampled down"
    with pytest.raises(UserError, match="task task-v1-full has no 22050 Hz audio \\(--strict-sample-rate is set\\); "
                                        "it has 16000, 44100, 48000"):
        source_rate(task, 22050, strict=True)
    with pytest.raises(UserError, match="no 96000 Hz audio \\(no higher rate to resample from\\)"):
        source_rate(task, 96000, strict=False)


def test_batches_hold_files_of_one_length_in_chunks_of_the_batch_size():
    lengths = [5, 3, 5, 5, 3, 7, 5]
    batches = equal_length_batches(lengths, batch_size=2)
    assert batches == [[1, 4], [0, 2], [3, 6], [5]], "by length, then in file order"
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))


def test_the_default_batch_holds_about_64_seconds_of_audio():
    assert default_batch_size(1.0) == 64 and default_batch_size(4.0) == 16 and default_batch_size(120) == 1
    assert default_batch_size(None) == 6, "variable length: as for 10 s clips"
    assert default_batch_size(0.5) == 64, "short clips: no more than 64 at once"


def test_a_frame_carries_every_event_that_covers_it_once():
    events = [{"label": "a", "start": 0.0, "end": 100.0}, {"label": "b", "start": 50.0, "end": 150.0},
              {"label": "a", "start": 90.0, "end": 120.0}]
    assert frame_labels(events, np.array([0.0, 50.0, 100.0, 150.0, 200.0])) == [["a"], ["a", "b"], ["a", "b"],
                                                                              ["b"], []]


def wav_files(folder, rate, seconds):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, duration in enumerate(seconds):
        samples = (rng.random(int(rate * duration)) - 0.5).astype(np.float32)
        soundfile.write(folder / f"f{i}.wav", samples, rate, subtype="FLOAT")
        paths.append(folder / f"f{i}.wav")
    return paths


def test_audio_at_the_models_rate_is_decoded_as_it_is_and_other_rates_through_soxr(tmp_path):
    paths = wav_files(tmp_path, 16000, [0.5, 0.5, 0.25])
    lengths = [8000, 8000, 4000]
    batches = equal_length_batches(lengths, 2)
    direct = SplitAudio(paths, lengths, batches, 16000, 16000)
    indices, batch = direct[1]
    assert indices == [0, 1] and tuple(batch.shape) == (2, 8000)
    assert np.array_equal(batch[1].numpy(), soundfile.read(paths[1], dtype="float32")[0])
    halved = SplitAudio(paths, [n // 2 for n in lengths], equal_length_batches([n // 2 for n in lengths], 2),
                        16000, 8000)
    _, batch = halved[0]
    expected = soxr.resample(soundfile.read(paths[2], dtype="float32")[0], 16000, 8000, quality="HQ")
    np.testing.assert_allclose(batch[0].numpy(), expected, atol=1e-6)
    assert [k for k, _ in prefetched_batches(direct)] == [[2], [0, 1]], "read ahead, handed out in order"


def test_audio_of_another_rate_than_the_folders_is_refused_by_name(tmp_path):
    paths = wav_files(tmp_path, 22050, [0.1])
    with pytest.raises(UserError, match="f0.wav is 22050 Hz, expected 16000 Hz"):
        SplitAudio(paths, [1600], [[0]], 16000, 16000)[0]


def test_the_writer_appends_every_block_in_order(tmp_path):
    writer = BackgroundWriter(tmp_path / "m.npy", ahead=1)
    blocks = [np.full((3, 4), i, dtype=np.float64) for i in range(5)]
    for block in blocks:
        writer.write(block)
    writer.close()
    written = np.fromfile(tmp_path / "m.npy", dtype=np.float32).reshape(-1, 4)
    assert np.array_equal(written, np.concatenate(blocks).astype(np.float32))


def model(scene=4, timestamp=3):
    return HearModel("tiny", types.ModuleType("tiny"),
                     types.SimpleNamespace(sample_rate=16000, scene_embedding_size=scene,
                                           timestamp_embedding_size=timestamp))


def test_each_batch_is_checked_against_the_sizes_the_module_declares(tmp_path):
    names = ["a.wav", "b.wav"]
    check_shapes(np.zeros((2, 4)), None, model(), tmp_path, names)
    check_shapes(np.zeros((2, 5, 3)), np.tile(np.arange(5.0), (2, 1)), model(), tmp_path, names)
    with pytest.raises(UserError, match="tiny returned embeddings of shape \\(1, 4\\) for 2 sounds of .*"
                                        "\\(a.wav, ...\\), expected \\(2, 4\\)"):
        check_shapes(np.zeros((1, 4)), None, model(), tmp_path, names)
    with pytest.raises(UserError, match="with timestamps \\(2, 4\\)"):
        check_shapes(np.zeros((2, 5, 3)), np.zeros((2, 4)), model(), tmp_path, names)
    with pytest.raises(UserError, match="timestamps that are not finite and increasing"):
        check_shapes(np.zeros((2, 2, 3)), np.array([[0.0, 50.0], [50.0, 50.0]]), model(), tmp_path, names)


def test_nan_inf_or_an_overflowing_block_is_told_apart(tmp_path):
    huge = np.full((2, 4), 3e38, dtype=np.float32)  # its float32 sum overflows; every value is finite
    check_finite(huge, model(), tmp_path, ["a.wav", "b.wav"])
    for bad in (np.nan, np.inf):
        block = np.zeros((2, 4), dtype=np.float32)
        block[1, 2] = bad
        with pytest.raises(UserError, match="tiny produced NaN or Inf embeddings on .*\\['a.wav', 'b.wav'\\]"):
            check_finite(block, model(), tmp_path, ["a.wav", "b.wav"])
