"""Compute one task's embeddings into the layout of docs/embeddings-format.md.

Audio is read by a DataLoader (workers, prefetch) in batches of equal length; embeddings go
straight into the split's raw float32 memmap, so memory stays bounded whatever the task size.
"""

import ctypes
import json
import logging
import os
import pickle
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset
from tqdm import tqdm

from heareval import audio
from heareval.atomic import atomic_path, write_json
from heareval.cost import measure_cost
from heareval.embeddingformat import (
    COST,
    DONE_MARKER,
    PROFILE,
    dimensions_file,
    filenames_file,
    labels_file,
    matrix_file,
    timestamps_file,
)
from heareval.embeddings.hear_api import HearModel, embed, in_order
from heareval.errors import UserError
from heareval.taskformat import (
    LABEL_VOCABULARY,
    TASK_METADATA,
    label_vocabulary,
    load_task_metadata,
    read_split_labels,
    split_labels_file,
)

logger = logging.getLogger(__name__)


def available_rates(task_dir: Path) -> List[int]:
    return sorted(int(p.name) for p in task_dir.iterdir() if p.is_dir() and p.name.isdigit())


def source_rate(task_dir: Path, rate: int, strict: bool) -> int:
    """The rate to read: the model's own, else (unless strict) the closest higher one; never upsampled."""
    rates = available_rates(task_dir)
    if rate in rates:
        return rate
    higher = [r for r in rates if r > rate]
    if strict or not higher:
        reason = "--strict-sample-rate is set" if strict and higher else "no higher rate to resample from"
        raise UserError(f"task {task_dir.name} has no {rate} Hz audio ({reason}); it has "
                        f"{', '.join(map(str, rates)) or 'no audio folders'}")
    return min(higher)


class SplitAudio(Dataset):
    """One split's audio as batches of equal length, item k being batch k: (file indices, float32 tensor
    (files, samples)) at the model's rate. Files are decoded straight into the batch when no conversion
    is needed (no per-file arrays, no stacking copy), else resampled or downmixed on the fly."""

    def __init__(self, paths: List[Path], lengths: List[int], batches: List[List[int]], from_rate: int,
                 to_rate: int) -> None:
        self.paths, self.lengths, self.batches = paths, lengths, batches
        self.from_rate, self.to_rate = from_rate, to_rate

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, k: int) -> Tuple[List[int], torch.Tensor]:
        indices = self.batches[k]
        batch = np.empty((len(indices), self.lengths[indices[0]]), dtype=np.float32)
        for row, index in zip(batch, indices):
            self.read_into(index, row)
        return indices, torch.from_numpy(batch)

    def read_into(self, index: int, row: np.ndarray) -> None:
        path = self.paths[index]
        samples, rate = audio.read_audio(path, out=row if self.from_rate == self.to_rate else None)
        if rate != self.from_rate:
            raise UserError(f"{path} is {rate} Hz, expected {self.from_rate} Hz")
        if samples is not row:
            samples = audio.resample(audio.to_mono(samples), rate, self.to_rate)
            if len(samples) != len(row):
                raise UserError(f"{path}: {len(samples)} samples at {self.to_rate} Hz, its header said {len(row)}")
            row[:] = samples


def prefetched_batches(dataset: SplitAudio, ahead: int = 2) -> Iterator[Tuple[List[int], torch.Tensor]]:
    """Batches read by a background thread, `ahead` batches in advance (soundfile and soxr release the
    GIL): reading overlaps the model without worker processes. (A second reading thread was measured:
    no faster on 2 cores, and more memory.)"""
    with ThreadPoolExecutor(1) as reader:
        pending = [reader.submit(dataset.__getitem__, k) for k in range(min(ahead, len(dataset)))]
        for k in range(len(dataset)):
            result = pending.pop(0).result()
            if k + ahead < len(dataset):
                pending.append(reader.submit(dataset.__getitem__, k + ahead))
            yield result


class BackgroundWriter:
    """Appends blocks to a file from a background thread (file writes release the GIL), so writing
    overlaps the model; at most `ahead` blocks wait, which bounds memory."""

    def __init__(self, path: Path, ahead: int = 2) -> None:
        self.file = open(path, "wb")
        self.pool = ThreadPoolExecutor(1)
        self.pending: List[Any] = []
        self.ahead = ahead

    def write(self, block: np.ndarray) -> None:
        self.pending.append(self.pool.submit(self.file.write, np.ascontiguousarray(block, dtype=np.float32).data))
        while len(self.pending) > self.ahead:
            self.pending.pop(0).result()

    def close(self) -> None:
        try:
            for future in self.pending:
                future.result()
        finally:
            self.pool.shutdown()
            self.file.close()


