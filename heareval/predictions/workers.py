"""Which device trains, and several tasks at once: one worker process per GPU (or per CPU job).

A task's MLPs are small, so spreading one model over several GPUs would spend more on communication than
it saves; several GPUs (and big CPUs) are used by training several tasks side by side instead.
"""

import logging
import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from heareval.embeddingformat import matrix_file
from heareval.errors import UserError

Devices = Optional[List[int]]  # None: one GPU if there is one, else CPU; []: CPU; [i]: GPU i


def configure_logging(level: int = logging.WARNING) -> None:
    """heareval's messages at `level`; Lightning's per-fit banners (GPU found, tips) silenced."""
    logging.basicConfig(level=level, format="%(message)s")
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)


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


def largest_first(task_dirs: Sequence[Path]) -> List[Path]:
    """Tasks by the size of their embeddings, largest first: the long ones start early, the short ones
    fill in around them, so no worker is left with a long task at the end."""
    return sorted(task_dirs, key=lambda task: -sum(f.stat().st_size for f in task.glob(matrix_file("*"))))


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


_worker_device: Devices = None
_memory_ledger: Any = None  # shared by the workers: one loads its task's embeddings at a time


def _start_worker(free_devices: Any, memory_ledger: Any, threads: int, log_level: int) -> None:
    """Runs once in each worker: take a device of its own, share the CPU, import the trainer."""
    global _worker_device, _memory_ledger
    _worker_device, _memory_ledger = free_devices.get(), memory_ledger
    configure_logging(log_level)
    import torch

    from heareval.collector import collector_paused

    torch.set_num_threads(threads)
    with collector_paused():
        import heareval.predictions.train  # noqa: F401  (Lightning's import, once per worker)


def _predict_in_worker(task_dir: Path, options: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    from heareval.predictions.train import task_predictions

    try:
        return task_predictions(task_dir, gpus=_worker_device, progress=False, memory_ledger=_memory_ledger,
                                **options)
    finally:
        _memory_ledger.release()  # its embeddings are unmapped as the task's data goes


def predict_in_workers(task_dirs: Sequence[Path], devices: List[Devices], options: Dict[str, Any]
                       ) -> Iterator[Tuple[Path, Optional[Dict[str, Any]]]]:
    """(task folder, report) as each task finishes, trained `len(devices)` at a time by task_predictions.

    A failed task stops the run as it would alone: the tasks not yet handed to a worker are cancelled,
    the others finish, and its error is raised.
    """
    from heareval.predictions.memory import MemoryLedger

    context = multiprocessing.get_context("spawn")  # CUDA and a forked parent do not mix
    free_devices = context.Queue()
    for device in devices:
        free_devices.put(device)
    threads = max(1, cpu_count() // len(devices))
    with ProcessPoolExecutor(len(devices), mp_context=context, initializer=_start_worker,
                             initargs=(free_devices, MemoryLedger(context), threads,
                                       logging.getLogger().getEffectiveLevel())) as pool:
        pending: Dict[Future, Path] = {pool.submit(_predict_in_worker, task_dir, options): task_dir
                                       for task_dir in largest_first(task_dirs)}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                task_dir = pending.pop(future)
                error = future.exception()
                if isinstance(error, BrokenProcessPool):
                    raise UserError(f"a training worker stopped abruptly (killed, or out of memory) while {task_dir} "
                                    "was queued or training; rerun to resume: finished tasks are skipped") from None
                if error is not None:
                    for other in pending:
                        other.cancel()
                    raise error
                yield task_dir, future.result()
