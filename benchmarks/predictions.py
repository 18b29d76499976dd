"""Predictions: wall-clock vs the matrix-multiply floor, side by side with the original heareval 2021.1.3.

    python benchmarks/predictions.py EMBEDDINGS_MODULE_DIR [--grid fast] [--event-grid faster]
                                     [--grid-points 8] [--seeds 1,2,3] [--skip-peer]

EMBEDDINGS_MODULE_DIR holds embedding task folders (e.g. the heareval output of
benchmarks/embeddings.py: <work>/runs/hearbaseline-heareval/embeddings/hearbaseline). Both kits train on
copies of the same folders with the same grid (event tasks: --event-grid) and the same seeds: the
original fixes seed 42 in its code, so for other seeds it runs through a wrapper that replaces that
constant (its grid sampling and training then follow the seed, as heareval's do). heareval runs with
--stop-on-nan-score, so that both kits stop a grid point at a validation check with no predicted event,
as the original's early stopping does (--heareval-default-stopping: heareval trains on, as by default).

The floor is the FLOPs of the epochs a kit actually trained (6 x rows x parameters per epoch, plus
2 x rows x parameters per validation pass; the original's epochs are read from its Lightning logs)
divided by this machine's float32 matrix-multiply rate, measured in the same run: `floor` at the peak
rate (a 1024 x D by D x 1024 product), `shape floor` at the rate this machine reaches for each layer's
own shape (narrow layers, such as a 4096 -> 11 output, run far below the peak). Early stopping can end
the two kits' fits at different epochs, so the medians line also compares wall / floor: the speed-up per
unit of work. The bf16 autocast rate is printed beside float32's, as the reason for the precision used.
"""

import argparse
import csv
import functools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch
from measure import peer_python, run_measured


@functools.lru_cache(maxsize=None)
def matmul_rate(dim: int, outputs: int, dtype: torch.dtype = torch.float32, repeats: int = 20) -> float:
    """Median GFLOP/s of a linear layer's product, (1024 x dim) by a (outputs x dim) weight, as nn.Linear."""
    x, weight = torch.randn(1024, dim), torch.randn(outputs, dim)
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=dtype == torch.bfloat16):
        for _ in range(3):
            torch.nn.functional.linear(x, weight)
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            torch.nn.functional.linear(x, weight)
            times.append(time.perf_counter() - start)
    return 2 * 1024 * dim * outputs / statistics.median(times) / 1e9


def layer_shapes(dim: int, labels: int, hp: dict) -> list:
    """(inputs, outputs) of each linear layer of a grid point's network."""
    widths = [dim] + [hp["hidden_dim"]] * hp["hidden_layers"] + [labels]
    return list(zip(widths[:-1], widths[1:]))


def heareval_fits(task: Path) -> list:
    """(hyperparameters, epochs trained) of each grid point heareval trained (a point that trains as an earlier
    one took that one's result and trained nothing)."""
    points = json.loads((task / "grid-points.json").read_text())
    return [(point["hparams"], point["epochs_trained"]) for point in points if point.get("same_training_as") is None]


def original_fits(task: Path) -> list:
    """(hyperparameters, epochs trained) of each fit the original trained, from its Lightning logs."""
    fits = []
    for version in sorted((task / "lightning_logs").glob("version_*")):
        hparams = dict(line.split(": ", 1) for line in (version / "hparams.yaml").read_text().splitlines()
                       if ": " in line)
        hp = {key: int(hparams[key]) for key in ("hidden_layers", "hidden_dim", "check_val_every_n_epoch")}
        with open(version / "metrics.csv") as f:
            epochs = [int(float(row["epoch"])) for row in csv.DictReader(f) if row.get("epoch")]
        fits.append((hp, max(epochs) + 1))
    return fits


def floor_seconds(task: Path, fits: list) -> tuple:
    """(floor at the peak rate, floor at each layer shape's own rate) of the fits (hyperparameters, epochs)."""
    dims = {s: json.loads((task / f"{s}.embedding-dimensions.json").read_text()) for s in ("train", "valid")}
    labels = len((task / "labelvocabulary.csv").read_text().splitlines()) - 1
    peak = matmul_rate(dims["train"][1], 1024) * 1e9
    at_peak = at_shape = 0.0
    for hp, epochs in fits:
        checks = epochs // hp["check_val_every_n_epoch"]
        for inputs, outputs in layer_shapes(dims["train"][1], labels, hp):
            parameters = inputs * outputs + outputs
            flops = epochs * 6 * dims["train"][0] * parameters + checks * 2 * dims["valid"][0] * parameters
            at_peak += flops / peak
            at_shape += flops / (matmul_rate(inputs, outputs) * 1e9)
    return at_peak, at_shape