def share_one_malloc_arena() -> None:
    """glibc gives each thread that allocates (the audio reader, the embedding writer) its own malloc arena,
    whose freed memory the others never reuse; one arena measured 10-15% lower peak memory, no slower.
    Arenas are made lazily, so this holds for the threads started after it. A no-op without glibc."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


def equal_length_batches(lengths: List[int], batch_size: int) -> List[List[int]]:
    """Indices grouped by exact length (no padding changes any embedding), in chunks of batch_size."""
    groups: Dict[int, List[int]] = {}
    for index, length in enumerate(lengths):
        groups.setdefault(length, []).append(index)
    return [members[i:i + batch_size] for _, members in sorted(groups.items())
            for i in range(0, len(members), batch_size)]


def frame_labels(events: List[Dict[str, Any]], timestamps: np.ndarray) -> List[List[Any]]:
    """Each frame's labels: the events whose [start, end] (ms) contain its timestamp."""
    labels: List[List[Any]] = [[] for _ in timestamps]
    for event in events:
        inside = np.nonzero((timestamps >= event["start"]) & (timestamps <= event["end"]))[0]
        for i in inside:
            if event["label"] not in labels[i]:
                labels[i].append(event["label"])
    return labels


def default_batch_size(sample_duration: Optional[float]) -> int:
    return max(1, int(64 / max(1.0, sample_duration or 10.0)))


def embed_split(hear: HearModel, task_dir: Path, out_dir: Path, final_dir: Path, split: str, embedding_type: str,
                split_labels: Dict[str, List[Any]], rate: int, device: str, batch_size: int, num_workers: int,
                model_threads: int = 1) -> int:
    """Write the split's files; return its number of embedding rows. split_labels: the split's `<split>.json`."""
    names = sorted(split_labels)
    paths = [task_dir / str(rate) / split / name for name in names]
    for path in paths:
        if not path.is_file():
            raise UserError(f"audio file listed in {task_dir / split_labels_file(split)} is missing: {path}")
    ratio = hear.sample_rate / rate
    lengths = [int(np.ceil(audio.frame_count(path) * ratio)) for path in paths]
    dataset = SplitAudio(paths, lengths, equal_length_batches(lengths, batch_size), rate, hear.sample_rate)
    if num_workers:
        loader: Iterable = DataLoader(dataset, batch_size=None, num_workers=num_workers, prefetch_factor=2,
                                      persistent_workers=False)
    else:
        loader = prefetched_batches(dataset)
    matrix_path = out_dir / matrix_file(split)
    row_labels: List[Any] = []
    row_files: List[np.ndarray] = []  # per file: the row's file index, repeated
    row_times: List[np.ndarray] = []
    rows, dimension = 0, None
    scene = embedding_type == "scene"
    if scene:
        dimension = int(hear.model.scene_embedding_size)
        matrix = np.memmap(matrix_path, dtype=np.float32, mode="w+", shape=(max(1, len(paths)), dimension))
        file_labels_in_row_order: List[Any] = [None] * len(paths)
    raw = None if scene else BackgroundWriter(matrix_path)
    progress = tqdm(total=len(paths), desc=f"{task_dir.name} {split}", unit="file", leave=False, mininterval=1.0)

    def embed_batch(item: Tuple[List[int], torch.Tensor]) -> Tuple[List[int], np.ndarray, Optional[np.ndarray]]:
        indices, batch = item
        embeddings, timestamps = embed(hear, batch.to(device), embedding_type)
        block = embeddings.detach().float().cpu().numpy()
        times = None if timestamps is None else timestamps.detach().double().cpu().numpy()
        batch_names = [names[i] for i in indices]
        check_shapes(block, times, hear, task_dir, batch_names)
        check_finite(block, hear, task_dir, batch_names)
        return indices, block, times

    try:
        for indices, block, times in in_order(embed_batch, loader, model_threads):
            if scene:
                matrix[rows:rows + len(indices)] = block
                for offset, i in enumerate(indices):
                    file_labels_in_row_order[rows + offset] = (names[i], split_labels[names[i]])
                rows += len(indices)
            else:
                dimension = block.shape[2]
                for offset, i in enumerate(indices):
                    raw.write(block[offset])
                    row_labels.extend(frame_labels(split_labels[names[i]], times[offset]))
                    row_files.append(np.full(len(times[offset]), i))
                    row_times.append(times[offset])
                    rows += block.shape[1]
            progress.update(len(indices))
    finally:
        progress.close()
        if raw is not None:
            raw.close()
    if scene:
        matrix.flush()
        del matrix
        if not paths:
            matrix_path.write_bytes(b"")
        row_labels = [labels for _, labels in file_labels_in_row_order]
        write_json(out_dir / filenames_file(split), [name for name, _ in file_labels_in_row_order], indent=None)
    else:
        paths_of = [str(final_dir / split / name) for name in names]
        files = np.concatenate(row_files).tolist() if row_files else []
        times_ms = np.concatenate(row_times).tolist() if row_times else []
        write_json(out_dir / timestamps_file(split),
                   [[paths_of[f], t] for f, t in zip(files, times_ms)], indent=None)
    write_json(out_dir / dimensions_file(split), [rows, dimension or 0], indent=None)
    with open(out_dir / labels_file(split), "wb") as f:
        pickle.dump(row_labels, f)
    return rows


