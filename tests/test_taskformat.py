import json
import re
import subprocess
import sys

import pytest

from heareval.errors import UserError
from heareval.predictions.train import task_predictions
from heareval.taskformat import TaskMetadata, label_vocabulary, load_task_metadata
from tests.predictions.test_train import scene_task

GOOD = {"task_name": "t", "embedding_type": "scene", "prediction_type": "multiclass", "split_mode": "trainvaltest",
        "splits": ["train", "valid", "test"], "evaluation": ["top1_acc"]}

BAD = {
    "no prediction_type": ({"prediction_type": None}, "prediction_type is missing; expected one of multiclass"),
    "regression": ({"prediction_type": "regression"}, "prediction_type is 'regression'; expected one of"),
    "frame embeddings": ({"embedding_type": "frame"}, "embedding_type is 'frame'; expected one of scene, event"),
    "unknown split mode": ({"split_mode": "kfold"}, "split_mode is 'kfold'; expected one of trainvaltest"),
    "no splits": ({"splits": None}, "splits must be a non-empty list"),
    "splits as a string": ({"splits": "train"}, "splits must be a non-empty list"),
    "repeated split": ({"splits": ["train", "train", "test"]}, "splits must be a non-empty list of distinct"),
    "split outside the folder": ({"splits": ["train", "valid", "../test"]}, "split names"),
    "hidden split": ({"splits": ["train", "valid", ".test"]}, "split names"),
    "no valid split": ({"splits": ["train", "test"]}, "trainvaltest needs the splits train, valid and test"),
    "no task name": ({"task_name": None}, "task_name is missing"),
    "evaluation as a string": ({"evaluation": "top1_acc"}, "evaluation must be a list of score names"),
    "zero duration": ({"sample_duration": 0}, "sample_duration must be a positive number of seconds or null"),
    "duration as text": ({"sample_duration": "1.0"}, "sample_duration must be a positive number"),
    "evaluation_params as a list": ({"evaluation_params": [1]}, "evaluation_params must be an object"),
    "early stopping as text": ({"use_scoring_for_early_stopping": "no"}, "use_scoring_for_early_stopping must be"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_task_metadata_with_a_wrong_key_is_refused_by_name(tmp_path, case):
    change, message = BAD[case]
    metadata = {**GOOD, **change}
    metadata = {key: value for key, value in metadata.items() if value is not None}
    (tmp_path / "task_metadata.json").write_text(json.dumps(metadata))
    with pytest.raises(UserError, match=re.escape(message)) as error:
        load_task_metadata(tmp_path)
    assert str(error.value).startswith(str(tmp_path / "task_metadata.json"))


def test_task_metadata_of_every_kind_is_read(tmp_path):
    kinds = [GOOD, {**GOOD, "embedding_type": "event", "prediction_type": "multilabel"},
             {**GOOD, "split_mode": "new_split_kfold", "splits": [f"fold{i:02d}" for i in range(5)]},
             {key: value for key, value in GOOD.items() if key not in ("split_mode", "evaluation")}]
    for metadata in kinds:
        (tmp_path / "task_metadata.json").write_text(json.dumps(metadata))
        read = load_task_metadata(tmp_path)
        assert (read.task_name, read.embedding_type, read.prediction_type, list(read.splits)) == (
            metadata["task_name"], metadata["embedding_type"], metadata["prediction_type"], metadata["splits"])
        assert read.split_mode == metadata.get("split_mode", "trainvaltest")
        assert list(read.evaluation) == metadata.get("evaluation", [])
    (tmp_path / "task_metadata.json").write_text("[]")
    with pytest.raises(UserError, match="expected a JSON object, got list"):
        load_task_metadata(tmp_path)


def test_task_metadata_fills_the_defaults_of_absent_keys():
    bare = {key: value for key, value in GOOD.items() if key not in ("split_mode", "evaluation")}
    read = TaskMetadata.from_json(bare)
    assert read.split_mode == "trainvaltest" and not read.is_kfold and read.evaluation == ()
    assert read.sample_duration is None and read.evaluation_params == {} and read.use_scoring_for_early_stopping
    assert read.is_multiclass and not read.is_event
    kfold = TaskMetadata.from_json({**GOOD, "split_mode": "presplit_kfold", "splits": ["fold00", "fold01", "fold02"]})
    assert kfold.is_kfold and kfold.splits == ("fold00", "fold01", "fold02")


@pytest.mark.parametrize("stage", ["predictions", "evaluation"])
def test_stages_report_wrong_task_metadata_in_one_line(tmp_path, stage):
    task = scene_task(tmp_path)
    if stage == "evaluation":
        task_predictions(task, grid="faster", grid_points=1)
    metadata = json.loads((task / "task_metadata.json").read_text())
    (task / "task_metadata.json").write_text(json.dumps({**metadata, "prediction_type": "regression"}))
    emb = tmp_path / "emb"
    arguments = [str(task), "--grid", "faster"] if stage == "predictions" else ["--embeddings-dir", str(emb)]
    result = subprocess.run([sys.executable, "-m", f"heareval.{stage}.runner", *arguments],
                            capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    assert "prediction_type is 'regression'" in result.stderr


@pytest.mark.parametrize("text, message", [
    ("idx,label\n0,dog\n1,cat\n2,dog\n", "label 'dog' appears twice"),
    ("idx,label\n", "no labels"),
    ("idx,name\n0,dog\n", "expected columns idx,label"),
    ("idx,label\n1,dog\n", "idx 0..n-1"),
])
def test_label_vocabulary_with_a_flaw_is_refused(tmp_path, text, message):
    (tmp_path / "labelvocabulary.csv").write_text(text)
    with pytest.raises(UserError, match=f"malformed label vocabulary .*labelvocabulary.csv: .*{message}"):
        label_vocabulary(tmp_path)


def test_label_vocabulary_keeps_labels_as_text(tmp_path):
    (tmp_path / "labelvocabulary.csv").write_text("idx,label\n0,48\n1,007\n2,a b\n")
    assert label_vocabulary(tmp_path) == ["48", "007", "a b"]
