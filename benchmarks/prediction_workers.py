"""Predictions: every task of a module one at a time, against `--jobs N` tasks side by side.

    python benchmarks/prediction_workers.py EMBEDDINGS_MODULE_DIR [--jobs 2] [--grid faster]
                                            [--grid-points 8] [--repeats 2] [--work DIR]

Each run trains all the module's tasks with one predictions runner (`--gpus 0`: the CPU) on fresh
copies of the embedding folders (hard links: the inputs are only read). The runs alternate, so drift in
the machine's speed falls on both. Prints each run's wall time and peak memory (whole process tree),
the medians, their ratio, and each task's test score in both arrangements (on a CPU a worker has fewer
threads, which changes floating-point rounding and so can change a score within seed noise).
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from measure import run_measured

OUTPUTS = ("*.predictions.*", "test.predicted-*", "test.best-model-config.json", "grid-points.json",
           "prediction-done.json", "cost.predictions.json", "logs")


def fresh_copy(module_dir: Path, target: Path) -> Path:
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(module_dir, target, copy_function=os.link, ignore=shutil.ignore_patterns(*OUTPUTS))
    return target


def test_scores(module_copy: Path) -> dict:
    reports = {task.name: json.loads((task / "test.predicted-scores.json").read_text())["test"]
               for task in sorted(module_copy.iterdir()) if (task / "test.predicted-scores.json").is_file()}
    return {name: {k: v for k, v in report.items() if k.startswith("test_")} for name, report in reports.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module_dir", type=Path)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--grid", default="faster")
    parser.add_argument("--grid-points", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-bench-workers-"))
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    tasks = sorted(p.name for p in args.module_dir.iterdir() if (p / "task_metadata.json").is_file())
    print(f"{len(tasks)} tasks: {', '.join(tasks)}; grid {args.grid}, {args.grid_points} points, CPU")
    walls = {1: [], args.jobs: []}
    peaks = {1: [], args.jobs: []}
    scores = {}
    for repeat in range(args.repeats):
        for jobs in (1, args.jobs):
            module_copy = fresh_copy(args.module_dir, work / f"jobs{jobs}" / args.module_dir.name)
            command = [sys.executable, "-m", "heareval.predictions.runner", str(module_copy), "--gpus", "0",
                       "--jobs", str(jobs), "--grid", args.grid, "--grid-points", str(args.grid_points)]
            result = run_measured(command, cwd=work, env=env, log=work / f"jobs{jobs}-run{repeat}.log")
            if result["returncode"] != 0:
                sys.exit(f"--jobs {jobs} failed (exit {result['returncode']}): {work / f'jobs{jobs}-run{repeat}.log'}")
            walls[jobs].append(result["wall_s"])
            peaks[jobs].append(result["peak_rss_mb"])
            scores[jobs] = test_scores(module_copy)
            print(f"run {repeat} --jobs {jobs}: wall {result['wall_s']:.1f} s, cpu {result['cpu_s']:.1f} s, "
                  f"peak {result['peak_rss_mb']:.0f} MB", flush=True)
    one, many = (statistics.median(walls[j]) for j in (1, args.jobs))
    print(f"median wall: --jobs 1 {one:.1f} s, --jobs {args.jobs} {many:.1f} s: ratio {many / one:.2f}; "
          f"median peak memory ratio {statistics.median(peaks[args.jobs]) / statistics.median(peaks[1]):.2f}")
    for task in tasks:
        one_score, many_score = (scores[j].get(task, {}).get("test_score") for j in (1, args.jobs))
        print(f"{task}: test score --jobs 1 {one_score}, --jobs {args.jobs} {many_score}"
              + ("" if one_score == many_score else " (differs: fewer CPU threads per process round differently)"))

if __name__ == "__main__":
    main()
