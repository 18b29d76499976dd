"""Preprocessing side by side with the original hearpreprocess 2021.1.1 on the same corpora.

    python benchmarks/preprocess.py [--scale 0.1] [--tasks speech_commands,nsynth_pitch,dcase2016_task2]
                                    [--rates 16000,22050,44100,48000] [--num-workers 2] [--skip-peer]
    python benchmarks/preprocess.py --real [--rates ...]    # speech_commands, mode small, real recordings
    python benchmarks/preprocess.py --stand-ins libricount,vocal_imitation,... [--rates 16000] [--large]

With --real, the corpora are the original's downsampled archives of real recordings in ../shared/real/
and both kits build mode `small` from them. With --stand-ins, the corpora are heareval's small stand-ins
of the named tasks (in their upstream layouts and under their full mode's names) and both kits build the
tasks' default modes from them; the original runs through benchmarks/peer_task.py, for the tasks it
built through TensorFlow Datasets with TFDS 4.4.0 (PEER_HOME/venv-tfds, benchmarks/install_tfds_peer.sh).
--large builds the stand-ins that define a LARGE size at that size (enough audio for several TFDS shards).

Builds the upstream-layout corpora with ../shared/peer/make_corpora.py, serves them over HTTP on
127.0.0.1, and runs the whole DAG (download included) of heareval and of the peer
(PEER_HOME/venv-pre, see ../shared/peer/install_preprocess_peer.sh) from empty folders.
Prints wall time, CPU time, peak memory, files/s and audio-seconds/s for both, and their ratio; then,
per task, split and rate, how many files the two kits put in the split, how many they share, whether the
shared files have the same labels (events compared as sets) and the same WAV length, and the SNR of our
audio against the original's and the largest sample difference in 16-bit steps (the resamplers differ:
soxr in-process against ffmpeg's soxr; a near-silent file has a low SNR from a 1-2 step difference).
"""

import argparse
import functools
import hashlib
import http.server
import json
import os
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from typing import Optional

import numpy as np
import soundfile as sf
from measure import PEER_DIR, peer_python, run_measured

SAMPLE_DURATION = {"speech_commands": 1.0, "nsynth_pitch": 4.0, "dcase2016_task2": 120.0}


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # one line per request would bury the results
        pass


