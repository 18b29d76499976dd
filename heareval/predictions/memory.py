"""Whether a task's embeddings fit where `--in-memory` would hold them. A task too large for the memory at
hand trains from the memmap on disk instead of being killed by the kernel halfway through."""

from pathlib import Path
from typing import Any, Optional

import torch

from heareval.embeddingformat import read_dimensions
from heareval.predictionformat import arrangements
from heareval.taskformat import TaskMetadata

HEADROOM = 0.8  # of the available memory: the rest is for the process, its batches and predictions
GIB = 1024 ** 3


def size_text(size: int) -> str:
    return f"{size / GIB:.1f} GiB" if size >= GIB else f"{size / 1024 ** 2:.1f} MiB"


def container_room(cgroup: Path) -> Optional[int]:
    """What this container's memory limit still allows, from cgroup v2 (or v1) files; None without a limit.
    Page cache counts as free: the kernel reclaims it before it reaches the limit."""
    if (cgroup / "memory.max").is_file():
        limit_file, usage_file, stat_file, cache_key = "memory.max", "memory.current", "memory.stat", "file"
    else:
        cgroup = cgroup / "memory"
        limit_file, usage_file, stat_file, cache_key = ("memory.limit_in_bytes", "memory.usage_in_bytes",
                                                        "memory.stat", "total_cache")
    try:
        limit = (cgroup / limit_file).read_text().strip()
        if limit == "max" or int(limit) >= 2 ** 62:  # v1 writes "no limit" as a huge number
            return None
        used = int((cgroup / usage_file).read_text())
        stat = dict(line.split() for line in (cgroup / stat_file).read_text().splitlines())
        return int(limit) - (used - int(stat.get(cache_key, 0)))
    except (OSError, ValueError):
        return None


def available_host_bytes(proc: Path = Path("/proc"), cgroup: Path = Path("/sys/fs/cgroup")) -> Optional[int]:
    """Memory the system can give without swapping (MemAvailable), capped by this container's limit.
    None if unknown."""
    available: Optional[int] = None
    try:
        for line in (proc / "meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    room = container_room(cgroup)
    if room is not None:
        available = room if available is None else min(available, room)
    return available


def available_device_bytes(device: torch.device) -> Optional[int]:
    """Free memory of a CUDA device; None for the CPU."""
    if device.type != "cuda":
        return None
    return torch.cuda.mem_get_info(device)[0]


class MemoryLedger:
    """Shared by the worker processes that train side by side (--jobs): a lock under which one worker at a
    time checks memory and loads its task, and the bytes of embedding files the workers hold mapped.

    The OS counts mapped file pages as available (it may drop them and read them again), so without the
    ledger the next worker's check would not see them taken, and two large tasks would both stay in memory
    and take turns re-reading each other's pages from disk at every batch."""

    def __init__(self, context: Any) -> None:
        self.lock = context.Lock()
        self.mapped = context.Value("q", 0)  # all workers together
        self.mine = 0  # this process's share (each worker has its own copy of this attribute)

    def taken_by_others(self) -> int:
        return self.mapped.value - self.mine

    def hold(self, size: int) -> None:
        """This process now holds `size` bytes mapped (its previous task's are released). Call under `lock`."""
        self.mapped.value += size - self.mine
        self.mine = size

    def release(self) -> None:
        with self.lock:
            self.hold(0)


def why_not_in_memory(task_dir: Path, metadata: TaskMetadata, device: torch.device,
                      taken_elsewhere: int = 0) -> Optional[str]:
    """None if the task's embeddings fit in memory (and on the GPU that trains), else why not, in words.
    In memory, every split is held in RAM (its file's pages, mapped) and k-fold training folds are copied
    into one array; on a GPU the training and validation sets (then the test set) are held on the device too.
    taken_elsewhere: bytes that other workers hold but the OS reports as available (MemoryLedger)."""
    sizes = {split: 4 * rows * dimension
             for split, (rows, dimension) in ((s, read_dimensions(task_dir, s)) for s in metadata.splits)}
    layout = arrangements(metadata)
    copied = max((sum(sizes[s] for s in a.train) for a in layout if len(a.train) > 1), default=0)
    host_needed = sum(sizes.values()) + copied
    host = available_host_bytes()
    room = None if host is None else max(0, host - taken_elsewhere)
    if room is not None and host_needed > HEADROOM * room:
        beside = " beside the other workers' tasks" if taken_elsewhere else ""
        return f"its embeddings need {size_text(host_needed)} in memory and {size_text(room)} is available{beside}"
    device_free = available_device_bytes(device)
    device_needed = max(max(sum(sizes[s] for s in a.train) + sizes[a.valid], sizes[a.test]) for a in layout)
    if device_free is not None and device_needed > HEADROOM * device_free:
        return f"its embeddings need {size_text(device_needed)} on {device} and {size_text(device_free)} is free there"
    return None
