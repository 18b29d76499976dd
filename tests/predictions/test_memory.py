"""A task too large for memory falls back to the memmap; k-fold folds stay in their memmaps."""

import copy
import json
import logging
import multiprocessing

import numpy as np
import pytest
import torch

from heareval.predictions import memory
from heareval.predictions.memory import GIB, MemoryLedger, available_host_bytes, why_not_in_memory
from heareval.predictions.train import task_predictions
from heareval.taskformat import load_task_metadata
from tests.predictions.test_train import scene_task

CPU = torch.device("cpu")


def fake_system(tmp_path, meminfo_kb=None, limit=None, current=0, file_cache=0, cgroup_version=2):
    proc, cgroup = tmp_path / "proc", tmp_path / "cgroup"
    proc.mkdir(parents=True)
    cgroup.mkdir()
    if meminfo_kb is not None:
        (proc / "meminfo").write_text(f"MemTotal: 99999999 kB\nMemAvailable: {meminfo_kb} kB\n")
    if limit is not None and cgroup_version == 2:
        (cgroup / "memory.max").write_text(f"{limit}\n")
        (cgroup / "memory.current").write_text(f"{current}\n")
        (cgroup / "memory.stat").write_text(f"anon {current - file_cache}\nfile {file_cache}\n")
    if limit is not None and cgroup_version == 1:
        (cgroup / "memory").mkdir()
        (cgroup / "memory" / "memory.limit_in_bytes").write_text(f"{limit}\n")
        (cgroup / "memory" / "memory.usage_in_bytes").write_text(f"{current}\n")
        (cgroup / "memory" / "memory.stat").write_text(f"cache 1\ntotal_cache {file_cache}\n")
    return proc, cgroup


@pytest.mark.parametrize("cgroup_version", [2, 1])
def test_available_host_memory_is_memavailable_capped_by_the_container_limit(tmp_path, cgroup_version):
    def available(name, **limits):
        return available_host_bytes(*fake_system(tmp_path / name, cgroup_version=cgroup_version, **limits))

    assert available("a", meminfo_kb=4 * 1024 ** 2) == 4 * GIB
    unlimited = "max" if cgroup_version == 2 else 2 ** 63 - 4096
    assert available("b", meminfo_kb=4 * 1024 ** 2, limit=unlimited) == 4 * GIB
    # a 2 GiB container holding 1.5 GiB, 1 GiB of it page cache (reclaimable): 1.5 GiB of room
    assert available("c", meminfo_kb=4 * 1024 ** 2, limit=2 * GIB, current=GIB * 3 // 2,
                     file_cache=GIB) == GIB * 3 // 2
    assert available("d") is None


def test_a_task_larger_than_memory_is_reported_with_its_sizes(tmp_path, monkeypatch):
    task = scene_task(tmp_path)  # 200 rows x 16 float32: 12800 bytes
    metadata = load_task_metadata(task)
    monkeypatch.setattr(memory, "available_host_bytes", lambda: 10 ** 9)
    assert why_not_in_memory(task, metadata, CPU) is None
    monkeypatch.setattr(memory, "available_host_bytes", lambda: 12800)
    assert why_not_in_memory(task, metadata, CPU) == ("its embeddings need 0.0 MiB in memory and 0.0 MiB is "
                                                      "available")
    monkeypatch.setattr(memory, "available_host_bytes", lambda: None)
    assert why_not_in_memory(task, metadata, CPU) is None, "unknown memory: no fallback"


def test_kfold_copies_and_gpu_memory_are_counted(tmp_path, monkeypatch):
    task = scene_task(tmp_path, kfold=4)  # four folds of 60 x 16 float32: 3840 bytes each
    metadata = load_task_metadata(task)
    # all four folds, plus each training set (two folds) copied into one array: 6 x 3840
    monkeypatch.setattr(memory, "available_host_bytes", lambda: int(6 * 3840 / memory.HEADROOM))
    assert why_not_in_memory(task, metadata, CPU) is None
    monkeypatch.setattr(memory, "available_host_bytes", lambda: int(6 * 3840 / memory.HEADROOM) - 8)
    assert why_not_in_memory(task, metadata, CPU) is not None
    # on a GPU: the training folds and the validation fold at once
    monkeypatch.setattr(memory, "available_host_bytes", lambda: 10 ** 9)
    monkeypatch.setattr(memory, "available_device_bytes", lambda device: int(3 * 3840 / memory.HEADROOM) - 8)
    assert "on cuda:0" in why_not_in_memory(task, metadata, torch.device("cuda:0"))
    monkeypatch.setattr(memory, "available_device_bytes", lambda device: int(3 * 3840 / memory.HEADROOM))
    assert why_not_in_memory(task, metadata, torch.device("cuda:0")) is None


