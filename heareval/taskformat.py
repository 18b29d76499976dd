"""Readers for the finalized task format (docs/task-format.md), shared by every later stage."""

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from heareval.errors import UserError

PathLike = Union[str, Path]
TASK_METADATA = "task_metadata.json"
LABEL_VOCABULARY = "labelvocabulary.csv"


def split_labels_file(split: str) -> str:
    """A split's labels, `{file: [labels]}` (scene) or `{file: [events]}` (event)."""
    return f"{split}.json"


def is_task_dir(path: Path) -> bool:
    """A task is a visible folder holding task_metadata.json (others are ignored)."""
    return path.is_dir() and not path.name.startswith(".") and (path / TASK_METADATA).is_file()


EMBEDDING_TYPES = ("scene", "event")
PREDICTION_TYPES = ("multiclass", "multilabel")
SPLIT_MODES = ("trainvaltest", "new_split_kfold", "presplit_kfold")
TRAIN_VALID_TEST = ("train", "valid", "test")
# Split names become file names (`<split>.embeddings.npy`, `<split>/`): no separators, no leading dot.
SPLIT_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9_.-]*")


DEFAULT_SPLIT_MODE = "trainvaltest"


def split_mode_of(metadata: Mapping[str, Any]) -> str:
    """A task's split mode (a task config or task_metadata.json); trainvaltest where the key is absent."""
    return metadata.get("split_mode", DEFAULT_SPLIT_MODE)


@dataclass(frozen=True)
class TaskMetadata:
    """task_metadata.json as the stages after the tasks stage read it: checked, with its defaults filled in
    here and nowhere else."""

    task_name: str
    embedding_type: str
    prediction_type: str
    splits: Tuple[str, ...]
    split_mode: str = DEFAULT_SPLIT_MODE
    evaluation: Tuple[str, ...] = ()
    sample_duration: Optional[float] = None
    category: Optional[str] = None
    # The original's extra training rules (MAESTRO): its grids, and early stopping on the loss when False.
    evaluation_params: Mapping[str, Any] = field(default_factory=dict)
    use_scoring_for_early_stopping: bool = True

    @property
    def is_event(self) -> bool:
        return self.embedding_type == "event"

    @property
    def is_multiclass(self) -> bool:
        return self.prediction_type == "multiclass"

    @property
    def is_kfold(self) -> bool:
        return self.split_mode != "trainvaltest"

    @classmethod
    def from_json(cls, data: Any, path: PathLike = TASK_METADATA) -> "TaskMetadata":
        check_task_metadata(data, path)
        return cls(task_name=data["task_name"], embedding_type=data["embedding_type"],
                   prediction_type=data["prediction_type"], splits=tuple(data["splits"]),
                   split_mode=split_mode_of(data), evaluation=tuple(data.get("evaluation") or ()),
                   sample_duration=data.get("sample_duration"), category=data.get("category"),
                   evaluation_params=data.get("evaluation_params") or {},
                   use_scoring_for_early_stopping=data.get("use_scoring_for_early_stopping", True))


def load_task_metadata(task_dir: PathLike) -> TaskMetadata:
    path = Path(task_dir) / TASK_METADATA
    return TaskMetadata.from_json(read_json(path), path)


