"""Several tasks trained at once: one worker process per GPU (or per CPU job).

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
from heareval.predictions.devices import Devices


def configure_logging(level: int = logging.WARNING) -> None:
    """heareval's messages at `level`; Lightning's per-fit banners (GPU found, tips) silenced."""
    logging.basicConfig(level=level, format="%(message)s")
    for name in ("lightning.pytorch", "lightning.fabric", "lightning"):
        logging.getLogger(name).setLevel(logging.ERROR)


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
