"""CREMA-D: TFDS's actor split and table reading, the recordings fetched one by one (checked, resumed),
named as TFDS exported them and folded by the original's rule; the original's small mode; bad input."""

import io
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from heareval.tasks.download import md5_of
from heareval.tasks.runner import preprocess
from heareval.tasks.small import write_zip
from heareval.tasks.small.tfds_crema_d import files
from heareval.tasks.tfds_crema_d import actor_splits, recording_names
from heareval.tasks.tfds_export import exported_names
from tests.conftest import task_dir_of
from tests.tasks.conftest import (
    assert_one_error_line,
    folds_by_the_original_rule,
    labels_by_fold,
    run_tasks_runner,
)

FOLDS = [f"fold{i:02d}" for i in range(5)]
# TFDS 4.4.0's _get_inter_splits_by_group on the corpus's 91 actors (1001-1091): its validation and test
TFDS_VALIDATION = [1015, 1020, 1021, 1030, 1050, 1070, 1079, 1089, 1090]
TFDS_TEST = [1010, 1013, 1022, 1026, 1037, 1038, 1040, 1045, 1047, 1048, 1059, 1065, 1066, 1068, 1071, 1073, 1084,
             1086, 1088]


def test_the_actors_are_split_as_tfds_split_them():
    split_of = actor_splits([str(actor) for actor in range(1001, 1092)])
    assert sorted(int(a) for a, s in split_of.items() if s == "validation") == TFDS_VALIDATION
    assert sorted(int(a) for a, s in split_of.items() if s == "test") == TFDS_TEST
    assert sum(s == "train" for s in split_of.values()) == 63
    # TFDS 4.4.0 on the stand-in's twelve actors: validation 1010, test 1001, 1004, 1006
    small = actor_splits([str(actor) for actor in range(1001, 1013)])
    assert [a for a, s in sorted(small.items()) if s != "train"] == ["1001", "1004", "1006", "1010"]
    assert small["1010"] == "validation"


def test_the_table_is_read_as_tfds_read_it(tmp_path):
    table = tmp_path / "summaryTable.csv"
    table.write_text('"","FileName","VoiceVote"\n"1","1001_DFA_ANG_XX","A"\n"2","1006_TIE_NEU_XX","N"\n'
                     '"3","1001_DFA_ANG_XX","A"\n"4","","A"\n"5",1002_IEO_HAP_LO,"H"\n')
    assert recording_names(table) == ["1001_DFA_ANG_XX", "1002_IEO_HAP_LO"]


def mirror_of(tmp_path: Path, members, md5_for=("crema_d.txt", "summaryTable.csv")) -> Path:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    for name, data in members:
        (mirror / name).write_bytes(data)
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(mirror / name)}  {name}\n" for name in md5_for))
    return mirror


def test_small_stand_in_is_split_named_labelled_and_folded_as_the_original(small_tasks):
    names = [name[:-4] for name, _ in files() if name.endswith(".wav")]
    split_of = actor_splits([name.split("_")[0] for name in names])
    exported = {}
    for split in ("train", "validation", "test"):
        exported.update(exported_names("crema_d", split, [n for n in names if split_of[n[:4]] == split], 1))
    expected_fold = folds_by_the_original_rule(exported.values(), 5)
    seen = labels_by_fold(task_dir_of(small_tasks, "tfds_crema_d"), FOLDS, lambda n: expected_fold[Path(n).stem])
    assert seen == {f"{exported[name]}.wav": [name.split("_")[2]] for name in names}
    assert any("-validation-" in name for name in seen) and any("-test-" in name for name in seen)


