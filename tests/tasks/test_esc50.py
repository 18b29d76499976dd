"""ESC-50: its folds from the corpus's table, bad corpora."""

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import soundfile as sf

from heareval.tasks.download import md5_of
from heareval.tasks.small import write_zip
from heareval.tasks.small.esc50 import archive
from tests.conftest import SMALL_RATES, task_dir_of


def test_small_task_has_the_corpus_folds(small_tasks):
    task_dir = task_dir_of(small_tasks, "esc50")
    assert task_dir.name == "esc50-v2.0.0-small"
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["split_mode"] == "presplit_kfold" and metadata["nfolds"] == 5
    assert metadata["splits"] == [f"fold{i:02d}" for i in range(5)]
    assert metadata["sample_duration"] == 2, "the small mode's clip length"
    rows = list(csv.DictReader(io.StringIO(dict(archive())["ESC-50-master/meta/esc50.csv"].decode())))
    for fold in range(5):
        labels = json.loads((task_dir / f"fold{fold:02d}.json").read_text())
        expected = {row["filename"]: [row["category"]] for row in rows if int(row["fold"]) == fold + 1}
        assert labels == expected
        for rate in SMALL_RATES:
            some = sorted((task_dir / str(rate) / f"fold{fold:02d}").iterdir())
            assert [p.name for p in some] == sorted(expected)
            assert sf.info(some[0]).samplerate == rate and sf.info(some[0]).duration == pytest.approx(2.0)
    vocabulary = (task_dir / "labelvocabulary.csv").read_text().splitlines()[1:]
    assert sorted(line.split(",", 1)[1] for line in vocabulary) == sorted({row["category"] for row in rows})


def corpus_without(tmp_path: Path, change) -> Path:
    """A mirror holding the small master.zip with one member changed or dropped by `change`."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    members = [(name, data) for name, data in (change(name, data) for name, data in archive()) if name]
    write_zip(mirror / "master.zip", iter(members))
    (mirror / "MD5SUMS").write_text(f"{md5_of(mirror / 'master.zip')}  master.zip\n")
    return mirror


@pytest.mark.parametrize("change, message", [
    (lambda name, data: (None, data) if name.endswith("esc50.csv") else (name, data),
     r"esc50: missing .*ESC-50-master/meta/esc50.csv"),
    (lambda name, data: (name, data.replace(b",5,", b",6,", 1)) if name.endswith("esc50.csv") else (name, data),
     r"esc50: .*esc50.csv: 5-\d+-A-\d+.wav has fold 6, not 1..5"),
])
def test_a_bad_corpus_is_one_clear_line(tmp_path, change, message):
    mirror = corpus_without(tmp_path, change)
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.runner", "esc50", "--mirror", str(mirror),
                             "--sample-rate", "16000", "--work-dir", str(tmp_path / "w"), "--tasks-dir",
                             str(tmp_path / "t")], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and re.search(message, error_lines[0]), result.stderr[-2000:]
    assert not (tmp_path / "t" / "esc50-v2.0.0-full").exists(), "nothing half-written"


def test_the_stand_in_is_the_upstream_layout():
    names = [name for name, _ in archive()]
    assert names[0] == "ESC-50-master/meta/esc50.csv"
    assert all(name.startswith("ESC-50-master/") for name in names)
    header = dict(archive())["ESC-50-master/meta/esc50.csv"].decode().splitlines()[0]
    assert header == "filename,fold,target,category,esc10,src_file,take"
