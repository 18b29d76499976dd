"""Predictions: wall-clock vs the matrix-multiply floor, side by side with the original heareval 2021.1.3.

    python benchmarks/predictions.py EMBEDDINGS_MODULE_DIR [--grid fast] [--event-grid faster]
                                     [--grid-points 8] [--seeds 1,2,3] [--skip-peer]

EMBEDDINGS_MODULE_DIR holds embedding task folders (e.g. the heareval output of
benchmarks/embeddings.py: <work>/runs/hearbaseline-heareval/embeddings/hearbaseline). Both kits train on
copies of the same folders with the same grid (event tasks: --event-grid). The floor is the FLOPs of
the epochs heareval actually trained (6 x rows x parameters per epoch, plus 2 x rows x parameters per
validation pass) divided by this machine's float32 matrix-multiply rate, measured in the same run.
"""

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from measure import PEER_HOME, run_measured


def matmul_rate(dim: int, hidden: int, repeats: int = 20) -> float:
    """Median float32 GFLOP/s of (1024 x dim) @ (dim x hidden), the MLP's main product."""
    a, b = torch.randn(1024, dim), torch.randn(dim, hidden)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - start)
    return 2 * 1024 * dim * hidden / statistics.median(times) / 1e9


def parameters(dim: int, labels: int, hp: dict) -> int:
    width, total = dim, 0
    for _ in range(hp["hidden_layers"]):
        total += width * hp["hidden_dim"] + hp["hidden_dim"]
        width = hp["hidden_dim"]
    return total + width * labels + labels


def floor_seconds(task: Path) -> float:
    dims = {s: json.loads((task / f"{s}.embedding-dimensions.json").read_text()) for s in ("train", "valid")}
    labels = len((task / "labelvocabulary.csv").read_text().splitlines()) - 1
    rate = matmul_rate(dims["train"][1], 1024) * 1e9
    flops = 0.0
    for point in json.loads((task / "grid-points.json").read_text()):
        hp = point["hparams"]
        n = parameters(dims["train"][1], labels, hp)
        epochs = point["epochs_trained"]
        checks = epochs // hp["check_val_every_n_epoch"]
        flops += epochs * 6 * dims["train"][0] * n + checks * 2 * dims["valid"][0] * n
    return flops / rate


def test_scores(task: Path) -> dict:
    report = json.loads((task / "test.predicted-scores.json").read_text())["test"]
    return {k: v for k, v in report.items() if k.startswith("test_") and k != "test_loss"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("module_dir", type=Path)
    parser.add_argument("--grid", default="fast")
    parser.add_argument("--event-grid", default="faster")
    parser.add_argument("--grid-points", type=int, default=8)
    parser.add_argument("--seeds", default="42", help="comma-separated seeds; each is a full run of both kits")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-bench-pred-"))
    work.mkdir(parents=True, exist_ok=True)
    peer_python = PEER_HOME / "venv-eval" / "bin" / "python"
    run_peer = not args.skip_peer and peer_python.is_file()
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    print(f"{'task':24s} {'kit':10s} {'seed':>5s} {'wall s':>8s} {'peak MB':>8s} {'floor s':>8s} {'wall/floor':>10s}  "
          "test scores")
    for source in sorted(p for p in args.module_dir.iterdir() if (p / "task_metadata.json").is_file()):
        metadata = json.loads((source / "task_metadata.json").read_text())
        grid = args.event_grid if metadata["embedding_type"] == "event" else args.grid
        walls = {"heareval": [], "original": []}
        for seed in [int(s) for s in args.seeds.split(",")]:
            kits = [("heareval", [sys.executable, "-m", "heareval.predictions.runner"])]
            if run_peer:
                kits.append(("original", [str(peer_python), "-m", "heareval.predictions.runner"]))
            for kit, command in kits:
                task = work / kit / str(seed) / "emb" / source.name
                shutil.rmtree(task, ignore_errors=True)
                shutil.copytree(source, task, ignore=shutil.ignore_patterns(
                    "*.predictions.*", "test.predicted-*", "grid-points.json", "prediction-done.json", "logs"))
                seed_option = ["--seed", str(seed)] if kit == "heareval" else []  # the original fixes seed 42
                result = run_measured(command + [str(task), "--grid", grid, "--grid-points", str(args.grid_points),
                                                 *seed_option], cwd=task.parent, env=env, log=task.parent / "run.log")
                if result["returncode"] != 0:
                    print(f"{source.name:24s} {kit:10s} {seed:5d} failed (exit {result['returncode']}): "
                          f"{task.parent / 'run.log'}")
                    continue
                walls[kit].append(result["wall_s"])
                floor = floor_seconds(task) if kit == "heareval" else float("nan")
                scores = ", ".join(f"{k[5:]} {v:.4f}" for k, v in test_scores(task).items()
                                   if k[5:] in metadata["evaluation"])
                print(f"{source.name:24s} {kit:10s} {seed:5d} {result['wall_s']:8.1f} {result['peak_rss_mb']:8.0f} "
                      f"{floor:8.1f} {result['wall_s'] / floor if floor == floor else float('nan'):10.2f}  {scores}")
        if walls["heareval"] and walls["original"]:
            ratio = statistics.median(walls["original"]) / statistics.median(walls["heareval"])
            print(f"{source.name:24s} median wall: original / heareval = {ratio:.2f}x (grid {grid})")
    print(f"outputs under {work}")


if __name__ == "__main__":
    main()
