"""Whether a task's embeddings fit where `--in-memory` would hold them. A task too large for the memory at
hand trains from the memmap on disk instead of being killed by the kernel halfway through."""

from pathlib import Path
from typing import Any, Dict, Optional

import torch

from heareval.predictions.data import embedding_shape
from heareval.predictions.layout import arrangements

HEADROOM = 0.8  # of the available memory: the rest is for the process, its batches and predictions
GIB = 1024 ** 3


def size_text(size: int) -> str:
    return f"{size / GIB:.1f} GiB" if size >= GIB else f"{size / 1024 ** 2:.1f} MiB"


def available_host_bytes(proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")) -> Optional[int]:
    """Memory the system can give without swapping (MemAvailable), capped by this container's cgroup v2
    limit (less what the container holds that cannot be reclaimed: its page cache can). None if unknown."""
    available: Optional[int] = None
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        limit = (cgroup / "memory.max").read_text().strip()
        if limit != "max":
            used = int((cgroup / "memory.current").read_text())
            stat = dict(line.split() for line in (cgroup / "memory.stat").read_text().splitlines())
            room = int(limit) - (used - int(stat.get("file", 0)))
            available = room if available is None else min(available, room)
    except (OSError, ValueError):
        pass
    return available


def available_device_bytes(device: torch.device) -> Optional[int]:
    """Free memory of a CUDA device; None for the CPU."""
    if device.type != "cuda":
        return None
    return torch.cuda.mem_get_info(device)[0]


def why_not_in_memory(task_dir: Path, metadata: Dict[str, Any], device: torch.device) -> Optional[str]:
    """None if the task's embeddings fit in memory (and on the GPU that trains), else why not, in words.
    In memory, every split is read into RAM and k-fold training folds are copied into one array; on a GPU
    the training and validation sets (then the test set) are held on the device too."""
    sizes = {split: 4 * rows * dimension
             for split, (rows, dimension) in ((s, embedding_shape(task_dir, s)) for s in metadata["splits"])}
    layout = arrangements(metadata)
    copied = max((sum(sizes[s] for s in a.train) for a in layout if len(a.train) > 1), default=0)
    host_needed = sum(sizes.values()) + copied
    host = available_host_bytes()
    if host is not None and host_needed > HEADROOM * host:
        return f"its embeddings need {size_text(host_needed)} in memory and {size_text(host)} is available"
    device_free = available_device_bytes(device)
    device_needed = max(max(sum(sizes[s] for s in a.train) + sizes[a.valid], sizes[a.test]) for a in layout)
    if device_free is not None and device_needed > HEADROOM * device_free:
        return f"its embeddings need {size_text(device_needed)} on {device} and {size_text(device_free)} is free there"
    return None
