"""Gunshot Triangulation: the original's shot finder, shots cut from the four recordings, one firearm per
fold, bad recordings."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from heareval.tasks.download import md5_of
from heareval.tasks.gunshot_triangulation import FIREARM_OF_SHOT, LEAD_SAMPLES, RATE, RECORDINGS, SHOTS, shot_onsets
from heareval.tasks.small import wav_bytes
from heareval.tasks.small.gunshot_triangulation import SOURCE_RATE, build, recording
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
    vocabulary_of,
)


def original_find_shots(audio, min_samples_between_shots, num_shots):
    """hearpreprocess 2021.1.1's GenerateTrainDataset.find_shots, rewritten here from its rule: a sample at
    or above 0.8 in magnitude starts a shot when not in one (and fewer than num_shots were found); a shot
    ends once a sample lies more than min_samples_between_shots after its start."""
    in_shot = False
    starts = []
    for i, sample in enumerate(audio):
        if not in_shot and abs(sample) >= 0.8 and len(starts) < num_shots:
            starts.append(i)
            in_shot = True
        if in_shot and i - starts[-1] > min_samples_between_shots:
            in_shot = False
    return starts


@pytest.mark.parametrize("seed", range(6))
def test_shot_onsets_are_the_originals(seed):
    rng = np.random.default_rng(seed)
    audio = rng.uniform(-0.5, 0.5, 20000)
    loud = rng.choice(len(audio), size=int(rng.integers(5, 400)), replace=False)
    audio[loud] = rng.choice([-1, 1], size=len(loud)) * rng.uniform(0.8, 1.0, len(loud))
    audio[rng.integers(0, len(audio))] = 0.8  # exactly at the level
    for gap, count in [(25, 22), (300, 22), (1000, 5), (0, 50), (1, 10)]:
        assert shot_onsets(audio, gap, count) == original_find_shots(audio, gap, count)


def test_small_task_cuts_every_microphones_shots(small_tasks):
    task_dir = task_dir_of(small_tasks, "gunshot_triangulation")
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["splits"] == [f"fold{i:02d}" for i in range(7)]
    fold_of_firearm = folds_by_the_original_rule([f"fid{f}" for f in range(1, 8)], 7)
    seen = labels_by_fold(task_dir, metadata["splits"], lambda name: fold_of_firearm[Path(name).stem.split("_")[-1]])
    expected = {f"mic{mic}_shot{shot}_fid{FIREARM_OF_SHOT[shot]}.wav": [f"mic{mic}"]
                for mic in range(1, 5) for shot in range(SHOTS)}
    assert seen == expected
    assert vocabulary_of(task_dir) == ["mic1", "mic2", "mic3", "mic4"]


def test_a_shot_clip_starts_an_eighth_of_a_second_before_its_onset(small_tasks):
    cut = task_dir_of(small_tasks, "gunshot_triangulation").parent.parent / "_workdir"
    clips = sorted(cut.glob("gunshot_triangulation-*/00-CutShots/mic1_shot*_fid*.wav"))
    assert len(clips) == SHOTS
    for clip in clips:
        samples, rate = sf.read(clip)
        assert rate == RATE and len(samples) == RATE * 3 // 2
        assert int(np.flatnonzero(np.abs(samples) >= 0.8)[0]) == LEAD_SAMPLES


def test_a_bad_recording_is_one_clear_line(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    build(mirror)
    quiet = recording(0) * 0.5  # no sample reaches the onset level
    (mirror / "mic1raw.wav").write_bytes(wav_bytes(quiet, SOURCE_RATE))
    short = recording(3)[: SOURCE_RATE * 60]
    (mirror / "mic4raw.wav").write_bytes(wav_bytes(short, SOURCE_RATE))
    names = [f"{name}.wav" for name in RECORDINGS]
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(mirror / name)}  {name}\n" for name in names))
    assert_one_error_line(run_tasks_runner("gunshot_triangulation", mirror, tmp_path),
                          r"gunshot_triangulation: .*mic4raw.wav is too short \(60.0 s at 48 kHz\) to reach its "
                          r"alignment offset of 141.6 s", tmp_path)
    (mirror / "mic4raw.wav").write_bytes(wav_bytes(recording(3), SOURCE_RATE))
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(mirror / name)}  {name}\n" for name in names))
    shutil.rmtree(tmp_path / "w")
    assert_one_error_line(run_tasks_runner("gunshot_triangulation", mirror, tmp_path),
                          r"gunshot_triangulation: found 0 of 22 shots in .*mic1raw.wav", tmp_path)
