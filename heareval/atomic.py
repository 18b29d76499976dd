"""Write files and folders under a temporary hidden name, renamed into place when complete.

An output that exists is complete: a crash leaves only hidden `.<name>.tmp-*` leftovers,
which later stages ignore and the next run removes.
"""

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Union

PathLike = Union[str, Path]


def temporary_sibling(final: Path) -> Path:
    return final.with_name(f".{final.name}.tmp-{uuid.uuid4().hex[:8]}")


def remove_stale_temporaries(final: Path) -> None:
    """Remove leftovers of interrupted writes of `final`."""
    if final.parent.is_dir():
        for stale in final.parent.glob(f".{final.name}.tmp-*"):
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
        if replace and final.exists():
            remove_path(final)
        os.replace(temporary, final) if temporary.is_file() else os.rename(temporary, final)
    except BaseException:
        remove_path(temporary)
        raise


def write_json(path: PathLike, obj: Any, indent: Union[int, bool, None] = True) -> None:
    """Write JSON atomically (1-space indent by default, as the original kit did)."""
    with atomic_path(path, replace=True) as temporary:
        with open(temporary, "w") as f:
            json.dump(obj, f, indent=indent)


def write_text(path: PathLike, text: str) -> None:
    with atomic_path(path, replace=True) as temporary:
        temporary.write_text(text)
