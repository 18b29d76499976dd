"""The linear and kNN probes against the MLP's `fast` grid on the same embeddings, and kNN's memory at scale.

    python benchmarks/probes.py [--scale 1.0] [--repeats 1] [--event-grid fast] [--knn-rows 100000]
                                [--knn-dim 4096] [--knn-queries 20000] [--skip-knn-memory]

Part 1 generates ../shared/peer/make_tasks.py's synth_pitch, synth_tags and synth_events (16 kHz), embeds
them once with heareval.baseline, then runs `heareval.predictions.runner --probe mlp --grid fast`, `--probe
linear` and `--probe knn` (scene tasks) on fresh copies of the same embeddings, each a whole process, and
prints wall time, peak memory, the primary test score and each probe's speed-up over the MLP (medians over
--repeats). --event-grid faster trains the event task's MLP on the smaller grid (minutes instead of most of
an hour at scale 1), which makes the probes' speed-up there a lower bound of theirs over `fast`.
Part 2 writes a task of --knn-rows random training rows of --knn-dim dimensions and
--knn-queries test rows, runs `--probe knn` on it and prints its peak memory (process tree RSS).
"""

import argparse
import json
import os
import pickle
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

import numpy as np
from measure import PEER_DIR, run_measured

SCENE_PROBES = ("mlp", "linear", "knn")
EVENT_PROBES = ("mlp", "linear")


def probe_outputs(task: Path, probe: str) -> Path:
    return task if probe == "mlp" else task / "probes" / probe


def primary_score(task: Path, probe: str) -> float:
    report = json.loads((probe_outputs(task, probe) / "test.predicted-scores.json").read_text())
    return report["test"]["test_score"]


def compare_probes(work: Path, scale: float, repeats: int, event_grid: str, env: dict) -> None:
    tasks, embeddings = work / "tasks", work / "embeddings"
    if not tasks.is_dir():
        result = run_measured([sys.executable, str(PEER_DIR / "make_tasks.py"), "--out", str(tasks), "--scale",
                               str(scale), "--sample-rates", "16000"], cwd=work)
        assert result["returncode"] == 0, "make_tasks.py failed"
    if not embeddings.is_dir():
        result = run_measured([sys.executable, "-m", "heareval.embeddings.runner", "heareval.baseline",
                               "--tasks-dir", str(tasks), "--embeddings-dir", str(embeddings)], cwd=work, env=env,
                              log=work / "embeddings.log")
        assert result["returncode"] == 0, f"embeddings failed: {work / 'embeddings.log'}"
    module = embeddings / "heareval.baseline"
    print(f"{'task':32s} {'probe':7s} {'wall s':>7s} {'peak MB':>8s} {'score':>7s} {'MLP wall / probe wall':>22s}")
    for source in sorted(p for p in module.iterdir() if p.is_dir()):
        metadata = json.loads((source / "task_metadata.json").read_text())
        probes = SCENE_PROBES if metadata["embedding_type"] == "scene" else EVENT_PROBES
        runs: Dict[str, List[dict]] = {probe: [] for probe in probes}
        scores: Dict[str, float] = {}
        for repeat in range(repeats):
            for probe in probes:  # alternating, so that noise hits every probe alike
                copy = work / "runs" / probe / source.name
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(source, copy)
                command = [sys.executable, "-m", "heareval.predictions.runner", str(copy), "--probe", probe]
                if probe == "mlp":
                    command += ["--grid", "fast" if metadata["embedding_type"] == "scene" else event_grid]
                run = run_measured(command, cwd=work, env=env, log=work / f"{probe}-{source.name}.log")
                assert run["returncode"] == 0, f"{probe} failed: {work / f'{probe}-{source.name}.log'}"
                runs[probe].append(run)
                scores[probe] = primary_score(copy, probe)
        wall = {probe: statistics.median(r["wall_s"] for r in runs[probe]) for probe in probes}
        for probe in probes:
            peak = statistics.median(r["peak_rss_mb"] for r in runs[probe])
            ratio = "" if probe == "mlp" else f"{wall['mlp'] / wall[probe]:.1f}x"
            print(f"{source.name:32s} {probe:7s} {wall[probe]:7.1f} {peak:8.0f} {scores[probe]:7.4f} {ratio:>22s}",
                  flush=True)


def write_large_task(folder: Path, rows: int, dim: int, queries: int, classes: int = 10) -> None:
    """A scene task of random embeddings (its scores mean nothing), written in chunks."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    metadata = {"task_name": "knn_memory", "embedding_type": "scene", "prediction_type": "multiclass",
                "split_mode": "trainvaltest", "splits": ["train", "valid", "test"], "evaluation": ["top1_acc"]}
    (folder / "task_metadata.json").write_text(json.dumps(metadata))
    (folder / "labelvocabulary.csv").write_text("idx,label\n" + "".join(f"{i},c{i}\n" for i in range(classes)))
    for split, count in (("train", rows), ("valid", 1000), ("test", queries)):
        with open(folder / f"{split}.embeddings.npy", "wb") as out:
            for start in range(0, count, 8192):
                rng.standard_normal((min(8192, count - start), dim), dtype=np.float32).tofile(out)
        (folder / f"{split}.embedding-dimensions.json").write_text(json.dumps([count, dim]))
        labels = [[f"c{c}"] for c in rng.integers(0, classes, count)]
        (folder / f"{split}.target-labels.pkl").write_bytes(pickle.dumps(labels))
    (folder / ".done.embeddings").write_text("")


def knn_memory(work: Path, rows: int, dim: int, queries: int, env: dict) -> None:
    task = work / "knn-memory" / "random-v1-full"
    if not task.is_dir():
        write_large_task(task, rows, dim, queries)
    shutil.rmtree(task / "probes", ignore_errors=True)
    run = run_measured([sys.executable, "-m", "heareval.predictions.runner", str(task), "--probe", "knn"], cwd=work,
                       env=env, log=work / "knn-memory.log")
    assert run["returncode"] == 0, f"knn failed: {work / 'knn-memory.log'}"
    size_gb = rows * dim * 4 / 1e9
    print(f"knn: {rows} x {dim} training rows ({size_gb:.2f} GB float32), {queries} test and 1000 validation "
          f"queries: wall {run['wall_s']:.1f} s, peak RSS {run['peak_rss_mb']:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--event-grid", default="fast", choices=("fast", "faster"))
    parser.add_argument("--knn-rows", type=int, default=100_000)
    parser.add_argument("--knn-dim", type=int, default=4096)
    parser.add_argument("--knn-queries", type=int, default=20_000)
    parser.add_argument("--skip-knn-memory", action="store_true")
    parser.add_argument("--skip-probes", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-bench-probes-"))
    work.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    print(f"work: {work}; {os.cpu_count()} CPUs")
    if not args.skip_probes:
        compare_probes(work, args.scale, args.repeats, args.event_grid, env)
    if not args.skip_knn_memory:
        knn_memory(work, args.knn_rows, args.knn_dim, args.knn_queries, env)


if __name__ == "__main__":
    main()
