"""Frame probabilities to events: threshold, median filter, minimum duration."""

from typing import Any, Dict, List, Sequence

import numpy as np

from heareval.predictions.grid import POSTPROCESSING_DEFAULTS

Events = Dict[str, List[Dict[str, Any]]]


def file_frames(filenames: Sequence[str], timestamps: np.ndarray) -> Dict[str, np.ndarray]:
    """Each file's row indices, in time order."""
    order = np.lexsort((timestamps, np.asarray(filenames)))
    names = np.asarray(filenames)[order]
    boundaries = np.nonzero(names[1:] != names[:-1])[0] + 1
    return {str(group[0] if len(group) else ""): rows
            for group, rows in zip(np.split(names, boundaries), np.split(order, boundaries)) if len(rows)}


def median_hops(times: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Each file's median step between timestamps (ms; 1 for a file of one frame), for files whose time-
    ordered timestamps lie back to back in `times` with `lengths` rows each: all files in one sort."""
    counts = np.maximum(lengths - 1, 0)  # the steps of each file
    file_of_step = np.repeat(np.arange(len(lengths)), counts)
    within = np.ones(len(times), dtype=bool)
    within[np.cumsum(lengths)[:-1]] = False  # no step across a file boundary
    steps = np.diff(times)[within[1:]]
    ordered = steps[np.lexsort((steps, file_of_step))]
    starts = np.cumsum(counts) - counts
    low, high = starts + np.maximum(counts - 1, 0) // 2, starts + counts // 2
    hops = np.ones(len(lengths))
    has = counts > 0
    hops[has] = (ordered[low[has]] + ordered[high[has]]) / 2
    return hops


def binary_median_filter(active: np.ndarray, first: np.ndarray, last: np.ndarray, width: int) -> np.ndarray:
    """A length-`width` median filter along axis 0 of a boolean (frames, classes) array that holds several
    files back to back; row i's file spans rows first[i]..last[i] and its edges repeat outwards (the
    result equals scipy.ndimage.median_filter with mode="nearest", even widths included, file by file)."""
    if width <= 1:
        return active
    rows = np.arange(len(active))
    votes = np.zeros(active.shape, dtype=np.int32)
    for offset in range(-(width // 2), width - width // 2):
        votes += active[np.clip(rows + offset, first, last)]
    return votes >= width - width // 2


def predicted_events(probabilities: np.ndarray, frames: Dict[str, np.ndarray], timestamps: np.ndarray,
                     labels: Sequence[Any], params: Dict[str, Any]) -> Events:
    """Every file's events: frames above threshold after a median filter, runs shorter than the minimum
    duration dropped. An event spans the timestamps of its first and last active frame (ms). All files are
    processed at once, as one array, since validation runs this at every check. Parameters `params` leaves
    out take the original kit's defaults."""
    params = {**POSTPROCESSING_DEFAULTS, **params}
    names = list(frames)
    events: Events = {name: [] for name in names}
    if not names:
        return events
    order = np.concatenate([frames[name] for name in names])
    lengths = np.array([len(frames[name]) for name in names])
    file_of_row = np.repeat(np.arange(len(names)), lengths)
    ends = np.cumsum(lengths)
    first, last = (ends - lengths)[file_of_row], (ends - 1)[file_of_row]
    times = timestamps[order]
    active = probabilities[order] > params["threshold"]
    widths = np.maximum(1, np.round(params["median_filter_ms"] / median_hops(times, lengths))).astype(int)
    filtered = np.empty_like(active)
    for width in np.unique(widths):
        chosen = widths[file_of_row] == width
        filtered[chosen] = binary_median_filter(active, first, last, int(width))[chosen]
    rows = np.arange(len(order))[:, None]
    previous = np.where(rows == first[:, None], False, np.roll(filtered, 1, axis=0))
    following = np.where(rows == last[:, None], False, np.roll(filtered, -1, axis=0))
    run_labels, run_starts = np.nonzero((filtered & ~previous).T)  # ordered by label, then row:
    _, run_ends = np.nonzero((filtered & ~following).T)              # the i-th start and end are one run
    onsets, offsets = times[run_starts], times[run_ends]
    kept = offsets - onsets >= params["min_duration"]
    for label_index, row, onset, offset in zip(run_labels[kept], run_starts[kept], onsets[kept], offsets[kept]):
        events[names[file_of_row[row]]].append({"label": labels[label_index], "start": float(onset),
                                                "end": float(offset)})
    for file_events in events.values():
        file_events.sort(key=lambda event: (event["start"], str(event["label"])))
    return events
