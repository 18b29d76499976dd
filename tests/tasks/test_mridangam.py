"""Mridangam Stroke and Tonic: configs against hearpreprocess 2021.1.1's, labels from file names, folds
dealt by the original's rule, bad corpora."""

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from heareval.tasks import mridangam_stroke, mridangam_tonic
from heareval.tasks.download import md5_of
from heareval.tasks.small import write_zip
from heareval.tasks.small.mridangam_stroke import archive
from tests.conftest import task_dir_of

PREPROCESS_CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "peer" / "hearpreprocess_tasks.json"


@pytest.mark.skipif(not PREPROCESS_CONFIGS.is_file(), reason="hearpreprocess's configs are beside the project "
                    "checkout only (../shared/peer), not in a clean clone")
@pytest.mark.parametrize("module", [mridangam_stroke, mridangam_tonic])
def test_config_is_the_originals(module):
    original = json.loads(PREPROCESS_CONFIGS.read_text())[module.CONFIG["task_name"]]
    ours = {key: value for key, value in module.CONFIG.items() if key != "category"}
    assert ours == original and list(ours) == list(original)


def folds_by_the_original_rule(stems, nfolds=5):
    """hearpreprocess 2021.1.1's new_split_kfold in mode small (no every-label retry): the sorted unique
    split keys (here the file stems) shuffled by random.Random("split_k_folds"), cut by numpy.array_split."""
    keys = sorted(set(stems))
    random.Random("split_k_folds").shuffle(keys)
    return {key: f"fold{j:02d}" for j, part in enumerate(np.array_split(np.array(keys, dtype=object), nfolds))
            for key in part}


@pytest.mark.parametrize("task_name, part", [("mridangam_stroke", 0), ("mridangam_tonic", 1)])
def test_small_task_labels_and_folds(small_tasks, task_name, part):
    task_dir = task_dir_of(small_tasks, task_name)
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert metadata["split_mode"] == "new_split_kfold" and metadata["splits"] == [f"fold{i:02d}" for i in range(5)]
    names = [Path(name).name for name, _ in archive()]
    expected_fold = folds_by_the_original_rule([Path(n).stem for n in names])
    seen = {}
    for fold in metadata["splits"]:
        for name, labels in json.loads((task_dir / f"{fold}.json").read_text()).items():
            seen[name] = labels
            assert expected_fold[Path(name).stem] == fold
            assert labels == [name.split("__")[-1].split("-")[part]]
    assert sorted(seen) == sorted(names), "every file in exactly one fold"
    vocabulary = [line.split(",", 1)[1] for line in (task_dir / "labelvocabulary.csv").read_text().splitlines()[1:]]
    assert vocabulary == sorted({labels[0] for labels in seen.values()})


def bad_mirror(tmp_path: Path, rename) -> Path:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_zip(mirror / "mridangam_stroke_1.5.zip", ((rename(name), data) for name, data in archive()))
    (mirror / "MD5SUMS").write_text(f"{md5_of(mirror / 'mridangam_stroke_1.5.zip')}  mridangam_stroke_1.5.zip\n")
    return mirror


@pytest.mark.parametrize("rename, message", [
    (lambda name: name.replace("bheem-b-001", "bheemx-b-001"),
     r"mridangam_stroke: .*__bheemx-b-001.wav: 'bheemx' is not one of bheem, cha, "),
    (lambda name: name.replace("__akshaylaya__cha-c-002", "cha_c"),
     r"mridangam_stroke: .*cha_c.wav: expected a name <id>__<author>__<stroke>-<tonic>-<n>.wav"),
])
def test_a_bad_file_name_is_one_clear_line(tmp_path, rename, message):
    mirror = bad_mirror(tmp_path, rename)
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.runner", "mridangam_stroke", "--mirror",
                             str(mirror), "--sample-rate", "16000", "--work-dir", str(tmp_path / "w"), "--tasks-dir",
                             str(tmp_path / "t")], capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and re.search(message, errors[0]), result.stderr[-2000:]
    assert not (tmp_path / "t" / "mridangam_stroke-v1.5-full").exists(), "nothing half-written"