def original_command(python: Path, seed: int) -> list:
    """The original predictions runner, with its fixed seed 42 replaced by `seed`."""
    if seed == 42:
        return [str(python), "-m", "heareval.predictions.runner"]
    wrapper = ("import runpy, sys\n"
               "import heareval.predictions.task_predictions as tp\n"
               "fixed = tp.seed_everything\n"
               f"tp.seed_everything = lambda seed, workers=False: fixed({seed}, workers=workers)\n"
               "sys.argv[0] = 'heareval.predictions.runner'\n"
               "runpy.run_module('heareval.predictions.runner', run_name='__main__')\n")
    return [str(python), "-c", wrapper]


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
    parser.add_argument("--heareval-default-stopping", action="store_true",
                        help="heareval without --stop-on-nan-score (it then trains on where the original stops)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-bench-pred-"))
    work.mkdir(parents=True, exist_ok=True)
    peer = peer_python("venv-eval", "../shared/peer/install_peer.sh", args.skip_peer)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1"}
    dim = 4096
    print(f"matrix-multiply rate (1024 x {dim} by {dim} x 1024): float32 {matmul_rate(dim, 1024):.0f} GFLOP/s, "
          f"bf16 autocast {matmul_rate(dim, 1024, torch.bfloat16, repeats=3):.0f} GFLOP/s")
    print(f"{'task':24s} {'kit':10s} {'seed':>5s} {'wall s':>8s} {'peak MB':>8s} {'floor s':>8s} {'wall/floor':>10s} "
          f"{'wall/shape floor':>16s}  test scores")
    for source in sorted(p for p in args.module_dir.iterdir() if (p / "task_metadata.json").is_file()):
        metadata = json.loads((source / "task_metadata.json").read_text())
        grid = args.event_grid if metadata["embedding_type"] == "event" else args.grid
        walls = {"heareval": [], "original": []}
        peaks = {"heareval": [], "original": []}
        floors = {"heareval": [], "original": []}
        scores = {"heareval": {}, "original": {}}
        for seed in [int(s) for s in args.seeds.split(",")]:
            stopping = [] if args.heareval_default_stopping else ["--stop-on-nan-score"]
            kits = [("heareval", [sys.executable, "-m", "heareval.predictions.runner", "--seed", str(seed)] + stopping)]
            if peer:
                kits.append(("original", original_command(peer, seed)))
            for kit, command in kits:
                task = work / kit / str(seed) / "emb" / source.name
                shutil.rmtree(task, ignore_errors=True)
                shutil.copytree(source, task, ignore=shutil.ignore_patterns(
                    "*.predictions.*", "test.predicted-*", "grid-points.json", "prediction-done.json", "logs"))
                result = run_measured(command + [str(task), "--grid", grid, "--grid-points", str(args.grid_points)],
                                      cwd=task.parent, env=env, log=task.parent / "run.log")
                if result["returncode"] != 0:
                    print(f"{source.name:24s} {kit:10s} {seed:5d} failed (exit {result['returncode']}): "
                          f"{task.parent / 'run.log'}")
                    continue
                walls[kit].append(result["wall_s"])
                peaks[kit].append(result["peak_rss_mb"])
                floor, shape_floor = floor_seconds(task, heareval_fits(task) if kit == "heareval" else
                                                   original_fits(task))
                floors[kit].append(floor)
                test = {k[5:]: v for k, v in test_scores(task).items() if k[5:] in metadata["evaluation"]}
                for name, value in test.items():
                    scores[kit].setdefault(name, []).append(value)
                print(f"{source.name:24s} {kit:10s} {seed:5d} {result['wall_s']:8.1f} {result['peak_rss_mb']:8.0f} "
                      f"{floor:8.1f} {result['wall_s'] / floor:10.2f} {result['wall_s'] / shape_floor:16.2f}  "
                      + ", ".join(f"{k} {v:.4f}" for k, v in test.items()), flush=True)
        if walls["heareval"] and walls["original"]:
            ratio = statistics.median(walls["original"]) / statistics.median(walls["heareval"])
            memory = statistics.median(peaks["heareval"]) / statistics.median(peaks["original"])
            per_work = (statistics.median(w / f for w, f in zip(walls["original"], floors["original"]))
                        / statistics.median(w / f for w, f in zip(walls["heareval"], floors["heareval"])))
            print(f"{source.name:24s} medians: original wall / heareval wall = {ratio:.2f}x, per unit of work "
                  f"(wall / floor) = {per_work:.2f}x, heareval peak memory / original = {memory:.2f} (grid {grid})")
        for kit, by_score in scores.items():
            if by_score:
                print(f"{source.name:24s} {kit:10s} test over {len(walls[kit])} seed(s): " + ", ".join(
                    f"{k} {statistics.mean(v):.4f} +- {statistics.pstdev(v):.4f}" for k, v in by_score.items()))
    print(f"outputs under {work}")


if __name__ == "__main__":
    main()
