"""The GPU paths, checked on a bare CUDA machine in one run (under 8 minutes): embeddings on cuda against the
CPU's, predictions with --gpus 1, --gpus [0] and --jobs 2 against the CPU's scores, peak GPU memory.

The machine needs Python 3.10+ with torch (CUDA), Lightning, numpy and pandas; it needs no network:
heareval's other dependencies come from a folder of wheels downloaded beforehand, on a machine with
network, for CPython 3.12 on manylinux x86_64:

    python3 -m pip download --dest gpu_wheels --python-version 3.12 --no-deps \
        --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 \
        -r benchmarks/gpu_requirements.txt
    python3.12 -m pip wheel --no-deps --wheel-dir gpu_wheels sed_scores_eval==0.0.4 sed_eval==0.2.1 \
        dcase_util==0.2.20

(about 150 MB; the second command builds the wheels PyPI lacks: sed_scores_eval is Cython and has only a
source archive, so a machine without a compiler could not install it). pip installs from the folder only
what the machine lacks. Then:

    python3 benchmarks/gpu_check.py --wheels gpu_wheels [--out DIR]

It refuses to start, naming them, when the wheels lack a distribution the environment does not have.
`--device cpu` rehearses every step on the CPU (for machines without a GPU; the comparisons are then
CPU against CPU).
"""

import argparse
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List

import numpy as np

REPO = Path(__file__).resolve().parents[1]
TASKS = ("speech_commands", "nsynth_pitch", "dcase2016_task2")


def setuptools_installed() -> bool:
    return importlib.util.find_spec("setuptools") is not None


def build_options() -> List[str]:
    """pip builds heareval with the installed setuptools or, where there is none (the venvs of Python 3.12+),
    in an isolated environment with the setuptools wheel from the wheels folder."""
    return ["--no-build-isolation"] if setuptools_installed() else []


def missing_wheels(project: Path, wheels: Path) -> List[str]:
    """What `pip install` of the project would lack with only `wheels` and what is installed: [] when nothing."""
    if not setuptools_installed() and not any(wheels.glob("setuptools-*.whl")):
        return ["setuptools (it builds heareval and this Python has none)"]
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                             *build_options(), "--find-links", str(wheels), "-e", str(project)],
                            capture_output=True, text=True)
    if result.returncode == 0:
        return []
    said = result.stdout + result.stderr
    names = re.findall(r"No matching distribution found for ([^\s]+)", said)
    unavailable = re.search(r"no matching distributions available for your environment:\n((?:[ \t]+\S+\n?)+)",
                            said)
    names += unavailable.group(1).split() if unavailable else []
    return names or [result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "pip failed"]


def run(step: str, command: List[str], cwd: Path, log: Path) -> float:
    """Run a heareval command; stop the check with its log's tail when it fails. Returns seconds."""
    started = time.perf_counter()
    with open(log, "a") as out:
        out.write(f"\n$ {' '.join(command)}\n")
        out.flush()
        result = subprocess.run(command, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"FAILED {step} (exit {result.returncode}); last lines of {log}:\n"
                 + "\n".join(log.read_text().splitlines()[-30:]))
    print(f"  {step}: {seconds:.1f} s", flush=True)
    return seconds


def largest_relative_difference(ours: Path, reference: Path) -> float:
    """max |a - b| / max(1, |b|) over every split's embeddings of every task."""
    largest = 0.0
    for matrix in sorted(reference.rglob("*.embeddings.npy")):
        rows, dims = json.loads(matrix.with_name(matrix.name.replace(".embeddings.npy",
                                                                     ".embedding-dimensions.json")).read_text())
        a = np.fromfile(ours / matrix.relative_to(reference), dtype=np.float32).reshape(rows, dims)
        b = np.fromfile(matrix, dtype=np.float32).reshape(rows, dims)
        largest = max(largest, float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))))
    return largest