def check_task_metadata(metadata: Any, path: PathLike) -> None:
    """The keys every later stage relies on, with values it knows: a wrong one would otherwise be read as
    some other task type (a silently wrong score) or fail deep inside a stage."""
    if not isinstance(metadata, dict):
        raise UserError(f"{path}: expected a JSON object, got {type(metadata).__name__}")

    def check(key: str, allowed: tuple, default: Any = None) -> None:
        value = metadata.get(key, default)
        if value not in allowed:
            found = "missing" if key not in metadata else f"{value!r}"
            raise UserError(f"{path}: {key} is {found}; expected one of {', '.join(allowed)}")

    if not isinstance(metadata.get("task_name"), str) or not metadata["task_name"]:
        raise UserError(f"{path}: task_name is missing or not a string")
    check("embedding_type", EMBEDDING_TYPES)
    check("prediction_type", PREDICTION_TYPES)
    check("split_mode", SPLIT_MODES, default=DEFAULT_SPLIT_MODE)
    splits = metadata.get("splits")
    if (not isinstance(splits, list) or not splits or len(set(map(str, splits))) != len(splits)
            or not all(isinstance(split, str) and SPLIT_NAME.fullmatch(split) for split in splits)):
        raise UserError(f"{path}: splits must be a non-empty list of distinct split names "
                        f"(letters, digits, _ . -), got {splits!r}")
    if split_mode_of(metadata) == "trainvaltest" and sorted(splits) != sorted(TRAIN_VALID_TEST):
        raise UserError(f"{path}: split_mode trainvaltest needs the splits train, valid and test, got {splits}")
    evaluation = metadata.get("evaluation", [])
    if not isinstance(evaluation, list) or not all(isinstance(name, str) for name in evaluation):
        raise UserError(f"{path}: evaluation must be a list of score names, got {evaluation!r}")
    duration = metadata.get("sample_duration")
    if duration is not None and not (is_finite_number(duration) and duration > 0):
        raise UserError(f"{path}: sample_duration must be a positive number of seconds or null, got {duration!r}")
    if not isinstance(metadata.get("evaluation_params") or {}, dict):
        raise UserError(f"{path}: evaluation_params must be an object, got {metadata['evaluation_params']!r}")
    if not isinstance(metadata.get("use_scoring_for_early_stopping", True), bool):
        raise UserError(f"{path}: use_scoring_for_early_stopping must be true or false, "
                        f"got {metadata['use_scoring_for_early_stopping']!r}")


def read_json(path: PathLike) -> Any:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"missing file: {path}")
    try:
        with open(path) as f:
            return json.load(f)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise UserError(f"malformed JSON in {path}: {error}") from None


def read_events(path: PathLike, vocabulary: Sequence[str]) -> Dict[str, List[Dict[str, Any]]]:
    """Events by file, `{file: [{"label", "start", "end"}, ...]}` with times in ms: an event task's
    `<split>.json`, or the predicted events. Checked, since an unknown label or a reversed event would only
    lower a score without a word."""
    events = read_json(path)
    if not isinstance(events, dict) or not all(isinstance(file_events, list) for file_events in events.values()):
        raise UserError(f"{path}: expected {{file: [events]}}, got {type(events).__name__}")
    known = set(vocabulary)
    for name, file_events in events.items():
        for event in file_events:
            if not isinstance(event, dict) or not {"label", "start", "end"} <= set(event):
                raise UserError(f"{path}: {name}: an event needs a label, start and end, got {event!r}")
            start, end = event["start"], event["end"]
            if not all(is_finite_number(time) for time in (start, end)) or end < start:
                raise UserError(f"{path}: {name}: an event's start and end must be numbers (ms) with start <= end, "
                                f"got {start!r} and {end!r}")
            if str(event["label"]) not in known:
                raise UserError(f"{path}: {name}: label {event['label']!r} is not in labelvocabulary.csv")
    return events


def read_split_labels(path: PathLike, embedding_type: str, vocabulary: Sequence[str]) -> Dict[str, List[Any]]:
    """A split's `<split>.json`, checked: `{file: [labels]}` (scene) or `{file: [events]}` (event)."""
    if embedding_type == "event":
        return read_events(path, vocabulary)
    labels = read_json(path)
    if not isinstance(labels, dict) or not all(isinstance(file_labels, list) for file_labels in labels.values()):
        raise UserError(f"{path}: expected {{file: [labels]}}, got {type(labels).__name__}")
    known = set(vocabulary)
    for name, file_labels in labels.items():
        unknown = [label for label in file_labels if str(label) not in known]
        if unknown:
            raise UserError(f"{path}: {name}: label {unknown[0]!r} is not in labelvocabulary.csv")
    return labels


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


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
    labels = [str(label) for label in frame["label"]]
    if not labels:
        raise UserError(f"malformed label vocabulary {path}: no labels")
    if len(set(labels)) != len(labels):
        repeated = next(label for label in labels if labels.count(label) > 1)
        raise UserError(f"malformed label vocabulary {path}: label {repeated!r} appears twice")
    return labels


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
