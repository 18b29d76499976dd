"""Which device a training process uses: the CPU, one GPU, or one GPU per worker process.

A task's MLPs are small, so spreading one model over several GPUs would spend more on communication than
it saves; several GPUs (and big CPUs) are used by training several tasks side by side instead.
"""

import json
from typing import Any, List, Optional, Sequence, Tuple

from heareval.errors import UserError

Devices = Optional[List[int]]  # None: one GPU if there is one, else CPU; []: CPU; [i]: GPU i


def check_gpus(gpus: Sequence[int]) -> None:
    """Every GPU of --gpus exists on this machine."""
    import torch

    if not torch.cuda.is_available():
        raise UserError(f"--gpus {list(gpus)}: no CUDA GPU is available on this machine")
    if max(gpus) >= torch.cuda.device_count():
        raise UserError(f"--gpus {list(gpus)}: this machine has {torch.cuda.device_count()} GPU(s)")


def resolve_device(gpus: Devices) -> Tuple[Any, str, Any]:
    """(torch.device, Lightning accelerator, Lightning devices) of one training process."""
    import torch

    if gpus is None:
        gpus = [0] if torch.cuda.is_available() else []
    if not gpus:
        return torch.device("cpu"), "cpu", 1
    check_gpus(gpus)
    if len(gpus) > 1:
        raise UserError(f"--gpus {list(gpus)}: one task trains on one GPU; the runner spreads tasks over "
                        "several GPUs, one worker process each")
    return torch.device(f"cuda:{gpus[0]}"), "gpu", [gpus[0]]


def worker_devices(gpus: Devices, jobs: int = 1) -> List[Devices]:
    """The device of each worker: `jobs` workers on each GPU of `gpus`, or on the automatic or CPU device."""
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: must be at least 1")
    if gpus:
        check_gpus(gpus)  # a missing GPU is reported here, before any worker starts
    devices: List[Devices] = [[gpu] for gpu in gpus] if gpus else [gpus]
    return [device for device in devices for _ in range(jobs)]


def parse_gpus(value: Optional[str]) -> Optional[List[int]]:
    """An int N (the first N GPUs; 0 = CPU) or a JSON list of GPU ids; None = automatic."""
    if value is None:
        return None
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError:
        raise UserError(f"--gpus {value!r}: expected an integer or a JSON list such as [0]") from None
    if isinstance(parsed, int) and parsed >= 0:
        return list(range(parsed))
    if isinstance(parsed, list) and all(isinstance(g, int) and g >= 0 for g in parsed):
        return parsed
    raise UserError(f"--gpus {value!r}: expected an integer or a JSON list such as [0]")
