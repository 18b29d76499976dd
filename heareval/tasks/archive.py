"""Extract untrusted tar, zip and RAR archives, refusing members that would escape the target folder."""

import gzip
import os
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from types import ModuleType
from typing import Sequence

from tqdm import tqdm

from heareval.errors import UserError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar", ".zip", ".rar")


def check_member(archive: Path, name: str, link_target: str = "", is_hardlink: bool = False) -> None:
    """Refuse absolute paths, `..` components and links pointing outside the folder."""
    member = PurePosixPath(name.replace("\\", "/"))
    if member.is_absolute() or name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        raise UserError(f"unsafe archive {archive}: member {name!r} has an absolute path")
    if ".." in member.parts:
        raise UserError(f"unsafe archive {archive}: member {name!r} contains '..'")
    if link_target:
        target = PurePosixPath(link_target)
        base = PurePosixPath() if is_hardlink else member.parent
        resolved = os.path.normpath(str(base / target))
        if target.is_absolute() or resolved == ".." or resolved.startswith("../"):
            raise UserError(f"unsafe archive {archive}: link {name!r} points outside the folder ({link_target!r})")


def extract_archive(archive: Path, target: Path) -> None:
    """Extract `archive` into the (new) folder `target`; a UserError names a bad archive."""
    target.mkdir(parents=True, exist_ok=True)
    name = archive.name.lower()
    try:
        if name.endswith(".zip"):
            _extract_zip(archive, target)
        elif name.endswith((".tar.gz", ".tgz", ".tar")):
            _extract_tar(archive, target)
        elif name.endswith(".rar"):
            _extract_rar(archive, target)
        else:
            raise UserError(f"unsupported archive type: {archive} (expected one of {', '.join(ARCHIVE_SUFFIXES)})")
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError) as error:
        raise UserError(f"corrupt archive {archive}: {error}") from None


def _extract_tar(archive: Path, target: Path) -> None:
    with tarfile.open(archive) as tar:
        members = tar.getmembers()
        for member in members:
            if member.isdev() or member.isfifo():
                raise UserError(f"unsafe archive {archive}: member {member.name!r} is a device or fifo")
            check_member(archive, member.name, member.linkname if (member.issym() or member.islnk()) else "",
                         is_hardlink=member.islnk())
        extra = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
        for member in tqdm(members, desc=f"extract {archive.name}", unit="file", leave=False, mininterval=1.0):
            tar.extract(member, target, **extra)


def _extract_rar(archive: Path, target: Path) -> None:
    """RAR 4 and 5 through libarchive, streamed: each member is checked before it is written. Only files and
    folders are taken (the corpora hold nothing else); a link or device is refused."""
    libarchive = load_libarchive(archive)
    try:
        with libarchive.file_reader(str(archive)) as entries:
            for entry in tqdm(entries, desc=f"extract {archive.name}", unit="file", leave=False, mininterval=1.0):
                name = entry.pathname
                check_member(archive, name)
                if entry.isdir:
                    (target / name).mkdir(parents=True, exist_ok=True)
                    continue
                if not entry.isreg:
                    raise UserError(f"unsafe archive {archive}: member {name!r} is not a file or a folder")
                destination = target / name
                destination.parent.mkdir(parents=True, exist_ok=True)
                with open(destination, "wb") as out:
                    for block in entry.get_blocks():
                        out.write(block)
    except libarchive.ArchiveError as error:
        raise UserError(f"corrupt archive {archive}: {error.msg}") from None


def load_libarchive(archive: Path) -> ModuleType:
    """libarchive-c, over the system's libarchive (which reads RAR); a clear message where it is missing."""
    try:
        import libarchive
    except (ImportError, OSError, AttributeError) as error:
        raise UserError(f"{archive}: reading RAR archives needs the libarchive library (Debian and Ubuntu: "
                        f"apt-get install libarchive13; macOS: brew install libarchive): {error}") from None
    return libarchive


def _extract_zip(archive: Path, target: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        extract_zip_members(zf, archive, target)


def extract_zip_members(zf: zipfile.ZipFile, archive: Path, target: Path) -> None:
    """Every member of an open zip archive into target, after checking that none escapes it."""
    infos = zf.infolist()
    for info in infos:
        link_target = ""
        if stat.S_ISLNK(info.external_attr >> 16):
            link_target = zf.read(info).decode("utf-8", "replace")
        check_member(archive, info.filename, link_target)
    for info in tqdm(infos, desc=f"extract {archive.name}", unit="file", leave=False, mininterval=1.0):
        zf.extract(info, target)


def extract_split_zip(parts: Sequence[Path], target: Path) -> None:
    """Extract the split zip archive whose parts, in order, are `parts` into the (new) folder `target`."""
    from heareval.tasks.split_zip import open_split_zip

    target.mkdir(parents=True, exist_ok=True)
    try:
        with open_split_zip(parts) as zf:
            extract_zip_members(zf, parts[-1], target)
    except (zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise UserError(f"corrupt archive {parts[-1]}: {error}") from None