def test_the_original_small_mode_reads_its_exports(tmp_path):
    rng = np.random.default_rng(0)
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    expected = {}
    for split, tfds_split in (("train", "train"), ("test", "test"), ("valid", "validation")):
        names = [f"tfds_id_crema-d-{tfds_split}-tfrecord-00000-of-00001-{i}.wav" for i in range(6)]
        labels = [["NEU", "HAP", "SAD"][i % 3] for i in range(6)]
        expected.update({name: [label] for name, label in zip(names, labels)})
        members = [(f"{split}_labels.csv", ("filename,label\n" + "".join(
            f"{n},{label}\n" for n, label in zip(names, labels))).encode())]
        for name in names:
            buffer = io.BytesIO()
            sf.write(buffer, rng.uniform(-0.3, 0.3, 16000).astype(np.float32), 16000, format="WAV", subtype="PCM_16")
            members.append((f"audio/{name}", buffer.getvalue()))
        write_zip(mirror / f"crema_d-{split}-small.zip", iter(members))
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(path)}  {path.name}\n" for path in sorted(mirror.glob("*.zip"))))
    preprocess(["tfds_crema_d"], [16000], mode="small", mirror=str(mirror), work_dir=str(tmp_path / "w"),
               tasks_dir=str(tmp_path / "t"), num_workers=2)
    expected_fold = folds_by_the_original_rule([Path(n).stem for n in expected], 5)
    seen = labels_by_fold(task_dir_of(tmp_path / "t", "tfds_crema_d"), FOLDS, lambda n: expected_fold[Path(n).stem])
    assert seen == expected


def test_a_rerun_fetches_only_the_recordings_still_missing(tmp_path):
    members = dict(files())
    absent = next(name for name in members if name.endswith(".wav"))
    mirror = mirror_of(tmp_path, ((n, d) for n, d in members.items() if n != absent))
    result = run_tasks_runner("tfds_crema_d", mirror, tmp_path)
    assert result.returncode != 0 and absent in result.stderr
    fetched = tmp_path / "w" / "extracted" / "crema_d.part" / "AudioWAV"
    kept = {path.name: path.stat().st_mtime_ns for path in fetched.iterdir()}
    assert len(kept) == len([n for n in members if n.endswith(".wav")]) - 1, "the others were kept"
    (mirror / absent).write_bytes(members[absent])
    run_tasks_runner("tfds_crema_d", mirror, tmp_path)  # full mode: not every emotion in every fold; fine here
    done = tmp_path / "w" / "extracted" / "crema_d" / "AudioWAV"
    assert {path.name: path.stat().st_mtime_ns for path in done.iterdir() if path.name != absent} == kept
    assert (done / absent).is_file()


@pytest.mark.parametrize("change, pattern", [
    (lambda name, data: (name, data[:-2] + b"\x01\x02") if name.startswith("1002_IEO_NEU") else (name, data),
     r"sha256 mismatch for .*1002_IEO_NEU_\w+\.wav"),
    (lambda name, data: (name, b"\n".join(line for line in data.split(b"\n") if b"1003_IEO_NEU" not in line))
     if name == "crema_d.txt" else (name, data), r"tfds_crema_d: .*1003_IEO_NEU_\w+\.wav is not in the checksum list"),
    (lambda name, data: (name, data.replace(b"1004_IEO_NEU", b"1004_IEO_BOR")) if name == "summaryTable.csv"
     else (name, data), r"tfds_crema_d: 1004_IEO_BOR_\w+: the third part of the name should be one of"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, pattern):
    members = [change(name, data) for name, data in files()]
    if "BOR" in pattern:  # the renamed recording exists under its new name, listed in the checksum list
        members = [(name.replace("1004_IEO_NEU", "1004_IEO_BOR"), data.replace(b"1004_IEO_NEU", b"1004_IEO_BOR"))
                   for name, data in members]
    mirror = mirror_of(tmp_path, members)
    assert_one_error_line(run_tasks_runner("tfds_crema_d", mirror, tmp_path), pattern, tmp_path)


def test_the_export_facts_are_written(small_workspace):
    facts = json.loads(next((small_workspace / "_workdir").glob("tfds_crema_d*/01-ExtractMetadata/tfds-export.json"))
                       .read_text())
    assert list(facts) == ["train", "validation", "test"] and all(f["shards"] == 1 for f in facts.values())
