"""NSynth pitch: each note's label is its pitch, notes outside 21..108 are dropped, and the corpus's own
train/valid/test archives are the splits."""

import json
import subprocess
import sys

from heareval.tasks.download import md5_of
from heareval.tasks.small import write_zip
from heareval.tasks.small.nsynth_pitch import split_archive
from tests.conftest import task_dir_of


def test_labels_are_the_notes_pitches_within_the_hear_range(small_workspace, small_tasks):
    task_dir = task_dir_of(small_tasks, "nsynth_pitch")
    for split in ("train", "valid", "test"):
        examples = json.loads((small_workspace / "_workdir" / "extracted" / f"nsynth-{split}.jsonwav" /
                               f"nsynth-{split}" / "examples.json").read_text())
        in_range = {f"{note}.wav": [example["pitch"]] for note, example in examples.items()
                    if 21 <= example["pitch"] <= 108}
        assert len(in_range) < len(examples), "the stand-in holds notes outside the range"
        assert json.loads((task_dir / f"{split}.json").read_text()) == in_range, split


def test_valid_and_test_instruments_are_not_trained_on(small_tasks):
    task_dir = task_dir_of(small_tasks, "nsynth_pitch")
    instruments = {split: {name.split("-")[0] for name in json.loads((task_dir / f"{split}.json").read_text())}
                   for split in ("train", "valid", "test")}
    assert not instruments["train"] & (instruments["valid"] | instruments["test"])


def test_the_small_mode_reads_the_originals_downsampled_archives(tmp_path):
    """`--mode small`: the original's nsynth-<split>-small.zip, laid out as its module reads them
    (nsynth-<split>/examples.json and audio/), here holding the stand-in's notes."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for split in ("train", "valid", "test"):
        write_zip(mirror / f"nsynth-{split}-small.zip", split_archive(split))
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(p)}  {p.name}\n" for p in sorted(mirror.glob("*.zip"))))
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.runner", "nsynth_pitch", "--mode", "small",
                             "--mirror", str(mirror), "--sample-rate", "16000", "--work-dir", str(tmp_path / "w"),
                             "--tasks-dir", str(tmp_path / "t")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    task_dir = tmp_path / "t" / "nsynth_pitch-v2.2.3-small"
    for split in ("train", "valid", "test"):
        examples = json.loads(dict(split_archive(split))[f"nsynth-{split}/examples.json"])
        assert json.loads((task_dir / f"{split}.json").read_text()) == {
            f"{note}.wav": [example["pitch"]] for note, example in examples.items() if 21 <= example["pitch"] <= 108}
