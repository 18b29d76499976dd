"""Vectorized event-based and segment-based metrics with sed_eval's exact definitions.

Fast enough to run at every validation step. Per-file event matches are computed once for the
whole input (one sparse bipartite graph, maximum matching per label, as sed_eval's 'optimal'
matching) and every derived number comes from the same counts. Times are in seconds here.
Reference: Mesaros, Heittola, Virtanen, "Metrics for polyphonic sound event detection", 2016.
"""

import math
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import maximum_bipartite_matching

from heareval.score.base import EVENT, ScoreFunction

EPS = np.spacing(1)
Events = Mapping[str, Sequence[Mapping[str, Any]]]


@dataclass
class EventTable:
    """All events of a {file: [{label, start, end}]} dict (ms) as arrays: file, label index, onset, offset (s)."""

    file: np.ndarray
    label: np.ndarray
    onset: np.ndarray
    offset: np.ndarray

    @classmethod
    def from_events(cls, events: Events, files: Sequence[str], labels: Sequence[str]) -> "EventTable":
        file_index = {f: i for i, f in enumerate(files)}
        label_index = {str(label): i for i, label in enumerate(labels)}
        rows = [(file_index[f], label_index.get(str(e["label"]), -1), e["start"] / 1000.0, e["end"] / 1000.0)
                for f, file_events in events.items() if f in file_index for e in file_events]
        if not rows:
            return cls(np.zeros(0, int), np.zeros(0, int), np.zeros(0), np.zeros(0))
        file, label, onset, offset = (np.array(column) for column in zip(*rows))
        return cls(file.astype(int), label.astype(int), onset.astype(float), offset.astype(float))


