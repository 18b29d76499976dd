"""Embeddings side by side with the original heareval 2021.1.3 embeddings runner on the same tasks.

    python benchmarks/embeddings.py [--scale 0.25] [--modules hearbaseline,heareval.baseline] [--repeats 3]
                                    [--skip-peer]

Generates original-format tasks with ../shared/peer/make_tasks.py (synth_pitch, synth_tags,
synth_events at 44.1 and 16 kHz), then runs each module through both runners over the whole tasks
folder, from empty embedding folders. The peer (PEER_HOME/venv-eval, ../shared/peer/install_peer.sh)
runs heareval.baseline as a standalone copy of heareval/baseline.py, since both kits are named
`heareval`. Prints wall time, CPU time and peak memory of the whole process tree of every run, and the
ratios of the medians over --repeats runs (the two kits alternate, so noise hits both alike), and
what the module alone costs on the same shapes (model_floor.py: start-up and model calls, no files),
the lower bound of any runner.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Dict, List

from measure import PEER_DIR, REPO, peer_python, run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.25)
    parser.add_argument("--modules", default="hearbaseline,heareval.baseline")
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-bench-emb-"))
    work.mkdir(parents=True, exist_ok=True)
    tasks = work / "tasks"
    if not tasks.is_dir():
        result = run_measured([sys.executable, str(PEER_DIR / "make_tasks.py"), "--out", str(tasks), "--scale",
                               str(args.scale), "--sample-rates", "44100,16000"], cwd=work)
        assert result["returncode"] == 0, "make_tasks.py failed"
    standalone = work / "peer_modules"
    standalone.mkdir(exist_ok=True)
    shutil.copyfile(REPO / "heareval" / "baseline.py", standalone / "heareval_baseline_copy.py")
    peer = peer_python("venv-eval", "../shared/peer/install_peer.sh", args.skip_peer)
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore"}
    print(f"tasks: {', '.join(sorted(p.name for p in tasks.iterdir()))} (scale {args.scale}); {os.cpu_count()} CPUs")
    print(f"{'module':20s} {'kit':10s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s}")
    for module in args.modules.split(","):
        runs: Dict[str, List[dict]] = {"heareval": [], "original": [], "model alone": []}
        for _ in range(args.repeats):
            out = work / "runs" / f"{module}-heareval"
            shutil.rmtree(out, ignore_errors=True)
            out.mkdir(parents=True)
            runs["heareval"].append(run_measured(
                [sys.executable, "-m", "heareval.embeddings.runner", module, "--tasks-dir", str(tasks),
                 "--embeddings-dir", "embeddings"], cwd=out, env=quiet, log=out / "run.log"))
            if peer:
                peer_out = work / "runs" / f"{module}-original"
                shutil.rmtree(peer_out, ignore_errors=True)
                peer_out.mkdir(parents=True)
                peer_module = "heareval_baseline_copy" if module == "heareval.baseline" else module
                env = {**quiet, "PYTHONPATH": str(standalone)}
                runs["original"].append(run_measured(
                    [str(peer), "-m", "heareval.embeddings.runner", peer_module, "--tasks-dir", str(tasks),
                     "--embeddings-dir", "embeddings"], cwd=peer_out, env=env, log=peer_out / "run.log"))
            runs["model alone"].append(run_measured(
                [sys.executable, str(REPO / "benchmarks" / "model_floor.py"), module, "--tasks-dir", str(tasks)],
                cwd=work, env=quiet, log=work / "runs" / f"{module}-model-alone.log"))
            for kit in runs:
                if runs[kit]:
                    r = runs[kit][-1]
                    status = "" if r["returncode"] == 0 else f"  (exit {r['returncode']}, see run.log)"
                    print(f"{module:20s} {kit:10s} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} "
                          f"{r['peak_rss_mb']:8.0f}{status}", flush=True)
        if runs["original"]:
            wall = {kit: statistics.median(r["wall_s"] for r in runs[kit]) for kit in runs}
            memory = {kit: statistics.median(r["peak_rss_mb"] for r in runs[kit]) for kit in runs}
            print(f"{module:20s} {'medians':10s} wall {wall['heareval']:.1f} vs {wall['original']:.1f} s, ratio "
                  f"{wall['heareval'] / wall['original']:.2f}; peak memory {memory['heareval']:.0f} vs "
                  f"{memory['original']:.0f} MB, ratio {memory['heareval'] / memory['original']:.2f} "
                  f"(heareval vs original, {args.repeats} run(s)); the model alone (model_floor.py, no reading "
                  f"or writing) {wall['model alone']:.1f} s, {wall['model alone'] / wall['original']:.2f} of the "
                  f"original")
    print(f"outputs under {work}")


if __name__ == "__main__":
    main()
