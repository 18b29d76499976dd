"""Summary statistics of a folder of audio: count, sample rates, duration percentiles."""

import collections
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, List, Tuple

import click
import numpy as np
import soundfile as sf
from tqdm import tqdm

from heareval.atomic import write_json
from heareval.errors import UserError, report_user_errors

AUDIO_SUFFIXES = {".wav", ".flac", ".ogg", ".mp3", ".aiff", ".aif"}


def _info(path: str) -> Tuple[int, float]:
    try:
        info = sf.info(path)
    except (sf.LibsndfileError, RuntimeError) as error:
        raise UserError(f"cannot read audio file {path}: {error}") from None
    return info.samplerate, info.duration


def stats_of_files(paths: List[str], threads: int = 1) -> Dict[str, Any]:
    """Stats of the given audio files, read from their headers only."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        infos = list(tqdm(pool.map(_info, paths), total=len(paths), desc="audio stats", unit="file",
                          leave=False, mininterval=1.0, disable=len(paths) < 500))
    durations = np.array([d for _, d in infos], dtype=float)
    stats: Dict[str, Any] = {
        "audio_count": len(paths),
        "audio_samplerate_count": {str(k): v for k, v in sorted(collections.Counter(r for r, _ in infos).items())},
    }
    if len(durations):
        stats["audio_mean_dur(sec)"] = float(durations.mean())
        stats["audio_median_dur(sec)"] = float(np.median(durations))
        for q in (10, 25, 75, 90):
            stats[f"audio_{q}th_percentile_dur(sec)"] = float(np.percentile(durations, q))
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
    click.echo(f"{stats['audio_count']} audio files; stats in {out_json}", err=True)


if __name__ == "__main__":
    sys.exit(main())
