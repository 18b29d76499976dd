"""Scoring one task's stored predictions: stored files that would still give a number are refused."""

import json
from pathlib import Path

import numpy as np
import pytest

from heareval.errors import UserError
from heareval.evaluation.task_evaluation import evaluate_task
from heareval.predictionformat import DONE_MARKER
from tests.evaluation.conftest import finished_scene_task

LABELS = ["beep", "hiss"]


def event_predictions(folder: Path) -> Path:
    """A finished event task with two test files, written by hand in the predictions format."""
    folder.mkdir(parents=True)
    metadata = {"task_name": "events", "embedding_type": "event", "prediction_type": "multilabel",
                "split_mode": "trainvaltest", "splits": ["train", "valid", "test"],
                "evaluation": ["event_onset_200ms_fms", "segment_1s_er"], "sample_duration": 2.0}
    (folder / "task_metadata.json").write_text(json.dumps(metadata))
    (folder / "labelvocabulary.csv").write_text("idx,label\n0,beep\n1,hiss\n")
    reference = {"a.wav": [{"label": "beep", "start": 100.0, "end": 600.0}],
                 "b.wav": [{"label": "hiss", "start": 900.0, "end": 1500.0}]}
    (folder / "test.json").write_text(json.dumps(reference))
    (folder / "test.predicted-events.json").write_text(json.dumps(reference))
    times = np.arange(0, 2000, 50.0)
    probabilities = np.zeros((2 * len(times), 2), np.float32)
    probabilities[:len(times)][(times >= 100) & (times <= 600), 0] = 1
    probabilities[len(times):][(times >= 900) & (times <= 1500), 1] = 1
    np.savez(folder / "test.predictions.npz", probabilities=probabilities, targets=probabilities.copy(),
             labels=np.array(LABELS), filenames=np.array(["a.wav"] * len(times) + ["b.wav"] * len(times)),
             timestamps=np.concatenate([times, times]))
    (folder / DONE_MARKER).write_text("{}")
    return folder


def rewrite_npz(path: Path, **changes) -> None:
    arrays = dict(np.load(path))
    arrays.update({key: change(arrays) for key, change in changes.items()})
    np.savez(path, **arrays)


def rewrite_events(path: Path, change) -> None:
    path.write_text(json.dumps(change(json.loads(path.read_text()))))


def test_hand_written_event_predictions_score_perfectly(tmp_path):
    result = evaluate_task(event_predictions(tmp_path / "events"))
    assert result["event_onset_200ms_fms"] == 1.0 and result["segment_1s_er"] == 0.0


SCENE_DAMAGE = {
    "NaN probabilities": ({"probabilities": lambda a: np.full_like(a["probabilities"], np.nan)},
                          "probabilities must be finite and within \\[0, 1\\]"),
    "logits": ({"probabilities": lambda a: a["probabilities"] * 10 - 5}, "within \\[0, 1\\]"),
    "a label column short": ({"probabilities": lambda a: a["probabilities"][:, :2],
                              "targets": lambda a: a["targets"][:, :2]}, "expected both \\(rows, 3\\)"),
    "one-dimensional": ({"probabilities": lambda a: a["probabilities"][:, 0], "targets": lambda a: a["targets"][:, 0]},
                        "expected both \\(rows, 3\\)"),
    "no rows": ({"probabilities": lambda a: a["probabilities"][:0], "targets": lambda a: a["targets"][:0]},
                "at least one row"),
    "targets not 0 or 1": ({"targets": lambda a: a["targets"] * 3}, "targets must be 0 or 1"),
    "text": ({"probabilities": lambda a: a["probabilities"].astype(str)}, "probabilities are <U32, not numbers"),
    "another vocabulary": ({"labels": lambda a: np.array(["x", "y", "z"])}, "labels differ from labelvocabulary.csv"),
}


@pytest.mark.parametrize("damage", list(SCENE_DAMAGE))
def test_scene_predictions_that_do_not_fit_the_task_are_refused(tmp_path, damage):
    task = finished_scene_task(tmp_path / "synthetic")
    changes, message = SCENE_DAMAGE[damage]
    rewrite_npz(task / "test.predictions.npz", **changes)
    with pytest.raises(UserError, match=f"malformed prediction file .*test.predictions.npz: .*{message}"):
        evaluate_task(task)


EVENT_DAMAGE = {
    "events as a list": ("events", lambda e: list(e.values()), "expected {file: \\[events\\]}, got list"),
    "an event without end": ("events", lambda e: {**e, "a.wav": [{"label": "beep", "start": 1.0}]},
                             "a.wav: an event needs a label, start and end"),
    "a label from elsewhere": ("events", lambda e: {**e, "a.wav": [{"label": "zebra", "start": 1, "end": 2}]},
                               "a.wav: label 'zebra' is not in labelvocabulary.csv"),
    "reversed": ("events", lambda e: {**e, "a.wav": [{"label": "beep", "start": 5, "end": 2}]}, "start <= end"),
    "text times": ("events", lambda e: {**e, "a.wav": [{"label": "beep", "start": "0", "end": 2}]},
                   "must be numbers"),
    "another file": ("events", lambda e: {**e, "c.wav": []}, "file 'c.wav' is not in the task's test.json"),
    "reference without end": ("reference", lambda e: {**e, "b.wav": [{"label": "hiss", "start": 1}]},
                              "test.json: b.wav: an event needs"),
}


@pytest.mark.parametrize("damage", list(EVENT_DAMAGE))
def test_event_files_that_do_not_fit_the_task_are_refused(tmp_path, damage):
    task = event_predictions(tmp_path / "events")
    which, change, message = EVENT_DAMAGE[damage]
    rewrite_events(task / ("test.predicted-events.json" if which == "events" else "test.json"), change)
    with pytest.raises(UserError, match=message):
        evaluate_task(task)


@pytest.mark.parametrize("damage, change, message", [
    ("short timestamps", {"timestamps": lambda a: a["timestamps"][:-1]}, "must have one entry per row \\(80\\)"),
    ("NaN timestamp", {"timestamps": lambda a: np.where(np.arange(80) == 3, np.nan, a["timestamps"])},
     "timestamps must be finite numbers"),
    ("frames of another file", {"filenames": lambda a: np.where(np.arange(80) == 0, "c.wav", a["filenames"])},
     "file 'c.wav' is not in the task's test.json"),
])
def test_event_frames_that_do_not_fit_the_task_are_refused(tmp_path, damage, change, message):
    task = event_predictions(tmp_path / "events")
    rewrite_npz(task / "test.predictions.npz", **change)
    with pytest.raises(UserError, match=message):
        evaluate_task(task)

