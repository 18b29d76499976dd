"""GTZAN Music/Speech: the files TFDS's path rule takes, named as its export named them, labelled by their
folder, folded by the original's rule."""

import json
from pathlib import Path

from heareval.tasks.download import md5_of
from heareval.tasks.runner import preprocess
from heareval.tasks.small import write_tar_gz
from heareval.tasks.small.tfds_gtzan_music_speech import archive
from heareval.tasks.tfds_export import exported_names
from tests.conftest import task_dir_of
from tests.tasks.conftest import folds_by_the_original_rule, labels_by_fold

FOLDS = [f"fold{i:02d}" for i in range(10)]


def test_small_stand_in_is_named_labelled_and_folded_as_the_original(small_tasks):
    members = [Path(name) for name, _ in archive()]
    names = exported_names("gtzan_music_speech", "train", [path.name for path in members], shards=1)
    expected_fold = folds_by_the_original_rule(names.values(), 10)
    seen = labels_by_fold(task_dir_of(small_tasks, "tfds_gtzan_music_speech"), FOLDS,
                          lambda name: expected_fold[Path(name).stem])
    assert seen == {f"{names[path.name]}.wav": [path.parent.name.split("_")[0]] for path in members}


def test_files_outside_tfds_rule_are_left_out_as_tfds_did(tmp_path):
    members = dict(archive(per_class=15, seconds=0.5))  # full mode: enough files for every label in each fold
    wav = next(iter(members.values()))
    extra = {"music_speech/README": b"not audio\n", "music_speech/speech_wav/two words.wav": wav,
             "music_speech/music_wav/a.b.wav": wav}
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_tar_gz(mirror / "music_speech.tar.gz", iter({**members, **extra}.items()))
    (mirror / "MD5SUMS").write_text(f"{md5_of(mirror / 'music_speech.tar.gz')}  music_speech.tar.gz\n")
    preprocess(["tfds_gtzan_music_speech"], [16000], mirror=str(mirror), work_dir=str(tmp_path / "w"),
               tasks_dir=str(tmp_path / "t"), num_workers=2)
    names = exported_names("gtzan_music_speech", "train", [Path(name).name for name in members], shards=1)
    seen = {}
    for fold in FOLDS:
        seen.update(json.loads((task_dir_of(tmp_path / "t", "tfds_gtzan_music_speech") / f"{fold}.json").read_text()))
    assert seen == {f"{names[Path(name).name]}.wav": [Path(name).parent.name.split("_")[0]] for name in members}, \
        "only the files TFDS took, labelled by their folder"
