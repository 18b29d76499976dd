"""The device of each training process and worker, and GPUs that are not there."""

import pytest
import torch

from heareval.errors import UserError
from heareval.predictions.devices import resolve_device, worker_devices


def test_worker_devices_per_device_and_job():
    assert worker_devices(None) == [None]
    assert worker_devices([], jobs=3) == [[], [], []]
    assert resolve_device([]) == (torch.device("cpu"), "cpu", 1)
    with pytest.raises(UserError, match="--jobs 0"):
        worker_devices([], jobs=0)


def fake_gpus(monkeypatch, count: int) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)


def test_several_gpus_get_their_own_workers(monkeypatch):
    fake_gpus(monkeypatch, 2)
    assert worker_devices([0, 1]) == [[0], [1]]
    assert worker_devices([1, 0], jobs=2) == [[1], [1], [0], [0]]
    assert resolve_device([1]) == (torch.device("cuda:1"), "gpu", [1])
    with pytest.raises(UserError, match="one task trains on one GPU"):
        resolve_device([0, 1])


@pytest.mark.parametrize("count", [0, 1])
def test_missing_gpus_are_refused_before_any_worker_starts(monkeypatch, count):
    fake_gpus(monkeypatch, count)
    with pytest.raises(UserError, match=r"--gpus \[0, 1\]"):
        worker_devices([0, 1])
