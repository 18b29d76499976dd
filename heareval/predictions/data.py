"""Read one split of an embedding task folder (docs/embeddings-format.md), checking it thoroughly."""

import logging
import mmap
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, List, Optional, Tuple, Union

import numpy as np

from heareval.embeddingformat import (
    labels_file,
    matrix_file,
    matrix_size_problem,
    read_dimensions,
    read_row_labels,
    timestamps_file,
)
from heareval.errors import UserError
from heareval.taskformat import LABEL_VOCABULARY, is_finite_number, label_vocabulary, load_task_metadata, read_json

logger = logging.getLogger(__name__)


@dataclass
class SplitData:
    """Embeddings (N, D), targets (N, L) multi-hot, and for event tasks each row's file and time (ms)."""

    name: str
    embeddings: Union[np.ndarray, "StackedRows"]  # an array, a memmap, or memmaps stacked (k-fold, --memmap)
    targets: np.ndarray
    filenames: Optional[List[str]] = None
    timestamps: Optional[np.ndarray] = None


def empty_matrix(shape: Tuple[int, ...]) -> np.ndarray:
    """An uninitialized float32 array in memory advised to use transparent huge pages, where the OS has
    them (512 times fewer page faults to fill it). Elsewhere a plain array."""
    size = int(np.prod(shape)) * 4
    if size == 0 or not hasattr(mmap, "MADV_HUGEPAGE"):
        return np.empty(shape, dtype=np.float32)
    memory = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    memory.madvise(mmap.MADV_HUGEPAGE)
    return np.frombuffer(memory, dtype=np.float32).reshape(shape)


def mapped_matrix(path: Path, shape: Tuple[int, int]) -> np.ndarray:
    """A raw float32 file as an array over its own pages in the OS file cache, copy-on-write: writes to the
    array never reach the file. Read into fresh memory instead, the file was held twice, and on a VM every
    fresh page cost time (1 GB: 0.24-3.0 s against 0.14 s mapped, 0.3-0.5 s from disk); batches gather
    from both equally fast. The embedding stages replace files by renaming, so the pages stay the ones
    mapped; a file rewritten in place while it trains would not. A plain ndarray, not a np.memmap: in
    memory, k-fold training folds are still copied together."""
    with open(path, "rb") as f:
        memory = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY)
    if hasattr(mmap, "MADV_WILLNEED"):
        memory.madvise(mmap.MADV_WILLNEED)  # read ahead of the first pass over it
    return np.frombuffer(memory, dtype=np.float32).reshape(shape)


def embedding_matrix(task_dir: Path, split: str, in_memory: bool) -> np.ndarray:
    matrix_path = task_dir / matrix_file(split)
    if not matrix_path.is_file():
        raise UserError(f"missing embedding file: {matrix_path}")
    rows, dimension = read_dimensions(task_dir, split)
    size_problem = matrix_size_problem(task_dir, split, rows, dimension)
    if size_problem:
        raise UserError(size_problem)
    if rows == 0 or dimension == 0:
        raise UserError(f"{matrix_path} holds no embeddings ({rows} x {dimension})")
    if in_memory:  # the check below reads every page, so the whole file is in memory when training starts
        matrix = mapped_matrix(matrix_path, (rows, dimension))
    else:
        matrix = np.memmap(matrix_path, dtype=np.float32, mode="r", shape=(rows, dimension))
    for start in range(0, rows, 4096):  # checked in chunks: memory stays bounded
        block = matrix[start:start + 4096]
        if not np.isfinite(block).all():
            bad = int(np.argmax(~np.isfinite(block).all(axis=1)))
            raise UserError(f"{matrix_path}: embedding row {start + bad} contains NaN or Inf")
        if not in_memory:
            release_pages(matrix)
    return matrix


def release_pages(matrix: Any) -> None:
    """Let the pages read so far of a memmap (or of every memmap under StackedRows) leave this process's
    resident memory: they are read from the file again if needed, so a pass over a file larger than memory
    holds one chunk at a time."""
    for part in getattr(matrix, "parts", [matrix]):
        mapping = getattr(part, "_mmap", None)
        if mapping is not None and hasattr(mmap, "MADV_DONTNEED"):
            mapping.madvise(mmap.MADV_DONTNEED)


def multi_hot(row_labels: List[List[Any]], vocabulary: List[str], source: Path) -> np.ndarray:
    index = {label: i for i, label in enumerate(vocabulary)}
    targets = np.zeros((len(row_labels), len(vocabulary)), dtype=np.float32)
    for row, labels in enumerate(row_labels):
        for label in labels:
            position = index.get(str(label))
            if position is None:
                raise UserError(f"{source}: label {label!r} (row {row}) is not in {LABEL_VOCABULARY}")
            targets[row, position] = 1.0
    return targets


