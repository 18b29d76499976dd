"""Peak memory of preprocessing a full task at two corpus sizes: it should not grow with the corpus.

    python benchmarks/preprocess_memory.py [--scales 8,32] [--seconds 60] [--workers 2] [--work DIR]

Builds the Beehive stand-in (four RAR archives in the upstream layout) with SCALE recordings of each
state per archive, of SECONDS each, and runs `python -m heareval.tasks.runner beehive_states_fold0 --mode
full --sample-rate 16000` on it, a whole process tree measured by measure.py. Mode full pads every recording
to the task's 600 s, as the original did, so each output file is a full 10-minute clip. Prints, per scale,
the files, the input and output sizes, wall time and the peak summed RSS, and the ratios between scales.
"""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from measure import REPO, run_measured

sys.path.insert(0, str(REPO))
from heareval.tasks.beehive_states_fold0 import RECORDINGS  # noqa: E402
from heareval.tasks.download import md5_of  # noqa: E402
from heareval.tasks.small import write_rar  # noqa: E402
from heareval.tasks.small.beehive_states_fold0 import archive  # noqa: E402


def mirror_of(folder: Path, per_state: int, seconds: float) -> Path:
    folder.mkdir(parents=True)
    for _, _, name, _, _ in RECORDINGS:
        write_rar(folder / f"{name}.rar", archive(name, per_state, seconds))
    (folder / "MD5SUMS").write_text("".join(f"{md5_of(p)}  {p.name}\n" for p in sorted(folder.glob("*.rar"))))
    return folder


def size_mb(folder: Path, pattern: str) -> float:
    return sum(p.stat().st_size for p in folder.rglob(pattern) if p.is_file()) / 2 ** 20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="8,32", help="recordings of each state per archive, comma-separated")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", default="")
    args = parser.parse_args()
    work = Path(args.work or tempfile.mkdtemp(prefix="heareval-preprocess-memory-"))
    rows = []
    for scale in (int(s) for s in args.scales.split(",")):
        folder = work / f"scale{scale}"
        if folder.exists():
            shutil.rmtree(folder)
        mirror = mirror_of(folder / "mirror", scale, args.seconds)
        command = [sys.executable, "-m", "heareval.tasks.runner", "beehive_states_fold0", "--mode", "full",
                   "--mirror", str(mirror), "--sample-rate", "16000", "--num-workers", str(args.workers),
                   "--work-dir", str(folder / "w"), "--tasks-dir", str(folder / "tasks")]
        measured = run_measured(command, REPO, log=folder / "run.log")
        if measured["returncode"]:
            raise SystemExit(f"scale {scale} failed; see {folder / 'run.log'}")
        task = next((folder / "tasks").iterdir())
        rows.append({"scale": scale, "files": len(list(task.rglob("*.wav"))),
                     "input_mb": size_mb(mirror, "*.rar"), "output_mb": size_mb(task, "*.wav"), **measured})
        shutil.rmtree(folder / "w")  # the extracted and intermediate audio: only the measurement is kept
    print("| recordings per state and archive | files | input MB | output MB | wall s | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        print(f"| {row['scale']} | {row['files']} | {row['input_mb']:.0f} | {row['output_mb']:.0f} | "
              f"{row['wall_s']:.1f} | {row['peak_rss_mb']:.0f} |")
    first, last = rows[0], rows[-1]
    print(f"files x{last['files'] / first['files']:.2f}: wall x{last['wall_s'] / first['wall_s']:.2f}, "
          f"peak RSS x{last['peak_rss_mb'] / first['peak_rss_mb']:.2f}")


if __name__ == "__main__":
    main()
