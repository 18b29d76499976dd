"""Readers for the finalized task format (docs/task-format.md), shared by every later stage."""

import json
from pathlib import Path
from typing import Any, Dict, List, Union

from heareval.errors import UserError

PathLike = Union[str, Path]
TASK_METADATA = "task_metadata.json"
LABEL_VOCABULARY = "labelvocabulary.csv"


def is_task_dir(path: Path) -> bool:
    """A task is a visible folder holding task_metadata.json (others are ignored)."""
    return path.is_dir() and not path.name.startswith(".") and (path / TASK_METADATA).is_file()


def load_task_metadata(task_dir: PathLike) -> Dict[str, Any]:
    return read_json(Path(task_dir) / TASK_METADATA)


def read_json(path: PathLike) -> Any:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"missing file: {path}")
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"malformed JSON in {path}: {error}") from None


def label_vocabulary(task_dir: PathLike) -> List[str]:
    """Labels (as strings, the way labels are compared) in idx order."""
    path = Path(task_dir) / LABEL_VOCABULARY
    if not path.is_file():
        raise UserError(f"missing label vocabulary: {path}")
    import pandas as pd  # here, so the embeddings runner starts without pandas

    try:
        frame = pd.read_csv(path, dtype={"label": str})
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise UserError(f"malformed label vocabulary {path}: {error}") from None
    if list(frame.columns) != ["idx", "label"] or list(frame["idx"]) != list(range(len(frame))):
        raise UserError(f"malformed label vocabulary {path}: expected columns idx,label with idx 0..n-1")
    return [str(label) for label in frame["label"]]


def write_label_vocabulary(path: PathLike, labels: List[Any]) -> None:
    from heareval.atomic import write_text

    lines = ["idx,label"] + [f"{i},{label}" for i, label in enumerate(labels)]
    write_text(path, "\n".join(lines) + "\n")


def sorted_labels(labels: List[Any]) -> List[Any]:
    """Python-sorted vocabulary: integers numerically, everything else as strings."""
    unique = set(labels)
    if all(isinstance(label, int) for label in unique):
        return sorted(unique)
    return sorted(unique, key=str)
