"""Free Spoken Digit: the recordings named as TensorFlow Datasets exported them (proved on the original's
own export), the original's small mode from its real archive, folds by the original's rule, bad input."""

import csv
import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from heareval.tasks.download import md5_of
from heareval.tasks.runner import preprocess
from heareval.tasks.small.spoken_digit import archive
from heareval.tasks.tfds_export import exported_names
from tests.conftest import task_dir_of
from tests.tasks.conftest import assert_one_error_line, folds_by_the_original_rule, labels_by_fold, run_tasks_runner
from tests.tasks.test_real_small_archives import REAL

REAL_ARCHIVE = REAL / "spoken_digit-small.zip"
# release 1.0.9 of the corpus: five speakers, each digit 50 times (TFDS's description: 2,500 recordings)
RELEASE_STEMS = [f"{digit}_{speaker}_{n}" for digit in range(10)
                 for speaker in ("george", "jackson", "nicolas", "theo", "yweweler") for n in range(50)]
needs_real = pytest.mark.skipif(not REAL_ARCHIVE.is_file(),
                                reason="the real archives are not beside the project (../shared/real/)")


def exported_labels() -> dict:
    """{file stem: digit} of the original's small archive: TFDS's export table of all 2500 recordings."""
    with zipfile.ZipFile(REAL_ARCHIVE) as zf:
        rows = csv.DictReader(io.TextIOWrapper(zf.open("train_labels.csv"), encoding="utf-8"))
        return {Path(row["filename"]).stem: int(row["label"]) for row in rows}


@needs_real
def test_the_recordings_get_the_names_tensorflow_datasets_gave_them():
    exported = exported_labels()
    names = exported_names("spoken_digit", "train", RELEASE_STEMS, shards=1)  # 2500 clips of 8 kHz: one
    assert sorted(names.values()) == sorted(exported), "the same 2500 names"
    assert all(exported[name] == int(stem.split("_")[0]) for stem, name in names.items()), \
        "each name holds the digit its recording says"


@needs_real
def test_the_small_mode_builds_the_originals_folds_from_its_archive(tmp_path):
    preprocess(["spoken_digit"], [16000], mode="small", mirror=str(REAL), work_dir=str(tmp_path / "w"),
               tasks_dir=str(tmp_path / "t"), num_workers=2)
    task_dir = task_dir_of(tmp_path / "t", "spoken_digit")
    with zipfile.ZipFile(REAL_ARCHIVE) as zf:
        present = sorted(Path(name).stem for name in zf.namelist() if name.endswith(".wav"))
    assert len(present) == 100, "the archive holds 100 of the 2500 recordings its table names"
    expected_fold = folds_by_the_original_rule(present, 5)
    seen = labels_by_fold(task_dir, [f"fold{i:02d}" for i in range(5)],
                          lambda name: expected_fold[Path(name).stem])
    labels = exported_labels()
    assert {Path(name).stem: value for name, value in seen.items()} == {stem: [labels[stem]] for stem in present}


def test_small_stand_in_is_named_labelled_and_folded_as_the_original(small_tasks):
    task_dir = task_dir_of(small_tasks, "spoken_digit")
    stems = [Path(name).stem for name, _ in archive()]
    names = exported_names("spoken_digit", "train", stems, shards=1)
    expected_fold = folds_by_the_original_rule(names.values(), 5)
    seen = labels_by_fold(task_dir, [f"fold{i:02d}" for i in range(5)],
                          lambda name: expected_fold[Path(name).stem])
    assert seen == {f"{names[stem]}.wav": [int(stem[0])] for stem in stems}
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["download_urls"][0]["url"].endswith("v1.0.9.tar.gz")


def test_a_recording_whose_name_is_no_digit_is_one_clear_line(tmp_path):
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    with tarfile.open(mirror / "v1.0.9.tar.gz", "w:gz") as tar:
        for name, data in archive():
            info = tarfile.TarInfo(name.replace("/7_theo_1.wav", "/seven_theo_1.wav"))
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    (mirror / "MD5SUMS").write_text(f"{md5_of(mirror / 'v1.0.9.tar.gz')}  v1.0.9.tar.gz\n")
    assert_one_error_line(run_tasks_runner("spoken_digit", mirror, tmp_path),
                          r"spoken_digit: .*seven_theo_1\.wav: the name should start with the digit", tmp_path)
