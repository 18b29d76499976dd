"""DCASE 2016 task 2: the annotated events of the dev and test scenes, in ms, pooled and split by file."""

import json
import random
from pathlib import Path

import pandas as pd

from tests.conftest import task_dir_of

SCENES = {"dcase2016_task2_train_dev": "dcase2016_task2_train_dev/dcase2016_task2_dev",
          "dcase2016_task2_test_public": "dcase2016_task2_test_public"}


def test_every_scene_keeps_its_annotated_events_in_ms(small_workspace, small_tasks):
    task_dir = task_dir_of(small_tasks, "dcase2016_task2")
    split_of = {}
    events = {}
    for split in ("train", "valid", "test"):
        for name, file_events in json.loads((task_dir / f"{split}.json").read_text()).items():
            split_of[name] = split
            events[name] = file_events
    annotations = sorted(annotation for archive, folder in SCENES.items() for annotation in
                         (small_workspace / "_workdir" / "extracted" / archive / folder).glob("annotation/*.txt"))
    assert sorted(events) == sorted(f"{annotation.stem}.wav" for annotation in annotations), "every scene, once"
    for annotation in annotations:
        rows = pd.read_csv(annotation, sep="\t", header=None, names=["start", "end", "label"])
        expected = sorted((row.label, row.start * 1000.0, row.end * 1000.0) for row in rows.itertuples())
        got = sorted((e["label"], e["start"], e["end"]) for e in events[f"{annotation.stem}.wav"])
        assert [label for label, _, _ in got] == [label for label, _, _ in expected], annotation.name
        for (_, start, end), (_, expected_start, expected_end) in zip(got, expected):
            assert abs(start - expected_start) < 1e-6 and abs(end - expected_end) < 1e-6
    keys = sorted(Path(name).stem for name in split_of)  # the original's carve, mode small: 80/10/10
    random.Random("split_train_test_val").shuffle(keys)
    n = int(round(len(keys) * 10 / 100))
    assert {Path(name).stem: split for name, split in split_of.items()} == {
        key: "valid" if i < n else "test" if i < 2 * n else "train" for i, key in enumerate(keys)}
