"""NSynth pitch: each note's label is its pitch, notes outside 21..108 are dropped, and the corpus's own
train/valid/test archives are the splits."""

import json

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
