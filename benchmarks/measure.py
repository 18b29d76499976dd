"""Run a command and measure wall time, CPU time and the peak summed RSS of its whole process tree."""

import os
import resource
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List, Optional

REPO = Path(__file__).resolve().parents[1]
PEER_DIR = REPO.parent / "shared" / "peer"
PEER_HOME = Path(os.environ.get("PEER_HOME", Path.home() / ".cache" / "heareval-peer"))


def peer_python(venv: str, installer: str, skip: bool) -> Optional[Path]:
    """The original kit's interpreter in PEER_HOME/<venv>, or None (skipped, or not installed: says how)."""
    python = PEER_HOME / venv / "bin" / "python"
    if skip:
        return None
    if not python.is_file():
        print(f"(peer not installed at {python}: run {installer})")
        return None
    return python


def _tree_rss_kb(root: int) -> int:
    children: Dict[int, List[int]] = {}
    rss: Dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            parent = int(stat[stat.rfind(")") + 2:].split()[1])
            status = Path(f"/proc/{entry}/status").read_text()
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry))
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[int(entry)] = int(line.split()[1])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


def run_measured(command: List[str], cwd: Path, env: Optional[dict] = None, log: Optional[Path] = None,
                 timeout: Optional[float] = None) -> Dict[str, float]:
    """{wall_s, cpu_s, peak_rss_mb, returncode}; output goes to `log` (or is discarded)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = open(log, "w") if log else subprocess.DEVNULL
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(process.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        returncode = process.wait()
    wall = time.perf_counter() - start
    sampler.join()
    if log:
        out.close()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"wall_s": wall, "cpu_s": cpu, "peak_rss_mb": peak[0] / 1024.0, "returncode": returncode}