def serve(folder: Path) -> str:
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def clips_in(tasks_dir: Path) -> int:
    task = next(p for p in tasks_dir.iterdir() if p.is_dir())
    return sum(len(json.loads((task / f"{s}.json").read_text())) for s in ("train", "valid", "test"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--tasks", default="speech_commands,nsynth_pitch,dcase2016_task2")
    parser.add_argument("--rates", default="16000,22050,44100,48000")
    parser.add_argument("--num-workers", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None, help="Folder for corpora and runs (default: a temp dir).")
    parser.add_argument("--skip-peer", action="store_true")
    parser.add_argument("--peer-timeout", type=float, default=3600)
    parser.add_argument("--real", action="store_true", help="speech_commands mode small from ../shared/real/")
    parser.add_argument("--stand-ins", default="", help="Task names: compare on heareval's small stand-ins.")
    parser.add_argument("--large", action="store_true",
                        help="With --stand-ins: the stand-ins at their modules' LARGE size (tfds_gtzan's, ...).")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="heareval-bench-pre-"))
    work.mkdir(parents=True, exist_ok=True)
    if args.stand_ins:
        stand_ins_side_by_side(args.stand_ins.split(","), args.rates, args.num_workers, work, args.peer_timeout,
                               args.large)
        return
    corpora = work / "corpora"
    mode = []
    if args.real:
        args.tasks, mode = "speech_commands", ["--mode", "small"]
        corpora.mkdir(exist_ok=True)
        archives = []
        for archive in sorted((PEER_DIR.parent / "real").glob("speech_commands*.zip")):
            shutil.copyfile(archive, corpora / archive.name)
            archives.append({"file": archive.name, "md5": hashlib.md5(archive.read_bytes()).hexdigest()})
        (corpora / "manifest.json").write_text(json.dumps({"speech_commands": {"archives": archives}}))
    if not (corpora / "manifest.json").is_file():
        tasks_arg = args.tasks
        result = run_measured([sys.executable, str(PEER_DIR / "make_corpora.py"), "--out", str(corpora),
                               "--scale", str(args.scale), "--only", tasks_arg], cwd=work)
        assert result["returncode"] == 0, "make_corpora.py failed"
    manifest = json.loads((corpora / "manifest.json").read_text())  # {corpus: {"archives": [{file, md5}]}}
    entries = [archive for corpus in manifest.values() for archive in corpus["archives"]]
    (corpora / "MD5SUMS").write_text("".join(f"{e['md5']}  {e['file']}\n" for e in entries))
    url = serve(corpora)
    peer = peer_python("venv-pre", "../shared/peer/install_preprocess_peer.sh", args.skip_peer)
    print(f"corpora: scale {args.scale}, rates {args.rates}, {args.num_workers} workers, {os.cpu_count()} CPUs")
    header = f"{'task':16s} {'kit':10s} {'wall s':>8s} {'cpu s':>8s} {'peak MB':>8s} {'files/s':>8s} {'audio s/s':>10s}"
    print(header)
    compared: list = []
    for task in args.tasks.split(","):
        runs = {}
        ours_dir = work / "runs" / f"{task}-heareval"
        shutil.rmtree(ours_dir, ignore_errors=True)
        ours_dir.mkdir(parents=True)
        runs["heareval"] = run_measured(
            [sys.executable, "-m", "heareval.tasks.runner", task, *mode, "--mirror", url, "--sample-rate", args.rates,
             "--num-workers", str(args.num_workers), "--work-dir", "_workdir", "--tasks-dir", "tasks"],
            cwd=ours_dir, log=ours_dir / "run.log")
        assert runs["heareval"]["returncode"] == 0, (ours_dir / "run.log").read_text()[-2000:]
        clips = clips_in(ours_dir / "tasks")
        if peer:
            peer_dir = work / "runs" / f"{task}-peer"
            shutil.rmtree(peer_dir, ignore_errors=True)
            peer_dir.mkdir(parents=True)
            runs["original"] = run_measured(
                [str(peer), str(PEER_DIR / "run_preprocess_peer.py"), task, "--base-url", url, "--manifest",
                 str(corpora / "manifest.json"), "--sample-rates", args.rates, "--num-workers", str(args.num_workers),
                 *mode],
                cwd=peer_dir, log=peer_dir / "run.log", timeout=args.peer_timeout)
        for kit, r in runs.items():
            status = "" if r["returncode"] == 0 else f"  (exit {r['returncode']})"
            print(f"{task:16s} {kit:10s} {r['wall_s']:8.1f} {r['cpu_s']:8.1f} {r['peak_rss_mb']:8.0f} "
                  f"{clips / r['wall_s']:8.2f} {clips * SAMPLE_DURATION[task] / r['wall_s']:10.1f}{status}")
        if "original" in runs:
            ratio = runs["heareval"]["wall_s"] / runs["original"]["wall_s"]
            print(f"{task:16s} {'ratio':10s} wall heareval/original = {ratio:.3f} (1/{1 / ratio:.1f}); {clips} clips")
            if runs["original"]["returncode"] == 0:
                compared.extend(compare_tasks(ours_dir / "tasks", work / "runs" / f"{task}-peer" / "tasks",
                                              [int(r) for r in args.rates.split(",")]))
    if compared:
        print_comparison(compared)


def stand_ins_side_by_side(tasks: list, rates: str, num_workers: int, work: Path, peer_timeout: float,
                           large: bool = False) -> None:
    """Both kits on heareval's small stand-ins of `tasks`, served over HTTP: wall time, then the comparison."""
    from heareval.tasks.small import build_small_corpus

    corpora = work / "stand-ins"
    corpora.mkdir(parents=True, exist_ok=True)
    sums = []
    for task in tasks:
        folder = build_small_corpus(task, work / "generated" / task, large)
        for path in sorted(folder.iterdir()):
            if path.name != "MD5SUMS":
                shutil.copyfile(path, corpora / path.name)
        sums.append((folder / "MD5SUMS").read_text())
    (corpora / "MD5SUMS").write_text("".join(sums))
    url = serve(corpora)
    compared: list = []
    for task in tasks:
        peer = peer_for(task)
        runs = {}
        for kit, command in (("heareval", [sys.executable, "-m", "heareval.tasks.runner", task, "--mirror", url,
                                           "--sample-rate", rates, "--num-workers", str(num_workers),
                                           "--work-dir", "_workdir", "--tasks-dir", "tasks"]),
                             ("original", [str(peer), str(Path(__file__).parent / "peer_task.py"), task, "--base-url",
                                           url, "--md5sums", str(corpora / "MD5SUMS"), "--sample-rates", rates,
                                           "--num-workers", str(num_workers)] if peer else None)):
            if command is None:
                continue
            folder = work / "runs" / f"{task}-{kit}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            runs[kit] = run_measured(command, cwd=folder, log=folder / "run.log", timeout=peer_timeout)
            status = "" if runs[kit]["returncode"] == 0 else f"  (exit {runs[kit]['returncode']}: {folder}/run.log)"
            print(f"{task:22s} {kit:10s} wall {runs[kit]['wall_s']:7.1f} s, peak {runs[kit]['peak_rss_mb']:6.0f} MB"
                  f"{status}", flush=True)
        if all(run["returncode"] == 0 for run in runs.values()) and "original" in runs:
            print_tfds_shards(task, work / "runs" / f"{task}-heareval", work / "runs" / f"{task}-original")
            compared.extend(compare_tasks(work / "runs" / f"{task}-heareval" / "tasks",
                                          work / "runs" / f"{task}-original" / "tasks",
                                          [int(r) for r in rates.split(",")]))
    if compared:
        print_comparison(compared)


