import shutil
import warnings
from pathlib import Path

import pytest

# dcase_util (under sed_eval) and librosa import pkg_resources, which warns on every import.
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

SMALL_RATES = [16000, 48000]


@pytest.fixture(scope="session")
def small_workspace(tmp_path_factory) -> Path:
    """The three small tasks preprocessed once (16 and 48 kHz) for the whole session; treat as read-only."""
    from heareval.tasks.config import TASK_NAMES
    from heareval.tasks.runner import preprocess

    root = tmp_path_factory.mktemp("small")
    preprocess(TASK_NAMES, SMALL_RATES, small=True, work_dir=str(root / "_workdir"), tasks_dir=str(root / "tasks"),
               num_workers=2)
    return root


@pytest.fixture(scope="session")
def small_tasks(small_workspace) -> Path:
    return small_workspace / "tasks"


@pytest.fixture(scope="session")
def baseline_embeddings(small_tasks, tmp_path_factory) -> Path:
    """heareval.baseline embeddings of the small tasks (read-only; copy a task folder to change it)."""
    from heareval.embeddings.runner import run_embeddings

    out = tmp_path_factory.mktemp("embeddings")
    run_embeddings("heareval.baseline", tasks_dir=str(small_tasks), embeddings_dir=str(out), num_workers=0)
    return out / "heareval.baseline"


def task_dir_of(parent: Path, task_name: str) -> Path:
    return next(p for p in parent.iterdir() if p.name.startswith(task_name + "-"))


@pytest.fixture
def copy_task(tmp_path):
    def copy(source: Path) -> Path:
        target = tmp_path / source.parent.name / source.name
        shutil.copytree(source, target)
        return target

    return copy


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    folder = tmp_path / "modules"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    return folder
