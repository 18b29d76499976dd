"""nsynth_pitch_kfold: nsynth_pitch's notes dealt into 10 folds by instrument, as the original dealt them."""

import json
from pathlib import Path

from heareval.tasks.config import resolve_config
from heareval.tasks.small.nsynth_pitch import split_archive
from tests.conftest import task_dir_of
from tests.tasks.conftest import folds_by_the_original_rule, labels_by_fold


def test_small_task_deals_instruments_into_ten_folds(small_tasks):
    task_dir = task_dir_of(small_tasks, "nsynth_pitch_kfold")
    examples = {}
    for split in ("train", "valid", "test"):
        members = dict(split_archive(split))
        examples.update(json.loads(members[f"nsynth-{split}/examples.json"]))
    in_range = {note: example for note, example in examples.items() if 21 <= example["pitch"] <= 108}
    fold_of_instrument = folds_by_the_original_rule((note.split("-")[0] for note in in_range), 10)
    folds = [f"fold{i:02d}" for i in range(10)]
    seen = labels_by_fold(task_dir, folds, lambda name: fold_of_instrument[Path(name).stem.split("-")[0]])
    assert seen == {f"{note}.wav": [example["pitch"]] for note, example in in_range.items()}
    assert json.loads((task_dir / "task_metadata.json").read_text())["splits"] == folds


def test_each_fold_is_capped_as_nsynth_pitchs_test_split():
    for mode, cap in (("5h", 2000.0), ("50h", 20000.0)):
        config = resolve_config("nsynth_pitch_kfold", mode, False, "w")
        assert config["max_task_duration_by_fold"] == cap and "max_task_duration_by_split" not in config
