"""Embeddings and predictions of two revisions of heareval, side by side on the same small tasks.

    python benchmarks/revisions.py BASE [NEW] [--tasks speech_commands,nsynth_pitch,dcase2016_task2,esc50]
                                   [--grid fast] [--grid-points 4] [--repeats 3] [--work DIR]

Checks out BASE and NEW (default: HEAD) as git worktrees, builds the small tasks once (16 kHz), then runs
for each repeat, the revisions alternating, the embeddings runner (heareval.baseline) and the predictions
runner on its output, each a whole process with the revision first on PYTHONPATH. Prints the medians of
wall time and peak memory of each stage and NEW / BASE, and whether the test scores are equal.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

from measure import REPO, run_measured


def worktree(revision: str, folder: Path) -> Path:
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), revision], check=True,
                   capture_output=True)
    return folder


def scores_of(embeddings: Path) -> Dict[str, float]:
    """{task: its primary test score} of a predictions run (the mean over folds for k-fold tasks)."""
    found = {}
    for path in sorted(embeddings.glob("*/*/test.predicted-scores.json")):
        report = json.loads(path.read_text())
        aggregated = report.get("aggregated_scores")
        found[path.parent.name] = aggregated["test_score_mean"] if aggregated else report["test"]["test_score"]
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("base")
    parser.add_argument("new", nargs="?", default="HEAD")
    parser.add_argument("--tasks", default="speech_commands,nsynth_pitch,dcase2016_task2,esc50")
    parser.add_argument("--grid", default="fast")
    parser.add_argument("--grid-points", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-revisions-"))
    work.mkdir(parents=True, exist_ok=True)
    revisions = {"base": worktree(args.base, work / "base"), "new": worktree(args.new, work / "new")}
    try:
        tasks = work / "tasks"
        for name in args.tasks.split(","):
            subprocess.run([sys.executable, "-m", "heareval.tasks.runner", name, "--small", "--sample-rate", "16000",
                            "--work-dir", str(work / "_workdir"), "--tasks-dir", str(tasks)], check=True, cwd=work,
                           env={**os.environ, "PYTHONPATH": str(revisions["new"])}, capture_output=True)
        runs: Dict[str, Dict[str, List[Dict[str, float]]]] = {name: {"embeddings": [], "predictions": []}
                                                              for name in revisions}
        scores: Dict[str, Dict[str, float]] = {}
        for repeat in range(args.repeats):
            for name, source in revisions.items():
                env = {**os.environ, "PYTHONPATH": str(source)}
                out = work / f"embeddings-{name}-{repeat}"
                embed = run_measured([sys.executable, "-m", "heareval.embeddings.runner", "heareval.baseline",
                                      "--tasks-dir", str(tasks), "--embeddings-dir", str(out)], cwd=work, env=env,
                                     log=work / f"{name}-{repeat}-embeddings.log")
                predict = run_measured([sys.executable, "-m", "heareval.predictions.runner", "heareval.baseline",
                                        "--embeddings-dir", str(out), "--grid", args.grid, "--grid-points",
                                        str(args.grid_points)], cwd=work, env=env,
                                       log=work / f"{name}-{repeat}-predictions.log")
                for stage, result in (("embeddings", embed), ("predictions", predict)):
                    if result["returncode"] != 0:
                        sys.exit(f"{name} {stage} failed: see {work}/{name}-{repeat}-{stage}.log")
                    runs[name][stage].append(result)
                scores[f"{name} {repeat}"] = scores_of(out)
                print(f"repeat {repeat} {name}: embeddings {embed['wall_s']:.1f} s, predictions "
                      f"{predict['wall_s']:.1f} s", flush=True)
        print(f"\n{args.tasks} (small, 16 kHz), heareval.baseline, grid {args.grid} x {args.grid_points}, "
              f"{args.repeats} repeats; base {args.base}, new {args.new}")
        print("| stage | base wall s | new wall s | new / base | base peak MB | new peak MB |")
        print("|---|---|---|---|---|---|")
        for stage in ("embeddings", "predictions"):
            wall = {name: statistics.median(r["wall_s"] for r in runs[name][stage]) for name in revisions}
            peak = {name: statistics.median(r["peak_rss_mb"] for r in runs[name][stage]) for name in revisions}
            print(f"| {stage} | {wall['base']:.1f} | {wall['new']:.1f} | {wall['new'] / wall['base']:.2f} | "
                  f"{peak['base']:.0f} | {peak['new']:.0f} |")
        distinct = {json.dumps(value, sort_keys=True) for value in scores.values()}
        print(f"\ntest scores equal in every run: {len(distinct) == 1}")
        for key, value in scores.items():
            print(f"  {key}: " + ", ".join(f"{task} {score:.4f}" for task, score in value.items()))
    finally:
        for folder in revisions.values():
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(folder)],
                           capture_output=True)


if __name__ == "__main__":
    main()
