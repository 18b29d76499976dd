"""Write files and folders under a temporary hidden name, renamed into place when complete.

An output that exists is complete: a crash leaves only hidden `.<name>.tmp-*` leftovers,
which later stages ignore and the next run removes.
"""

import json
import os
import shutil
import socket
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Union

from heareval.errors import UserError

PathLike = Union[str, Path]


HOST = socket.gethostname().replace("-", "_")


def temporary_sibling(final: Path) -> Path:
    """A hidden name that says which host and process writes it, so only dead writers' leftovers go."""
    return final.with_name(f".{final.name}.tmp-{HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def _writer_is_dead(temporary: Path) -> bool:
    parts = temporary.name.rsplit(".tmp-", 1)[-1].split("-")
    if len(parts) != 3 or parts[0] != HOST or not parts[1].isdigit():
        return False  # another machine's (or an unknown) writer: leave it alone
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def remove_stale_temporaries(final: Path) -> None:
    """Remove leftovers of interrupted writes of `final` by processes of this host that no longer run."""
    if final.parent.is_dir():
        for stale in final.parent.glob(f".{final.name}.tmp-*"):
            if _writer_is_dead(stale):
                remove_path(stale)


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


@contextmanager
def atomic_path(final: PathLike, replace: bool = False) -> Iterator[Path]:
    """Yield a temporary path (file or folder) that becomes `final` when the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(final)
    temporary = temporary_sibling(final)
    try:
        yield temporary
        if final.exists() and not replace:
            remove_path(temporary)  # another worker finished the same output first: keep theirs
            return
        if replace and final.exists():
            remove_path(final)
        os.replace(temporary, final)
    except BaseException:
        remove_path(temporary)
        raise


def write_json(path: PathLike, obj: Any, indent: Union[int, bool, None] = True) -> None:
    """Write JSON atomically (1-space indent by default, as the original kit did)."""
    with atomic_path(path, replace=True) as temporary:
        with open(temporary, "w") as f:
            f.write(json.dumps(obj, indent=indent))  # dumps, unlike dump, uses the C encoder


def write_text(path: PathLike, text: str) -> None:
    with atomic_path(path, replace=True) as temporary:
        temporary.write_text(text)


def check_writable(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UserError(f"cannot create {folder}: {error.strerror}") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise UserError(f"folder is not writable: {folder}")