def load_split(task_dir: Path, split: str, in_memory: bool = True) -> SplitData:
    metadata = load_task_metadata(task_dir)
    vocabulary = label_vocabulary(task_dir)
    embeddings = embedding_matrix(task_dir, split, in_memory)
    labels_path = task_dir / labels_file(split)
    row_labels = read_row_labels(labels_path)
    if len(row_labels) != len(embeddings):
        raise UserError(f"{labels_path} has {len(row_labels)} label rows but the embeddings have "
                        f"{len(embeddings)} rows")
    targets = multi_hot(row_labels, vocabulary, labels_path)
    if metadata.is_multiclass and not (targets.sum(axis=1) == 1).all():
        row = int(np.argmax(targets.sum(axis=1) != 1))
        raise UserError(f"{labels_path}: multiclass task but row {row} has {int(targets[row].sum())} labels")
    data = SplitData(split, embeddings, targets)
    if metadata.is_event:
        stamps_path = task_dir / timestamps_file(split)
        stamps = read_json(stamps_path)
        if not isinstance(stamps, list) or len(stamps) != len(embeddings):
            count = len(stamps) if isinstance(stamps, list) else "no list of"
            raise UserError(f"{stamps_path} has {count} rows but the embeddings have {len(embeddings)}")
        for row, stamp in enumerate(stamps):
            if not (isinstance(stamp, list) and len(stamp) == 2 and isinstance(stamp[0], str)
                    and is_finite_number(stamp[1])):
                raise UserError(f"{stamps_path}: row {row} is {stamp!r}, not [file name, time in ms]")
        data.filenames = [os.path.basename(name) for name, _ in stamps]
        data.timestamps = np.array([t for _, t in stamps], dtype=np.float64)
    return data


class StackedRows:
    """Several row matrices read as one without copying them: k-fold training folds stay in their memmaps.
    Indexing (a slice or row numbers) returns the rows as one array, as a memmap's would."""

    def __init__(self, parts: List[np.ndarray]) -> None:
        self.parts = parts
        self.offsets = np.cumsum([0] + [len(part) for part in parts])
        self.shape = (int(self.offsets[-1]),) + tuple(parts[0].shape[1:])
        self.dtype = parts[0].dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, index: Any) -> np.ndarray:
        rows = np.arange(len(self))[index] if isinstance(index, slice) else np.asarray(index)
        part_of_row = np.searchsorted(self.offsets, rows, side="right") - 1
        out = np.empty((len(rows),) + self.shape[1:], dtype=self.dtype)
        for part in np.unique(part_of_row):
            chosen = part_of_row == part
            out[chosen] = self.parts[part][rows[chosen] - self.offsets[part]]
        return out


def fold_buffer(parts_per_fold: List[List[SplitData]]) -> Optional[np.ndarray]:
    """Memory for the largest of several k-fold training sets, touched now, for `concatenate` to copy each
    into in turn; None where concatenate copies nothing (a single split, or memmaps that it stacks).
    Touched, it counts as taken: with --jobs it is made under the workers' lock, so the next worker's memory
    check sees it."""
    copied = [parts for parts in parts_per_fold
              if len(parts) > 1 and not all(isinstance(p.embeddings, np.memmap) for p in parts)]
    if not copied:
        return None
    rows = max(sum(len(p.embeddings) for p in parts) for parts in copied)
    buffer = empty_matrix((rows,) + tuple(copied[0][0].embeddings.shape[1:]))
    buffer.fill(0)
    return buffer


def concatenate(parts: List[SplitData], name: str, buffer: Optional[np.ndarray] = None) -> SplitData:
    """Several splits as one (k-fold training folds): copied into one array (the first rows of `buffer`,
    from fold_buffer, where given), or stacked where they are memmaps, so that --memmap never loads a whole
    training set."""
    if len(parts) == 1:
        return parts[0]
    if all(isinstance(p.embeddings, np.memmap) for p in parts):
        embeddings: Any = StackedRows([p.embeddings for p in parts])
    else:
        arrays = [np.asarray(p.embeddings) for p in parts]
        rows = sum(len(a) for a in arrays)
        out = buffer[:rows] if buffer is not None else empty_matrix((rows,) + arrays[0].shape[1:])
        embeddings = np.concatenate(arrays, out=out)
    data = SplitData(name, embeddings, np.concatenate([p.targets for p in parts]))
    if parts[0].filenames is not None:
        data.filenames = sum((p.filenames for p in parts), [])
        data.timestamps = np.concatenate([p.timestamps for p in parts])
    return data
