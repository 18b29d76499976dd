"""`python -m heareval.tasks.sampler TASK`: a small corpus from a full downloaded one, deterministically.

Reads the task's archives from `<work-dir>/downloads/` and writes archives of the same names and
layout, holding a hash-chosen subset of the audio plus every metadata file (filtered to the kept audio),
with an MD5SUMS file: use the folder with `--mirror` to preprocess the small corpus.
"""

import hashlib
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Dict, Iterator, List, Set, Tuple

import click
from tqdm import tqdm

from heareval.atomic import atomic_path
from heareval.errors import UserError, report_user_errors
from heareval.tasks.archive import ARCHIVE_SUFFIXES, load_libarchive
from heareval.tasks.config import task_module, upstream_downloads
from heareval.tasks.download import md5_of, upstream_file_name
from heareval.tasks.small import write_rar, write_tar_gz, write_zip

AUDIO = (".wav", ".flac", ".mp3", ".ogg")


def read_members(archive: Path) -> List[Tuple[str, bytes]]:
    """Every regular file of an archive (name, bytes)."""
    if archive.name.endswith(".rar"):
        return read_rar_members(archive)
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                return [(i.filename, zf.read(i)) for i in zf.infolist() if not i.is_dir()]
        with tarfile.open(archive) as tar:
            return [(m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()]
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as error:
        raise UserError(f"corrupt archive {archive}: {error}") from None


def read_rar_members(archive: Path) -> List[Tuple[str, bytes]]:
    libarchive = load_libarchive(archive)
    try:
        with libarchive.file_reader(str(archive)) as entries:
            return [(entry.pathname, b"".join(entry.get_blocks())) for entry in entries if entry.isreg]
    except libarchive.ArchiveError as error:
        raise UserError(f"corrupt archive {archive}: {error.msg}") from None


def stable_hash(key: str) -> int:
    """A hash that is the same on every machine and Python run (unlike hash())."""
    return int(hashlib.sha256(key.encode("utf-8")).hexdigest()[:16], 16)


def keep_audio(name: str, fraction: float) -> bool:
    """Hash of the file stem: the same files (and their annotation files) are kept on every run."""
    return stable_hash(PurePosixPath(name).stem) % 10000 < fraction * 10000


def filtered_metadata(name: str, data: bytes, dropped_stems: Set[str]) -> bytes:
    """List files and JSON indexes without entries for dropped audio."""
    if name.endswith(".txt") and "annotation" not in name:
        lines = data.decode("utf-8", "replace").splitlines()
        kept = [line for line in lines if PurePosixPath(line.strip()).stem not in dropped_stems]
        return ("\n".join(kept) + ("\n" if kept else "")).encode()
    if name.endswith(".json"):
        try:
            index = json.loads(data)
        except json.JSONDecodeError:
            return data
        if isinstance(index, dict):
            return json.dumps({k: v for k, v in index.items() if k not in dropped_stems}, indent=2).encode()
    return data


def sample_archive(members: List[Tuple[str, bytes]], fraction: float) -> Iterator[Tuple[str, bytes]]:
    audio = [(n, d) for n, d in members if n.lower().endswith(AUDIO)]
    long_noise = [n for n, _ in audio if "_background_noise_" in n]
    kept = {n for n, _ in audio if n in long_noise or keep_audio(n, fraction)}
    dropped_stems = {PurePosixPath(n).stem for n, _ in audio if n not in kept}
    for name, data in members:
        if name.lower().endswith(AUDIO):
            if name in kept:
                yield name, data
        elif re.search(r"annotation/", name) and PurePosixPath(name).stem in dropped_stems:
            continue
        else:
            yield name, filtered_metadata(name, data, dropped_stems)


def sample_task(task_name: str, work_dir: Path, out_dir: Path, fraction: float) -> Path:
    if not 0 < fraction <= 1:
        raise UserError(f"--fraction must be in (0, 1], got {fraction}")
    entries = upstream_downloads(task_module(task_name).CONFIG)
    if any("multipart_zip_urls" in entry for entry in entries):
        raise UserError(f"{task_name}: the sampler reads single archives; this task's audio is a split zip archive")
    names = [upstream_file_name(e["url"]) for e in entries]
    if not all(name.lower().endswith(ARCHIVE_SUFFIXES) for name in names):
        raise UserError(f"{task_name}: the sampler reads archives; this task's recordings are fetched one by one")
    sources = [work_dir / "downloads" / name for name in names]
    for source in sources:
        if not source.is_file():
            raise UserError(f"{source} is missing: download the full corpus first "
                            f"(python -m heareval.tasks.runner {task_name} --work-dir {work_dir})")
    with atomic_path(out_dir, replace=True) as temporary:
        temporary.mkdir()
        sums: Dict[str, str] = {}
        for source in tqdm(sources, desc=f"sample {task_name}", unit="archive"):
            members = sorted(read_members(source))
            writer = {".zip": write_zip, ".rar": write_rar}.get(source.suffix, write_tar_gz)
            writer(temporary / source.name, sample_archive(members, fraction))
            sums[source.name] = md5_of(temporary / source.name)
        (temporary / "MD5SUMS").write_text("".join(f"{md5}  {name}\n" for name, md5 in sums.items()))
    return out_dir


@click.command()
@click.argument("task")
@click.option("--work-dir", default="_workdir", show_default=True, type=click.Path(path_type=Path))
@click.option("--out-dir", default=None, type=click.Path(path_type=Path),
              help="Default: <work-dir>/sampled-corpora/<task>.")
@click.option("--fraction", default=0.05, show_default=True, help="Share of the audio files kept.")
@report_user_errors
def main(task: str, work_dir: Path, out_dir: Path, fraction: float) -> None:
    """Write a small corpus of TASK sampled from its full downloaded archives."""
    task_module(task)
    out = sample_task(task, work_dir, out_dir or work_dir / "sampled-corpora" / task, fraction)
    click.echo(f"{out} (use it with --mirror {out})")


if __name__ == "__main__":
    sys.exit(main())