def test_scores(embeddings: Path) -> Dict[str, Dict[str, float]]:
    """{task: {"score", "seed_std", "peak_gpu_mb"}} from the predictions stage's own files."""
    scores = {}
    for task in sorted(p for p in embeddings.iterdir() if p.is_dir()):
        report = json.loads((task / "test.predicted-scores.json").read_text())["test"]
        summary = report.get("seed_summary", {}).get("test_score", {})
        cost = json.loads((task / "cost.predictions.json").read_text())
        scores[task.name] = {"score": summary.get("mean", report["test_score"]), "seed_std": summary.get("std", 0.0),
                             "peak_gpu_mb": cost.get("peak_gpu_memory_mb")}
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wheels", type=Path, required=True, help="folder of the downloaded wheels")
    parser.add_argument("--out", type=Path, default=None, help="where the summary goes (default: a temp dir)")
    parser.add_argument("--device", default="cuda", help="cuda, or cpu to rehearse on a machine without a GPU")
    args = parser.parse_args()
    if not args.wheels.is_dir():
        sys.exit(f"error: wheels folder not found: {args.wheels} (see the download command in --help)")
    missing = missing_wheels(REPO, args.wheels)
    if missing:
        sys.exit(f"error: the wheels in {args.wheels} lack {', '.join(missing)}: download them with the "
                 "command in --help; nothing was run")
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit(f"error: --device {args.device}: torch {torch.__version__} sees no CUDA GPU")
    gpu = args.device.startswith("cuda")
    out = args.out or Path(tempfile.mkdtemp(prefix="heareval-gpu-check-"))
    out.mkdir(parents=True, exist_ok=True)
    work, log = out / "work", out / "gpu_check.log"
    work.mkdir(exist_ok=True)
    started = time.perf_counter()
    print(f"GPU check: torch {torch.__version__}, CUDA {torch.version.cuda}, "
          f"{torch.cuda.get_device_name(0) if gpu else 'CPU rehearsal'}; log {log}", flush=True)
    run("install heareval from the wheels", [sys.executable, "-m", "pip", "install", "--quiet", "--no-index",
                                             *build_options(), "--find-links", str(args.wheels), "-e",
                                             str(REPO)], work, log)
    heareval = [sys.executable, "-m"]
    seconds: Dict[str, float] = {}
    seconds["tasks"] = run("small tasks", heareval + ["heareval.tasks.runner", "all", "--small", "--sample-rate",
                                                      "16000", "--work-dir", "w", "--tasks-dir", "tasks"], work, log)
    for device in ("cpu", args.device):
        seconds[f"embeddings {device}"] = run(
            f"embeddings on {device}", heareval + ["heareval.embeddings.runner", "heareval.baseline", "--tasks-dir",
                                                   "tasks", "--embeddings-dir", f"emb-{device}", "--device", device],
            work, log)
    embedding_difference = largest_relative_difference(work / f"emb-{args.device}", work / "emb-cpu")
    gpus_flag = "1" if gpu else "0"
    runs = {"cpu, 3 seeds": ("emb-cpu", ["--gpus", "0", "--seeds", "3"]),
            f"--gpus {gpus_flag}": (f"emb-{args.device}", ["--gpus", gpus_flag]),
            "--gpus [0]": (f"emb-{args.device}", ["--gpus", "[0]" if gpu else "0"]),
            "--jobs 2": (f"emb-{args.device}", ["--gpus", gpus_flag, "--jobs", "2"])}
    results = {}
    for name, (source, options) in runs.items():
        copy = work / f"pred-{re.sub(r'[^a-z0-9]+', '-', name)}"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(work / source, copy)
        module = copy / "heareval.baseline"
        seconds[name] = run(f"predictions {name}", heareval + ["heareval.predictions.runner", str(module),
                                                               "--grid", "fast", *options], work, log)
        results[name] = test_scores(module)
    reference = results["cpu, 3 seeds"]
    rows, failures = [], []
    for name, scores in results.items():
        for task, value in scores.items():
            noise = max(3 * reference[task]["seed_std"], 0.05)
            within = abs(value["score"] - reference[task]["score"]) <= noise
            rows.append((name, task, value["score"], reference[task]["score"], noise, within, value["peak_gpu_mb"]))
            if not within:
                failures.append(f"{name} {task}")
    embeddings_ok = embedding_difference <= 1e-4
    if not embeddings_ok:
        failures.append(f"embeddings differ by {embedding_difference:.2e} (relative)")
    lines = [f"# heareval GPU check: {torch.cuda.get_device_name(0) if gpu else 'CPU rehearsal'}, torch "
             f"{torch.__version__}, CUDA {torch.version.cuda}, numpy {np.__version__}, Python {sys.version.split()[0]}",
             "", f"embeddings {args.device} vs cpu: largest relative difference {embedding_difference:.2e} "
             f"({'within' if embeddings_ok else 'NOT within'} 1e-4)", "",
             "| run | task | test score | cpu mean (3 seeds) | allowed difference | within | peak GPU MB |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r[0]} | {r[1]} | {r[2]:.4f} | {r[3]:.4f} | {r[4]:.4f} | {'yes' if r[5] else 'NO'} | {r[6]} |"
              for r in rows]
    lines += ["", "| step | seconds |", "|---|---|"] + [f"| {k} | {v:.1f} |" for k, v in seconds.items()]
    verdict = "PASSED" if not failures else "FAILED: " + "; ".join(failures)
    lines += ["", f"total {time.perf_counter() - started:.0f} s; {verdict}"]
    (out / "gpu_check.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
