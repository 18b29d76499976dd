"""The embeddings folder (docs/embeddings-format.md): its file names, how its files are read, and when a
folder is complete. Written by the embeddings stage, read by the predictions stage."""

import json
import logging
import pickle
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from slugify import slugify

from heareval.errors import UserError
from heareval.taskformat import load_task_metadata, read_json

logger = logging.getLogger(__name__)

DONE_MARKER = ".done.embeddings"
COST = "cost.embeddings.json"
PROFILE = "profile.embeddings.json"


def matrix_file(split: str) -> str:
    return f"{split}.embeddings.npy"


def dimensions_file(split: str) -> str:
    return f"{split}.embedding-dimensions.json"


def labels_file(split: str) -> str:
    return f"{split}.target-labels.pkl"


def timestamps_file(split: str) -> str:
    return f"{split}.filename-timestamps.json"


def filenames_file(split: str) -> str:
    return f"{split}.filenames.json"


def read_dimensions(task_dir: Path, split: str) -> Tuple[int, int]:
    """(rows, dimension) of a split's embedding matrix, from its dimensions file."""
    path = task_dir / dimensions_file(split)
    if not path.is_file():
        raise UserError(f"missing embedding file: {path}")
    dims = read_json(path)
    if not (isinstance(dims, list) and len(dims) == 2 and all(isinstance(d, int) and d >= 0 for d in dims)):
        raise UserError(f"malformed {path}: expected [rows, dimension]")
    return dims[0], dims[1]


def matrix_size_problem(task_dir: Path, split: str, rows: int, dimension: int) -> Optional[str]:
    """Why a split's matrix file does not hold rows x dimension float32 values; None when it does."""
    matrix = task_dir / matrix_file(split)
    size, expected = matrix.stat().st_size, rows * dimension * 4
    if size == expected:
        return None
    return (f"{matrix} holds {size} bytes, but {dimensions_file(split)} says {rows} x {dimension} float32 "
            f"({expected} bytes): truncated or mismatched")


class PlainDataUnpickler(pickle.Unpickler):
    """Reads plain data only (lists, strings, numbers: all a label file holds): a pickle that names a class
    or function, which is how a crafted one runs code, is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"it names {module}.{name}; a label file holds only lists of labels")


def read_row_labels(path: Path) -> List[Any]:
    """A split's label pickle: one list of labels per embedding row."""
    if not path.is_file():
        raise UserError(f"missing label file: {path}")
    try:
        with open(path, "rb") as f:
            row_labels = PlainDataUnpickler(f).load()
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError) as error:
        raise UserError(f"malformed label file {path}: {error}") from None
    if not isinstance(row_labels, list):
        raise UserError(f"malformed label file {path}: it holds {type(row_labels).__name__}, not a list")
    return row_labels


def short_file(task_dir: Path) -> Optional[str]:
    """Why the folder is not complete by the format itself, naming the file; None when complete: every
    split's matrix holds rows x dims x 4 bytes, its label list (and, for event tasks, its timestamps list)
    one entry per row."""
    metadata = load_task_metadata(task_dir)
    for split in metadata.splits:
        rows, dimension = read_dimensions(task_dir, split)
        matrix = task_dir / matrix_file(split)
        if not matrix.is_file():
            return f"{matrix} is missing"
        size_problem = matrix_size_problem(task_dir, split, rows, dimension)
        if size_problem:
            return size_problem
        labels = read_row_labels(task_dir / labels_file(split))
        if len(labels) != rows:
            return f"{task_dir / labels_file(split)} has {len(labels)} label rows for {rows} embedding rows"
        if metadata.is_event:
            stamps_path = task_dir / timestamps_file(split)
            if not stamps_path.is_file():
                return f"{stamps_path} is missing"
            stamps = read_json(stamps_path)
            if not isinstance(stamps, list) or len(stamps) != rows:
                count = len(stamps) if isinstance(stamps, list) else "no list of"
                return f"{stamps_path} has {count} rows for {rows} embedding rows"
    return None


def check_complete(task_dir: Path) -> None:
    """Refuse an incomplete embeddings folder. The marker says complete; without it (folders of earlier
    releases of the original kit, of other tools, of a user's own script) the format decides, with a
    warning."""
    if (task_dir / DONE_MARKER).is_file():
        return
    problem = short_file(task_dir)
    if problem:
        raise UserError(f"{task_dir}: embeddings are incomplete ({problem}); rerun the embeddings runner")
    logger.warning("%s has no %s marker; its files are complete by the format, so it is used", task_dir,
                   DONE_MARKER)


def module_dir_name(module_name: str, options: Optional[Dict[str, Any]] = None) -> str:
    """`<module>` or, with model options, `<module>-<slug of the options>` (as the original kit named it)."""
    if not options:
        return module_name
    return f"{module_name}-{slugify(json.dumps(options, sort_keys=True))}"
