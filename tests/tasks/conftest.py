"""Helpers of the task modules' tests: the original's fold rule, bad-corpus mirrors, the runner's error line."""

import json
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, Iterator, Tuple

import numpy as np

from heareval.tasks.download import md5_of
from heareval.tasks.small import write_zip


def folds_by_the_original_rule(keys: Iterable[str], nfolds: int) -> Dict[str, str]:
    """hearpreprocess 2021.1.1's new_split_kfold in mode small (no every-label retry): the sorted unique
    split keys shuffled by random.Random("split_k_folds"), cut by numpy.array_split."""
    ordered = sorted(set(keys))
    random.Random("split_k_folds").shuffle(ordered)
    return {key: f"fold{j:02d}" for j, part in enumerate(np.array_split(np.array(ordered, dtype=object), nfolds))
            for key in part}


def zip_mirror(tmp_path: Path, file_name: str, members: Iterator[Tuple[str, bytes]]) -> Path:
    """A mirror folder holding one zip archive of members, with its MD5SUMS."""
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    write_zip(mirror / file_name, members)
    (mirror / "MD5SUMS").write_text(f"{md5_of(mirror / file_name)}  {file_name}\n")
    return mirror


def run_tasks_runner(task_name: str, mirror: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "heareval.tasks.runner", task_name, "--mirror", str(mirror),
                           "--sample-rate", "16000", "--work-dir", str(tmp_path / "w"), "--tasks-dir",
                           str(tmp_path / "t")], capture_output=True, text=True, timeout=600)


def assert_one_error_line(result: subprocess.CompletedProcess, pattern: str, tmp_path: Path) -> None:
    """The run failed with exactly one `error:` line matching pattern, no traceback, and no task folder."""
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and re.search(pattern, errors[0]), result.stderr[-2000:]
    assert not (tmp_path / "t").exists() or not any((tmp_path / "t").iterdir()), "nothing half-written"


def labels_by_fold(task_dir: Path, folds: Iterable[str], fold_of: Callable[[str], str]) -> Dict[str, Any]:
    """{file: its labels or events} over the task's folds, each file checked to be in fold `fold_of(name)`."""
    seen: Dict[str, Any] = {}
    for fold in folds:
        for name, labels in json.loads((task_dir / f"{fold}.json").read_text()).items():
            assert fold_of(name) == fold, f"{name} is in {fold}, not {fold_of(name)}"
            seen[name] = labels
    return seen


def vocabulary_of(task_dir: Path) -> list:
    return [line.split(",", 1)[1] for line in (task_dir / "labelvocabulary.csv").read_text().splitlines()[1:]]
