"""Third-party HEAR modules written by the tests, importable by name."""

import sys
import textwrap
from pathlib import Path


def write_module(folder: Path, name: str, source: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.py").write_text(textwrap.dedent(source))
    sys.modules.pop(name, None)
    return name