def print_tfds_shards(task: str, ours: Path, original: Path) -> None:
    """For a task built through TFDS: the serialized bytes and shards of each split as TFDS's own
    dataset_info.json lists them, beside heareval's computed tfds-export.json."""
    from heareval.tasks.tfds_export import EXPORT_FACTS

    facts_path = next(ours.glob(f"_workdir/*/01-ExtractMetadata/{EXPORT_FACTS}"), None)
    facts = json.loads(facts_path.read_text()) if facts_path else {}
    for info_path in sorted(original.glob("_workdir/*/00-DownloadTFDS/tensorflow-datasets/*/*/dataset_info.json")):
        for split in json.loads(info_path.read_text())["splits"]:
            lengths = [int(n) for n in split.get("shardLengths", [])]
            mine = facts.get(split["name"], {})
            print(f"{task} TFDS split {split['name']}: TFDS 4.4.0 {split['numBytes']} bytes, {len(lengths)} shard(s) "
                  f"of {lengths}; heareval {mine.get('serialized_bytes')} bytes, {mine.get('shards')} shard(s)",
                  flush=True)


def peer_for(task: str) -> Optional[Path]:
    """The original's interpreter for a task: with TensorFlow Datasets where the original built it so."""
    from heareval.tasks.config import task_module

    if "download_urls" in task_module(task).CONFIG:
        return peer_python("venv-pre", "../shared/peer/install_preprocess_peer.sh", False)
    return peer_python("venv-tfds", "benchmarks/install_tfds_peer.sh", False)


def comparable_labels(value):
    """A file's labels; events as a sorted list (the original keeps its shuffled metadata order)."""
    if value and isinstance(value[0], dict):
        return sorted((float(e["start"]), float(e["end"]), str(e["label"])) for e in value)
    return sorted(map(str, value))


def compare_tasks(ours: Path, original: Path, rates: list) -> list:
    """One row per (task, split, rate): the files each kit put in the split and what the shared ones hold."""
    rows = []
    for task_dir in sorted(p for p in original.iterdir() if p.is_dir()):
        mine = ours / task_dir.name
        if not mine.is_dir():
            rows.append({"task": task_dir.name, "split": "(missing in heareval)"})
            continue
        splits = json.loads((task_dir / "task_metadata.json").read_text())["splits"]
        for split in splits:
            theirs_labels = json.loads((task_dir / f"{split}.json").read_text())
            my_labels = json.loads((mine / f"{split}.json").read_text()) if (mine / f"{split}.json").is_file() else {}
            shared = sorted(set(theirs_labels) & set(my_labels))
            same_labels = sum(comparable_labels(theirs_labels[f]) == comparable_labels(my_labels[f]) for f in shared)
            for rate in rates:
                lengths_equal, snrs, largest = 0, [], 0.0
                for name in shared:
                    a, _ = sf.read(mine / str(rate) / split / name, dtype="float64")
                    b, _ = sf.read(task_dir / str(rate) / split / name, dtype="float64")
                    if len(a) != len(b):
                        continue
                    lengths_equal += 1
                    largest = max(largest, float(np.abs(a - b).max()) * 32768) if len(a) else largest
                    noise, signal = float(np.sum((a - b) ** 2)), max(float(np.sum(b ** 2)), 1e-30)
                    snrs.append(float("inf") if noise == 0 else 10 * np.log10(signal / noise))
                rows.append({"task": task_dir.name, "split": split, "rate": rate, "original": len(theirs_labels),
                             "heareval": len(my_labels), "shared": len(shared), "same_labels": same_labels,
                             "same_length": lengths_equal, "max_lsb": largest,
                             "snr_min": min(snrs) if snrs else float("nan"),
                             "snr_median": float(np.median(snrs)) if snrs else float("nan")})
    return rows


def print_comparison(rows: list) -> None:
    print(f"\n{'task':34s} {'split':7s} {'rate':>6s} {'original':>8s} {'heareval':>8s} {'shared':>7s} "
          f"{'labels=':>7s} {'length=':>7s} {'SNR min dB':>10s} {'SNR median':>10s} {'max diff LSB':>12s}")
    for r in rows:
        if "rate" not in r:
            print(f"{r['task']:34s} {r['split']}")
            continue
        print(f"{r['task']:34s} {r['split']:7s} {r['rate']:6d} {r['original']:8d} {r['heareval']:8d} {r['shared']:7d} "
              f"{r['same_labels']:7d} {r['same_length']:7d} {r['snr_min']:10.1f} {r['snr_median']:10.1f} "
              f"{r['max_lsb']:12.0f}")


if __name__ == "__main__":
    main()