def _group_pairs(ref_group: np.ndarray, est_group: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Every (reference, estimate) index pair that shares a group, without Python loops."""
    order_r = np.argsort(ref_group, kind="stable")
    order_e = np.argsort(est_group, kind="stable")
    sorted_e = est_group[order_e]
    first = np.searchsorted(sorted_e, ref_group[order_r], side="left")
    last = np.searchsorted(sorted_e, ref_group[order_r], side="right")
    counts = last - first
    ref_idx = np.repeat(order_r, counts)
    starts = np.repeat(first, counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    return ref_idx, order_e[starts + within]


def event_counts(reference: EventTable, estimated: EventTable, n_files: int, t_collar: float,
                 percentage_of_length: float, evaluate_onset: bool, evaluate_offset: bool) -> Tuple[int, int, int]:
    """(Ntp, Nref, Nsys) over all files: maximum matching of same-file, same-label events."""
    n_ref, n_sys = len(reference.file), len(estimated.file)
    if n_ref == 0 or n_sys == 0:
        return 0, n_ref, n_sys
    n_labels = int(max(reference.label.max(), estimated.label.max())) + 2
    ref_group = reference.file * n_labels + reference.label + 1
    est_group = estimated.file * n_labels + estimated.label + 1
    ri, ei = _group_pairs(ref_group, est_group)
    hit = np.ones(len(ri), dtype=bool)
    if evaluate_onset:
        hit &= np.abs(reference.onset[ri] - estimated.onset[ei]) <= t_collar
    if evaluate_offset:
        length = reference.offset[ri] - reference.onset[ri]
        tolerance = np.maximum(t_collar, percentage_of_length * length)
        hit &= np.abs(reference.offset[ri] - estimated.offset[ei]) <= tolerance
    ri, ei = ri[hit], ei[hit]
    if len(ri) == 0:
        return 0, n_ref, n_sys
    graph = csr_matrix((np.ones(len(ri), dtype=np.int8), (ri, ei)), shape=(n_ref, n_sys))
    matched = maximum_bipartite_matching(graph, perm_type="column")
    return int((matched >= 0).sum()), n_ref, n_sys


def f_measure_from_counts(ntp: int, nref: int, nsys: int) -> Dict[str, float]:
    """sed_eval's overall F-measure, precision and recall (NaN where a denominator is zero)."""
    precision = math.nan if nsys == 0 else float(ntp / float(nsys))
    recall = math.nan if nref == 0 else float(ntp / float(nref))
    if precision == 0 and recall == 0:
        f_measure = 0.0
    else:
        f_measure = float(2 * precision * recall / (precision + recall))
    return {"f_measure": f_measure, "precision": precision, "recall": recall}


def event_based(reference: Events, estimated: Events, labels: Sequence[str], t_collar: float = 0.2,
                percentage_of_length: float = 0.5, evaluate_onset: bool = True,
                evaluate_offset: bool = True) -> Dict[str, float]:
    """Overall event-based F-measure, precision and recall, as sed_eval.sound_event.EventBasedMetrics."""
    files = evaluated_files(reference, estimated)
    ref = EventTable.from_events(reference, files, labels)
    est = EventTable.from_events(estimated, files, labels)
    counts = event_counts(ref, est, len(files), t_collar, percentage_of_length, evaluate_onset, evaluate_offset)
    return f_measure_from_counts(*counts)


def evaluated_files(reference: Events, estimated: Events) -> List[str]:
    """Files scored: every reference file, then files that only have estimates."""
    return list(reference) + [f for f in estimated if f not in reference]


def _activity(table: EventTable, n_files: int, file_offsets: np.ndarray, n_segments: int, n_labels: int,
              lengths: np.ndarray, time_resolution: float) -> np.ndarray:
    """(n_segments over all files, n_labels) activity: segments floor(onset)..ceil(offset) of each event."""
    delta = np.zeros((n_segments + 1, n_labels), dtype=np.int32)
    if len(table.file):
        keep = table.label >= 0
        file, label = table.file[keep], table.label[keep]
        first = np.floor(table.onset[keep] * 1 / float(time_resolution)).astype(np.int64)
        last = np.ceil(table.offset[keep] * 1 / float(time_resolution)).astype(np.int64)
        # sed_eval marks roll[first:last] of each file's roll: Python slice bounds, so a negative
        # bound counts from the end (an event with a negative onset is dropped, as sed_eval does).
        first, last = _slice_bounds(first, lengths[file]), _slice_bounds(last, lengths[file])
        valid = last > first
        np.add.at(delta, (file_offsets[file[valid]] + first[valid], label[valid]), 1)
        np.add.at(delta, (file_offsets[file[valid]] + last[valid], label[valid]), -1)
    return np.cumsum(delta, axis=0)[:n_segments] > 0


def _slice_bounds(index: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Where Python's slice `[index]` of a sequence of `length` starts or stops."""
    return np.where(index < 0, np.maximum(index + length, 0), np.minimum(index, length))


def _max_offset_per_file(table: EventTable, n_files: int) -> np.ndarray:
    result = np.zeros(n_files)
    if len(table.file):
        np.maximum.at(result, table.file, table.offset)
    return result


def segment_based(reference: Events, estimated: Events, labels: Sequence[str],
                  time_resolution: float = 1.0) -> Dict[str, float]:
    """Overall segment-based error rate and F-measure, as sed_eval.sound_event.SegmentBasedMetrics."""
    files = evaluated_files(reference, estimated)
    ref = EventTable.from_events(reference, files, labels)
    est = EventTable.from_events(estimated, files, labels)
    n_files = len(files)
    evaluated = np.maximum(_max_offset_per_file(ref, n_files), _max_offset_per_file(est, n_files))
    lengths = np.array([int(math.ceil(s * 1 / float(time_resolution))) for s in evaluated], dtype=np.int64)
    file_offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64) if n_files else lengths
    total = int(lengths.sum())
    ref_roll = _activity(ref, n_files, file_offsets, total, len(labels), lengths, time_resolution)
    est_roll = _activity(est, n_files, file_offsets, total, len(labels), lengths, time_resolution)
    ntp_per_segment = (ref_roll & est_roll).sum(axis=1)
    nref_per_segment = ref_roll.sum(axis=1)
    nsys_per_segment = est_roll.sum(axis=1)
    substitutions = float((np.minimum(nref_per_segment, nsys_per_segment) - ntp_per_segment).sum())
    deletions = float(np.maximum(0, nref_per_segment - nsys_per_segment).sum())
    insertions = float(np.maximum(0, nsys_per_segment - nref_per_segment).sum())
    nref = float(nref_per_segment.sum())
    substitution_rate = float(substitutions / (nref + EPS))
    deletion_rate = float(deletions / (nref + EPS))
    insertion_rate = float(insertions / (nref + EPS))
    result = {
        "error_rate": float(substitution_rate + deletion_rate + insertion_rate),
        "substitution_rate": substitution_rate,
        "deletion_rate": deletion_rate,
        "insertion_rate": insertion_rate,
    }
    result.update(f_measure_from_counts(int(ntp_per_segment.sum()), int(nref), int(nsys_per_segment.sum())))
    return result


class ParametrizedEventScore(ScoreFunction):
    """An event score with sed_eval parameters (collars, segment length) from the task's metadata."""

    kind = EVENT

    def __init__(self, label_to_idx: Mapping[str, int], params: Dict[str, Any], name: Optional[str] = None,
                 maximize: bool = True) -> None:
        super().__init__(label_to_idx, name, maximize)
        self.params = params


class EventBasedScore(ParametrizedEventScore):
    """sed_eval's overall event-based F-measure (then precision, recall), vectorized."""

    def __call__(self, predictions: Mapping, targets: Mapping, **kwargs: Any) -> Tuple[Tuple[str, float], ...]:
        result = event_based(targets, predictions, self.labels, **self.params)
        return tuple((key, result[key]) for key in ("f_measure", "precision", "recall"))


class SegmentBasedScore(ParametrizedEventScore):
    """sed_eval's overall segment-based error rate (then its parts), vectorized."""

    def __call__(self, predictions: Mapping, targets: Mapping, **kwargs: Any) -> Tuple[Tuple[str, float], ...]:
        result = segment_based(targets, predictions, self.labels, **self.params)
        keys = ("error_rate", "substitution_rate", "deletion_rate", "insertion_rate")
        return tuple((key, result[key]) for key in keys)
