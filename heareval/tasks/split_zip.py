"""Read a split zip archive (`name.z01`, `name.z02`, ..., `name.zip`, as `zip -s` writes them) in process.

The original joined FSD50K's parts with `zip -s 0` first. Here the parts are read as one stream: their
concatenation holds every record, and the central directory gives each entry's offset relative to the
part it starts in, which becomes an offset in the stream. Python's zipfile reads the rest; for a zip64
archive, whose locator says how many parts there are, zipfile is shown a one-part locator.
"""

import io
import struct
import zipfile
from bisect import bisect_right
from contextlib import contextmanager
from pathlib import Path
from typing import Dict, Iterator, List, Sequence

from heareval.errors import UserError

END_OF_CENTRAL_DIRECTORY = b"PK\x05\x06"
ZIP64_LOCATOR = b"PK\x06\x07"
ZIP64_LOCATOR_SIZE = 20
END_RECORD_SIZE = 22
MAX_COMMENT = 65535


class JoinedParts(io.RawIOBase):
    """The parts' bytes as one seekable, read-only stream; `patches` replace bytes at given offsets."""

    def __init__(self, parts: Sequence[Path]) -> None:
        super().__init__()
        self.files = [open(part, "rb") for part in parts]
        sizes = [part.stat().st_size for part in parts]
        self.starts = [sum(sizes[:i]) for i in range(len(sizes))]
        self.size = sum(sizes)
        self.position = 0
        self.patches: Dict[int, bytes] = {}

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise OSError("seek before the start of the archive")
        self.position = base + offset
        return self.position

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        if self.position >= self.size:
            return 0
        part = bisect_right(self.starts, self.position) - 1
        handle = self.files[part]
        handle.seek(self.position - self.starts[part])
        part_end = self.starts[part + 1] if part + 1 < len(self.starts) else self.size
        data = handle.read(min(len(buffer), part_end - self.position))
        data = self.patched(self.position, data)
        buffer[:len(data)] = data
        self.position += len(data)
        return len(data)

    def patched(self, start: int, data: bytes) -> bytes:
        for offset, replacement in self.patches.items():
            lo, hi = max(start, offset), min(start + len(data), offset + len(replacement))
            if lo < hi:
                data = data[:lo - start] + replacement[lo - offset:hi - offset] + data[hi - start:]
        return data

    def close(self) -> None:
        for handle in self.files:
            handle.close()
        super().close()


@contextmanager
def open_split_zip(parts: Sequence[Path]) -> Iterator[zipfile.ZipFile]:
    """The archive whose parts, in order, are `parts` (the `.zip` last), as a ZipFile to read members from."""
    stream = JoinedParts(parts)
    try:
        tail_start = max(0, stream.size - END_RECORD_SIZE - MAX_COMMENT - ZIP64_LOCATOR_SIZE)
        stream.seek(tail_start)
        tail = stream.read()
        end = tail.rfind(END_OF_CENTRAL_DIRECTORY)
        if end < 0:
            raise UserError(f"corrupt archive {parts[-1]}: no end of central directory record")
        directory_disk = struct.unpack("<H", tail[end + 6:end + 8])[0]
        locator = end - ZIP64_LOCATOR_SIZE
        if locator >= 0 and tail[locator:locator + 4] == ZIP64_LOCATOR:
            directory_disk = zip64_directory_disk(stream, tail[locator:end])
            stream.patches[tail_start + locator + 4] = struct.pack("<I", 0)  # the locator's disk: 0
            stream.patches[tail_start + locator + 16] = struct.pack("<I", 1)  # of 1 disk
        if directory_disk >= len(parts):
            raise UserError(f"corrupt archive {parts[-1]}: its central directory starts in part {directory_disk + 1} "
                            f"of {len(parts)}")
        stream.seek(0)
        archive = zipfile.ZipFile(io.BufferedReader(stream, buffer_size=1 << 20))
    except (zipfile.BadZipFile, struct.error, OSError) as error:
        stream.close()
        raise UserError(f"corrupt archive {parts[-1]}: {error}") from None
    try:
        relocate(archive.infolist(), stream.starts, stream.starts[directory_disk], archive.start_dir)
        yield archive
    finally:
        archive.close()
        stream.close()


def zip64_directory_disk(stream: JoinedParts, locator: bytes) -> int:
    """The part in which the central directory starts, from the zip64 end record the locator points to."""
    _, record_disk, record_offset, _ = struct.unpack("<4sIQI", locator)
    stream.seek(stream.starts[record_disk] + record_offset + 20)
    return struct.unpack("<I", stream.read(4))[0]


def relocate(infos: List[zipfile.ZipInfo], starts: List[int], directory_part_start: int, directory: int) -> None:
    """Each entry's offset, which zipfile read as relative to the central directory's part, made relative to
    the part the entry starts in (`volume`)."""
    for info in infos:
        if info.volume >= len(starts):
            raise UserError(f"corrupt split archive: {info.filename} is in part {info.volume + 1} of {len(starts)}")
        info.header_offset = starts[info.volume] + info.header_offset - directory_part_start
    if infos and hasattr(infos[0], "_end_offset"):  # zipfile's overlap check, by the corrected offsets
        ordered = sorted(infos, key=lambda info: info.header_offset)
        for info, following in zip(ordered, ordered[1:] + [None]):
            info._end_offset = following.header_offset if following else directory  # type: ignore[attr-defined]
