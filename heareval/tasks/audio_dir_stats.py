"""Summary statistics of a folder of audio (count, durations, sample rates), as hearpreprocess wrote them."""

import collections
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import click
import numpy as np
import soundfile as sf
from tqdm import tqdm

from heareval.atomic import write_json
from heareval.errors import UserError, report_user_errors

PERCENTILES = (10, 25, 50, 75, 90, 95)
AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif"}


def _info(path: str) -> Optional[Tuple[int, float, int]]:
    """(sample rate, seconds, channels) from the file's header; None when it cannot be read."""
    try:
        info = sf.info(path)
    except (sf.LibsndfileError, RuntimeError):
        return None
    return info.samplerate, info.duration, info.channels


def stats_of_files(paths: List[str], threads: int = 1) -> Dict[str, Any]:
    """Stats of the given audio files with hearpreprocess 2021.1.1's keys (get_audio_dir_stats): count,
    duration {mean, var, and where var > 0 min, max, 10th..95th}, rounded to 2 decimals; samplerates;
    count_mono; and per file extension how many were read and how many failed. Every file is read (its
    header only); the original read a random 1000 and added count_sample."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        infos = list(tqdm(pool.map(_info, paths), total=len(paths), desc="audio stats", unit="file",
                          leave=False, mininterval=1.0, disable=len(paths) < 500))
    read = [info for info in infos if info is not None]
    if paths and not read:
        raise UserError(f"cannot read any audio file, e.g. {paths[0]}")
    succeeded = collections.Counter(Path(p).suffix for p, info in zip(paths, infos) if info is not None)
    failed = collections.Counter(Path(p).suffix for p, info in zip(paths, infos) if info is None)
    stats: Dict[str, Any] = {"count": len(paths)}
    if read:
        durations = np.array([seconds for _, seconds, _ in read], dtype=float)
        duration = {"mean": round(float(durations.mean()), 2), "var": round(float(durations.var()), 2)}
        if durations.var() > 0.0:
            duration.update(min=round(float(durations.min()), 2), max=round(float(durations.max()), 2))
            duration.update({f"{p}th": round(float(np.percentile(durations, p)), 2) for p in PERCENTILES})
        stats["duration"] = duration
    rates = collections.Counter(rate for rate, _, _ in read)
    stats["samplerates"] = {str(rate): count for rate, count in sorted(rates.items())}
    stats["count_mono"] = sum(channels == 1 for _, _, channels in read)
    stats["summary"] = {"successfully_extracted": dict(succeeded), "failed_to_extract": dict(failed)}
    return stats


def audio_dir_stats(in_dir: Path, threads: int = 1) -> Dict[str, Any]:
    """Stats of every audio file under in_dir (recursively)."""
    in_dir = Path(in_dir)
    if not in_dir.is_dir():
        raise UserError(f"not a folder: {in_dir}")
    paths = sorted(str(p) for p in in_dir.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES and p.is_file())
    return stats_of_files(paths, threads)


@click.command()
@click.argument("in_dir", type=click.Path(path_type=Path))
@click.argument("out_json", type=click.Path(path_type=Path))
@report_user_errors
def main(in_dir: Path, out_json: Path) -> None:
    """Write audio stats of IN_DIR to OUT_JSON."""
    stats = audio_dir_stats(in_dir)
    write_json(out_json, stats, indent=2)
    click.echo(f"{stats['count']} audio files; stats in {out_json}", err=True)


if __name__ == "__main__":
    sys.exit(main())
