"""Frame probabilities to events: threshold, median filter, minimum duration."""

from typing import Any, Dict, List, Sequence

import numpy as np
from scipy.ndimage import median_filter

Events = Dict[str, List[Dict[str, Any]]]


def file_frames(filenames: Sequence[str], timestamps: np.ndarray) -> Dict[str, np.ndarray]:
    """Each file's row indices, in time order."""
    order = np.lexsort((timestamps, np.asarray(filenames)))
    names = np.asarray(filenames)[order]
    boundaries = np.nonzero(names[1:] != names[:-1])[0] + 1
    return {str(group[0] if len(group) else ""): rows
            for group, rows in zip(np.split(names, boundaries), np.split(order, boundaries)) if len(rows)}


def frames_to_events(probabilities: np.ndarray, timestamps: np.ndarray, labels: Sequence[Any], threshold: float,
                     median_filter_ms: float, min_duration_ms: float) -> List[Dict[str, Any]]:
    """Events of one file: frames above threshold after a median filter, runs shorter than the minimum dropped.

    An event spans the timestamps of its first and last active frame (ms).
    """
    if len(timestamps) == 0:
        return []
    hop = float(np.median(np.diff(timestamps))) if len(timestamps) > 1 else 1.0
    width = max(1, int(round(median_filter_ms / hop)))
    active = probabilities > threshold
    if width > 1:
        active = median_filter(active.astype(np.uint8), size=(width, 1), mode="nearest") > 0
    events = []
    padded = np.pad(active.astype(np.int8), ((1, 1), (0, 0)))
    changes = np.diff(padded, axis=0)
    for label_index, label in enumerate(labels):
        starts = np.nonzero(changes[:, label_index] == 1)[0]
        ends = np.nonzero(changes[:, label_index] == -1)[0] - 1
        for first, last in zip(starts, ends):
            start, end = float(timestamps[first]), float(timestamps[last])
            if end - start >= min_duration_ms:
                events.append({"label": label, "start": start, "end": end})
    return sorted(events, key=lambda e: (e["start"], str(e["label"])))


def predicted_events(probabilities: np.ndarray, frames: Dict[str, np.ndarray], timestamps: np.ndarray,
                     labels: Sequence[Any], params: Dict[str, Any]) -> Events:
    return {name: frames_to_events(probabilities[rows], timestamps[rows], labels, params["threshold"],
                                   params["median_filter_ms"], params["min_duration_ms"])
            for name, rows in frames.items()}