def test_a_task_too_large_for_memory_trains_from_the_memmap(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(memory, "available_host_bytes", lambda: 1000)
    with caplog.at_level(logging.WARNING):
        fallen_back = task_predictions(scene_task(tmp_path / "a"), grid="faster", grid_points=2, seed=3)
    assert "read from the memmap on disk instead" in caplog.text and "synthetic" in caplog.text
    cost = json.loads((tmp_path / "a/emb/mod/synthetic/cost.predictions.json").read_text())
    assert cost["embeddings"] == "memmap"
    monkeypatch.setattr(memory, "available_host_bytes", lambda: 10 ** 9)
    memmapped = task_predictions(scene_task(tmp_path / "b"), grid="faster", grid_points=2, seed=3, in_memory=False)
    scores = [{k: v for k, v in report["test"].items() if k != "time_in_min"} for report in (fallen_back, memmapped)]
    assert scores[0] == scores[1], "the fallback is exactly --memmap"


def test_kfold_task_trains_from_memmaps_as_in_memory(tmp_path):
    tasks = [scene_task(tmp_path / kind, kfold=3) for kind in ("in_memory", "memmap")]
    in_memory = task_predictions(tasks[0], grid="faster", grid_points=1, seed=2)
    memmapped = task_predictions(tasks[1], grid="faster", grid_points=1, seed=2, in_memory=False)
    for fold in ("fold00", "fold01", "fold02"):
        assert memmapped[fold]["test_top1_acc"] == in_memory[fold]["test_top1_acc"]
        probabilities = [np.load(task / f"{fold}.predictions.npz")["probabilities"] for task in tasks]
        assert np.allclose(probabilities[0], probabilities[1], atol=1e-5)


def test_the_memory_check_and_the_loading_happen_under_the_workers_lock(tmp_path, monkeypatch):
    """With --jobs, a worker checks memory and loads with the shared lock held: the next one then sees the
    memory this one took, instead of both finding it free and both loading."""
    from heareval.predictions import train

    class RecordingLedger:
        held = False
        mine = 0

        @property
        def lock(self):
            return self

        def __enter__(self):
            self.held = True

        def __exit__(self, *exc):
            self.held = False

        def taken_by_others(self):
            return 0

        def hold(self, size):
            seen.append(("hold", self.held))
            self.mine = size

    ledger, seen = RecordingLedger(), []
    for name in ("why_not_in_memory", "load_split", "fold_buffer"):
        real = getattr(train, name)
        monkeypatch.setattr(train, name, lambda *args, real=real, name=name: (seen.append((name, ledger.held)),
                                                                               real(*args))[1])
    task = scene_task(tmp_path)
    task_predictions(task, grid="faster", grid_points=1, memory_ledger=ledger)
    assert len(seen) == 6 and all(held for _, held in seen), "the check, three loads, the fold buffer, the hold"
    assert not ledger.held
    assert ledger.mine == sum(f.stat().st_size for f in task.glob("*.embeddings.npy")), "its mapped embeddings"
    seen.clear()  # k-fold: the training folds' copy is made under the lock too
    task_predictions(scene_task(tmp_path / "kfold", kfold=3), grid="faster", grid_points=1, memory_ledger=ledger)
    assert [name for name, _ in seen].count("fold_buffer") == 1 and all(held for _, held in seen)


def test_embeddings_another_worker_holds_mapped_count_as_taken(tmp_path, monkeypatch, caplog):
    """The OS reports mapped file pages as available; the ledger does not."""
    first = MemoryLedger(multiprocessing.get_context("spawn"))
    second = copy.copy(first)  # another worker's copy: the same lock and total, its own share
    tasks = [scene_task(tmp_path / name) for name in ("a", "b")]
    size = sum(f.stat().st_size for f in tasks[1].glob("*.embeddings.npy"))
    monkeypatch.setattr(memory, "available_host_bytes", lambda: int(size / memory.HEADROOM) + 1)  # fits alone
    task_predictions(tasks[0], grid="faster", grid_points=1, memory_ledger=first)
    assert first.mapped.value == first.mine == size and second.taken_by_others() == size
    with caplog.at_level(logging.WARNING):
        task_predictions(tasks[1], grid="faster", grid_points=1, memory_ledger=second)
    assert "beside the other workers' tasks" in caplog.text
    assert json.loads((tasks[1] / "cost.predictions.json").read_text())["embeddings"] == "memmap"
    assert second.mine == 0 and first.mapped.value == size, "a memmap holds nothing in memory"
    first.release()
    assert first.mapped.value == first.mine == 0 and second.taken_by_others() == 0
