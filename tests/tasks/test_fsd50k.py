"""FSD50K: the corpus's splits and labels from its split zip archives and tables, clips kept at their own
length, bad corpora (the embeddings of its variable-length clips: tests/embeddings/test_runner.py)."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
import soundfile as sf

from heareval.tasks.download import md5_of
from heareval.tasks.fsd50k import TOO_LONG
from heareval.tasks.small.fsd50k import build
from tests.conftest import task_dir_of
from tests.tasks.conftest import assert_one_error_line, run_tasks_runner


def stand_in_tables(corpus: Path):
    with zipfile.ZipFile(corpus / "FSD50K.ground_truth.zip") as archive:
        dev = list(csv.DictReader(io.StringIO(archive.read("FSD50K.ground_truth/dev.csv").decode())))
        evaluation = list(csv.DictReader(io.StringIO(archive.read("FSD50K.ground_truth/eval.csv").decode())))
    return dev, evaluation


def test_small_task_has_the_corpus_splits_and_labels(small_workspace):
    task_dir = task_dir_of(small_workspace / "tasks", "fsd50k")
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["sample_duration"] is None and metadata["splits"] == ["train", "valid", "test"]
    dev, evaluation = stand_in_tables(small_workspace / "_workdir" / "small-corpora" / "fsd50k")
    expected = {"train": {}, "valid": {}, "test": {}}
    for row in dev:
        if int(row["fname"]) not in TOO_LONG:
            expected["valid" if row["split"] == "val" else "train"][f"{row['fname']}.wav"] = row["labels"].split(",")
    for row in evaluation:
        expected["test"][f"{row['fname']}.wav"] = row["labels"].split(",")
    assert TOO_LONG <= {int(row["fname"]) for row in dev}, "the stand-in holds the clips the original leaves out"
    for split, labels in expected.items():
        assert json.loads((task_dir / f"{split}.json").read_text()) == labels
    durations = sorted(sf.info(path).duration for path in (task_dir / "16000" / "test").iterdir())
    assert durations[-1] - durations[0] > 1.0, "neither trimmed nor padded to one length"


def corpus_with(tmp_path: Path, change) -> Path:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    build(mirror)
    change(mirror)
    names = sorted(p.name for p in mirror.iterdir())
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(mirror / name)}  {name}\n" for name in names))
    return mirror


def rewrite_member(archive: Path, member: str, edit) -> None:
    with zipfile.ZipFile(archive) as source:
        contents = {name: source.read(name) for name in source.namelist()}
    contents[member] = edit(contents[member])
    with zipfile.ZipFile(archive, "w") as target:
        for name, data in contents.items():
            target.writestr(name, data)


@pytest.mark.parametrize("change, pattern", [
    (lambda mirror: rewrite_member(mirror / "FSD50K.metadata.zip", "FSD50K.metadata/eval_clips_info_FSD50K.json",
                                   lambda data: data.replace(b'"200003"', b'"299999"')),
     r"fsd50k: clip 200003 of .*eval.csv is not in .*eval_clips_info_FSD50K.json"),
    (lambda mirror: rewrite_member(mirror / "FSD50K.ground_truth.zip", "FSD50K.ground_truth/dev.csv",
                                   lambda data: data.replace(b"fname,labels", b"clip,labels")),
     r"fsd50k: .*dev.csv has no column 'fname'"),
    (lambda mirror: rewrite_member(mirror / "FSD50K.ground_truth.zip", "FSD50K.ground_truth/dev.csv",
                                   lambda data: b"\n".join(line for line in data.split(b"\n")
                                                           if not line.startswith(b"83298,"))),
     r"fsd50k: .*dev.csv lacks clip 83298, one of the twelve too-long dev clips"),
    (lambda mirror: (mirror / "FSD50K.dev_audio.z03").write_bytes(b"not a part"),
     r"corrupt archive .*FSD50K.dev_audio.zip"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, pattern):
    mirror = corpus_with(tmp_path, change)
    assert_one_error_line(run_tasks_runner("fsd50k", mirror, tmp_path), pattern, tmp_path)
