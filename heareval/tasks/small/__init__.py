"""Built-in small stand-in corpora, in exactly the upstream archive layouts (for --small).

The machines this project is tested on cannot reach dataset hosts, so each task has a deterministic
generator of a small synthetic corpus whose audio is learnable (distinct sounds per class). The
generated folder is used as a mirror: archives under their upstream names plus an MD5SUMS file.
"""

import gzip
import hashlib
import importlib
import io
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path
from typing import Iterator, List, Tuple

import numpy as np
import soundfile as sf

from heareval.atomic import atomic_path
from heareval.tasks.config import download_files, task_module, upstream_downloads
from heareval.tasks.download import md5_of, upstream_file_name

FIXED_MTIME = 1262304000  # 2010-01-01, so archives are byte-identical across runs
ZIP_DATE = (2016, 1, 1, 0, 0, 0)


def rng_for(*parts: object) -> np.random.Generator:
    """A generator seeded by names, so each sound is reproducible on its own."""
    digest = hashlib.sha256("/".join(map(str, parts)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    buffer = io.BytesIO()
    peak = max(1.0, float(np.max(np.abs(samples))) / 0.9)
    sf.write(buffer, (samples / peak).astype(np.float32), sample_rate, subtype="PCM_16", format="WAV")
    return buffer.getvalue()


def write_tar_gz(path: Path, members: Iterator[Tuple[str, bytes]]) -> None:
    """A reproducible .tar.gz (fixed mtimes and owners, gzip mtime 0)."""
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=1) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as tar:
            directories = set()
            for name, data in members:
                parent = name.rsplit("/", 1)[0] if "/" in name else ""
                if parent and parent not in directories:
                    directories.add(parent)
                    info = tarfile.TarInfo(parent)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, FIXED_MTIME
                    tar.addfile(info)
                info = tarfile.TarInfo(name)
                info.size, info.mode, info.mtime = len(data), 0o644, FIXED_MTIME
                tar.addfile(info, io.BytesIO(data))


def write_zip(path: Path, members: Iterator[Tuple[str, bytes]]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in members:
            zf.writestr(zipfile.ZipInfo(name, date_time=ZIP_DATE), data, compress_type=zipfile.ZIP_DEFLATED)


RAR_MARKER = b"Rar!\x1a\x07\x00"  # RAR 1.5-4.x signature (RAR 5 archives add a byte: \x01\x00)


def rar_block(block_type: int, flags: int, fields: bytes) -> bytes:
    """A RAR 4 block header: CRC16 (the low half of the CRC32 of everything after it), type, flags, size."""
    body = struct.pack("<BHH", block_type, flags, 7 + len(fields)) + fields
    return struct.pack("<H", zlib.crc32(body) & 0xFFFF) + body


def write_rar(path: Path, members: Iterator[Tuple[str, bytes]]) -> None:
    """A RAR 4 archive of stored (uncompressed) members, laid out as the RAR 4 technical note describes:
    the signature, the archive header, one file header plus data per member, the end-of-archive block.
    Nothing here can compress RAR; stored members are what libarchive and unrar read without a licence."""
    dos_time = (ZIP_DATE[0] - 1980) << 25 | ZIP_DATE[1] << 21 | ZIP_DATE[2] << 16
    with open(path, "wb") as out:
        out.write(RAR_MARKER + rar_block(0x73, 0, bytes(6)))
        for name, data in members:
            encoded = name.replace("/", "\\").encode()  # as WinRAR writes: host 2 (Win32), backslashes
            fields = struct.pack("<IIBIIBBHI", len(data), len(data), 2, zlib.crc32(data), dos_time, 20, 0x30,
                                 len(encoded), 0x20) + encoded  # version 2.0, method "store", attribute "archive"
            out.write(rar_block(0x74, 0x8000, fields) + data)
        out.write(rar_block(0x7B, 0x4000, b""))


def harmonic_tone(f0: float, duration: float, sample_rate: int, weights: np.ndarray) -> np.ndarray:
    """A sum of harmonics of f0 (those below Nyquist) with the given relative weights."""
    t = np.arange(int(duration * sample_rate)) / sample_rate
    out = np.zeros_like(t)
    for k, weight in enumerate(weights, start=1):
        if k * f0 < sample_rate / 2 * 0.95:
            out += weight * np.sin(2 * np.pi * k * f0 * t)
    return out


def envelope(n: int, sample_rate: int, attack: float = 0.01, release: float = 0.05) -> np.ndarray:
    env = np.ones(n)
    a, r = max(1, int(attack * sample_rate)), max(1, int(release * sample_rate))
    env[:a] = np.linspace(0, 1, a)[: n]
    env[-r:] *= np.linspace(1, 0, r)[-n:]
    return env


def build_small_corpus(task_name: str, out_dir: Path, large: bool = False) -> Path:
    """Generate (once) the task's small corpus in out_dir with an MD5SUMS file; return out_dir. `large`: the
    size its module's LARGE gives, for side-by-side runs that need more data (TFDS's shards)."""
    out_dir = Path(out_dir)
    if (out_dir / "MD5SUMS").is_file():
        return out_dir
    generator = importlib.import_module(f"heareval.tasks.small.{task_name}")
    with atomic_path(out_dir) as temporary:
        temporary.mkdir()
        generator.build(temporary, **(generator.LARGE if large else {}))
        entries = download_files(upstream_downloads(task_module(task_name).CONFIG))
        names = [upstream_file_name(entry["url"]) for entry in entries]
        lines = [f"{md5_of(temporary / name)}  {name}" for name in names]
        (temporary / "MD5SUMS").write_text("\n".join(lines) + "\n")
    return out_dir


def write_split_zip(folder: Path, stem: str, members: Iterator[Tuple[str, bytes]], data_parts: int) -> List[Path]:
    """A split zip archive as `zip -s` lays it out: `<stem>.z01` ... `<stem>.z<data_parts>` hold the members
    (stored), after the split marker, cut into parts of equal size; `<stem>.zip` the central directory."""
    stream = bytearray(b"PK\x07\x08")
    directory = bytearray()
    count = 0
    dos_time, dos_date = 0, (ZIP_DATE[0] - 1980) << 9 | ZIP_DATE[1] << 5 | ZIP_DATE[2]
    entries = list(members)
    part_size = -(-(4 + sum(30 + len(name.encode()) + len(data) for name, data in entries)) // data_parts)
    for name, data in entries:
        encoded, crc = name.encode(), zlib.crc32(data)
        disk, offset = divmod(len(stream), part_size)
        stream += struct.pack("<4s5H3I2H", b"PK\x03\x04", 10, 0, 0, dos_time, dos_date, crc, len(data), len(data),
                              len(encoded), 0) + encoded + data
        directory += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 10, 10, 0, 0, dos_time, dos_date, crc, len(data),
                                 len(data), len(encoded), 0, 0, disk, 0, 0o644 << 16, offset) + encoded
        count += 1
    data_parts = [bytes(stream[i:i + part_size]) for i in range(0, len(stream), part_size)]
    last = len(data_parts)
    end = struct.pack("<4s4H2IH", b"PK\x05\x06", last, last, count, count, len(directory), 0, 0)
    paths = [folder / f"{stem}.z{i + 1:02d}" for i in range(last)] + [folder / f"{stem}.zip"]
    for path, content in zip(paths, data_parts + [bytes(directory) + end]):
        path.write_bytes(content)
    return paths