def check_shapes(block: np.ndarray, times: Optional[np.ndarray], hear: HearModel, task_dir: Path,
                 names: List[str]) -> None:
    """Every batch's shapes, not only the check's: a module whose output differs on real audio would
    otherwise be broadcast over the batch's rows or leave a file of mixed widths."""
    if times is None:
        expected: Tuple[Any, ...] = (len(names), int(hear.model.scene_embedding_size))
        shapes_agree = block.shape == expected
    else:
        expected = (len(names), "frames", int(hear.model.timestamp_embedding_size))
        shapes_agree = (block.ndim == 3 and block.shape[0] == len(names) and block.shape[2] == expected[2]
                        and times.shape == block.shape[:2])
    if not shapes_agree:
        got = f"{block.shape}" + ("" if times is None else f" with timestamps {times.shape}")
        raise UserError(f"{hear.module_name} returned embeddings of shape {got} for {len(names)} sounds of "
                        f"{task_dir.name} ({names[0]}, ...), expected {expected}")
    if times is not None and not (np.isfinite(times).all() and (np.diff(times, axis=1) > 0).all()):
        raise UserError(f"{hear.module_name} returned timestamps that are not finite and increasing on "
                        f"{task_dir.name} ({names[0]}, ...)")


def check_finite(block: np.ndarray, hear: HearModel, task_dir: Path, names: List[str]) -> None:
    """One pass: any NaN or Inf makes the sum non-finite (a finite block whose float32 sum overflows is
    checked element by element)."""
    if not np.isfinite(block.sum()) and not np.isfinite(block).all():
        raise UserError(f"{hear.module_name} produced NaN or Inf embeddings on {task_dir.name}: {names[:3]}")


def embed_task(hear: HearModel, task_dir: Path, out_dir: Path, device: str, batch_size: Optional[int] = None,
               num_workers: int = 2, strict_sample_rate: bool = False, announced: Optional[set] = None,
               model_threads: int = 1) -> bool:
    """Embed one task into out_dir; False if it was already complete (skipped)."""
    if (out_dir / DONE_MARKER).is_file():
        return False
    share_one_malloc_arena()
    metadata = load_task_metadata(task_dir)
    rate = source_rate(task_dir, hear.sample_rate, strict_sample_rate)
    if rate != hear.sample_rate and announced is not None and task_dir.name not in announced:
        announced.add(task_dir.name)
        logger.warning("%s has no %d Hz audio: resampling on the fly from %d Hz", task_dir.name,
                       hear.sample_rate, rate)
    batch_size = batch_size or default_batch_size(metadata.sample_duration)
    vocabulary = label_vocabulary(task_dir)
    labels = {split: read_split_labels(task_dir / split_labels_file(split), metadata.embedding_type, vocabulary)
              for split in metadata.splits}  # all checked before the long run
    with atomic_path(out_dir, replace=True) as temporary:
        temporary.mkdir()
        with measure_cost("embeddings", device=device) as cost:
            for name in [TASK_METADATA, LABEL_VOCABULARY] + [split_labels_file(s) for s in metadata.splits]:
                shutil.copyfile(task_dir / name, temporary / name)
            rows = {split: embed_split(hear, task_dir, temporary, out_dir, split, metadata.embedding_type,
                                       labels[split], rate, device, batch_size, num_workers, model_threads)
                    for split in metadata.splits}
        cost.update(module=hear.module_name, task=task_dir.name, rows=rows, source_sample_rate=rate, device=device)
        write_json(temporary / COST, cost, indent=2)
        write_json(temporary / PROFILE,
                   {"time_elapsed": cost["wall_seconds"], "gpu_max_mem": cost["peak_gpu_memory_mb"],
                    "gpu_device_name": torch.cuda.get_device_name() if device.startswith("cuda") else None})
        (temporary / DONE_MARKER).write_text(json.dumps(rows) + "\n")
    return True


def default_reader_workers() -> int:
    """Audio-reading processes: none on a small machine, where the model needs every core and worker
    processes only add start-up time and memory; up to 4 where cores are to spare."""
    cpus = os.cpu_count() or 1
    return 0 if cpus <= 2 else min(4, cpus - 2)
