"""Speech Commands: the official validation and testing lists, the separate test archive, silence cut from
the background noise, and speakers kept apart."""

import json

from heareval.tasks.speech_commands import SILENCE, VALIDATION_NOISE
from tests.conftest import task_dir_of


def extracted(small_workspace, name):
    return small_workspace / "_workdir" / "extracted" / name


def test_speech_commands_splits_keep_speakers_apart(small_tasks):
    task_dir = task_dir_of(small_tasks, "speech_commands")
    speakers = {}
    for split in ("train", "valid", "test"):
        for name in json.loads((task_dir / f"{split}.json").read_text()):
            if "_nohash_" in name:
                speakers.setdefault(name.split("_nohash_")[0].rsplit("_", 1)[-1], set()).add(split)
    assert all(len(splits) == 1 for splits in speakers.values())


def test_the_official_lists_decide_valid_and_the_test_archive_is_test(small_workspace, small_tasks):
    task_dir = task_dir_of(small_tasks, "speech_commands")
    splits = {split: json.loads((task_dir / f"{split}.json").read_text()) for split in ("train", "valid", "test")}
    corpus = extracted(small_workspace, "speech_commands_v0.02")
    validation = {line.replace("/", "_") for line in (corpus / "validation_list.txt").read_text().split()}
    testing = {line.replace("/", "_") for line in (corpus / "testing_list.txt").read_text().split()}
    assert validation and validation <= set(splits["valid"]), "every listed validation clip is in valid"
    assert not testing & (set(splits["train"]) | set(splits["valid"])), "testing_list clips are left out"
    test_archive = extracted(small_workspace, "speech_commands_test_set_v0.02")
    assert set(splits["test"]) == {f"{p.parent.name}_{p.name}" for p in test_archive.glob("*/*.wav")}


def test_silence_is_cut_from_the_background_noise(small_workspace, small_tasks):
    task_dir = task_dir_of(small_tasks, "speech_commands")
    corpus = extracted(small_workspace, "speech_commands_v0.02")
    noises = sorted(p.stem for p in corpus.glob("_background_noise_/*.wav"))
    for split in ("train", "valid"):
        silent = [name for name, labels in json.loads((task_dir / f"{split}.json").read_text()).items()
                  if labels == [SILENCE]]
        sources = {name.removeprefix(f"{SILENCE}_").rsplit("-", 1)[0] for name in silent}
        assert silent and sources <= set(noises), split
        assert all(source.startswith(VALIDATION_NOISE) == (split == "valid") for source in sources), split
