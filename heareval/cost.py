"""What a stage cost: wall time, CPU time, peak memory, peak GPU memory and, where measurable, energy."""

import contextlib
import logging
import resource
import time
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

from heareval.atomic import write_json


def _reset_peak_rss() -> bool:
    """Linux lets a process reset its peak RSS (VmHWM); True when it worked."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def _peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _energy_tracker() -> Optional[Any]:
    """A codecarbon tracker when codecarbon is installed (optional: pip install heareval[energy])."""
    try:
        from codecarbon import OfflineEmissionsTracker
    except ImportError:
        return None
    logging.getLogger("codecarbon").setLevel(logging.ERROR)  # no banner per stage
    try:
        tracker = OfflineEmissionsTracker(country_iso_code="USA", log_level="error", save_to_file=False)
        tracker.start()
        return tracker
    except Exception:
        return None


@contextlib.contextmanager
def measure_cost(stage: str, path: Optional[Path] = None, device: str = "cpu") -> Iterator[Dict[str, Any]]:
    """Measure the block; the yielded dict is filled in at its end (and written to `path` if given)."""
    report: Dict[str, Any] = {"stage": stage}
    _reset_peak_rss()
    cuda = device.startswith("cuda")
    if cuda:  # imported only here: the CPU-only probes then start without torch
        import torch

        cuda = torch.cuda.is_available()
        if cuda:
            torch.cuda.reset_peak_memory_stats()
    tracker = _energy_tracker()
    wall, cpu = time.perf_counter(), _cpu_seconds()
    yield report
    report["wall_seconds"] = time.perf_counter() - wall
    report["cpu_seconds"] = _cpu_seconds() - cpu
    report["peak_memory_mb"] = _peak_rss_mb()
    report["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated() / 2 ** 20 if cuda else None
    report["energy_kwh"] = None
    if tracker is not None:
        try:
            tracker.stop()
            report["energy_kwh"] = float(tracker.final_emissions_data.energy_consumed)
        except Exception:
            pass
    if path is not None:
        write_json(path, report, indent=2)
