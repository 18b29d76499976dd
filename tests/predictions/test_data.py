"""Reading one split of an embedding task: in memory or mapped, stacked or copied, checked row by row."""

import json
import pickle

import numpy as np
import pytest

from heareval.embeddingformat import timestamps_file
from heareval.errors import UserError
from heareval.predictions.data import SplitData, StackedRows, concatenate, fold_buffer, load_split, multi_hot
from tests.predictions.test_train import clusters, scene_task, write_embedding_task


def test_in_memory_splits_are_the_files_pages_and_writes_stay_private(tmp_path):
    task = scene_task(tmp_path)
    path = task / "train.embeddings.npy"
    on_disk = np.fromfile(path, dtype=np.float32)
    train = load_split(task, "train", in_memory=True)
    assert type(train.embeddings) is np.ndarray, "a plain array: k-fold folds are copied, not stacked"
    assert np.array_equal(train.embeddings.reshape(-1), on_disk)
    train.embeddings[0] = 7.0  # torch.from_numpy needs a writable array; nothing may reach the file
    assert np.all(train.embeddings[0] == 7.0)
    assert np.array_equal(np.fromfile(path, dtype=np.float32), on_disk)


def test_stacked_memmaps_read_as_their_concatenation(tmp_path):
    task = scene_task(tmp_path, kfold=3)
    folds = [load_split(task, f"fold{i:02d}", in_memory=False) for i in range(3)]
    stacked = concatenate(folds, "train")
    assert isinstance(stacked.embeddings, StackedRows), "--memmap: training folds are not copied"
    whole = np.concatenate([np.asarray(f.embeddings) for f in folds])
    assert stacked.embeddings.shape == whole.shape and len(stacked.embeddings) == 180
    rows = np.random.default_rng(0).permutation(180)[:50]
    assert np.array_equal(stacked.embeddings[rows], whole[rows])
    assert np.array_equal(stacked.embeddings[np.sort(rows)], whole[np.sort(rows)])
    assert np.array_equal(stacked.embeddings[50:130], whole[50:130])
    assert np.array_equal(stacked.targets, np.concatenate([f.targets for f in folds]))


def test_kfold_training_sets_are_copied_in_turn_into_one_buffer(tmp_path):
    rng = np.random.default_rng(1)
    folds = [SplitData(f"fold{i:02d}", rng.random((rows, 4), dtype=np.float32), np.eye(3)[rng.integers(0, 3, rows)])
             for i, rows in enumerate((50, 70, 30))]
    per_fold = [[folds[1], folds[2]], [folds[2], folds[0]], [folds[0], folds[1]]]
    buffer = fold_buffer(per_fold)
    assert buffer.shape == (120, 4), "as large as the largest training set"
    for parts in per_fold:
        train = concatenate(parts, "train", buffer)
        assert np.shares_memory(train.embeddings, buffer)
        assert np.array_equal(train.embeddings, np.concatenate([p.embeddings for p in parts]))
        assert np.array_equal(train.targets, np.concatenate([p.targets for p in parts]))
    assert fold_buffer([[folds[0]], [folds[1]]]) is None, "nothing to copy: one training split per arrangement"
    task = scene_task(tmp_path, kfold=3)
    mapped = [load_split(task, f"fold{i:02d}", in_memory=False) for i in range(3)]
    assert fold_buffer([[mapped[0], mapped[1]]]) is None, "memmaps are stacked, not copied"


def event_task(tmp_path, stamps=None):
    """An event task's embeddings: 4 frames of one split, with their files and times."""
    x, labels = clusters(np.random.default_rng(3), 4)
    task = write_embedding_task(tmp_path / "events", {
        "task_name": "events", "embedding_type": "event", "prediction_type": "multilabel",
        "split_mode": "presplit_kfold", "splits": ["fold00", "fold01", "fold02"]},
        {f"fold{i:02d}": (x, labels) for i in range(3)}, ["c0", "c1", "c2"])
    for i in range(3):
        written = stamps or [[f"audio/fold{i:02d}/f{row // 2}.wav", 25.0 * row] for row in range(4)]
        (task / timestamps_file(f"fold{i:02d}")).write_text(json.dumps(written))
    return task


def test_an_event_split_reads_each_rows_file_and_time(tmp_path):
    task = event_task(tmp_path)
    fold = load_split(task, "fold01")
    assert fold.filenames == ["f0.wav", "f0.wav", "f1.wav", "f1.wav"], "file names without their folders"
    assert fold.timestamps.dtype == np.float64 and list(fold.timestamps) == [0.0, 25.0, 50.0, 75.0]
    both = concatenate([load_split(task, "fold00"), fold], "train")
    assert both.filenames == fold.filenames * 2 and list(both.timestamps) == list(fold.timestamps) * 2


@pytest.mark.parametrize("stamps, message", [
    ([["f0.wav", 0.0]] * 3, "has 3 rows but the embeddings have 4"),
    ([["f0.wav", 0.0]] * 3 + [["f0.wav", "25"]], "row 3 is \\['f0.wav', '25'\\], not \\[file name, time in ms\\]"),
    ([["f0.wav", 0.0]] * 3 + [[7, 25.0]], "row 3 is \\[7, 25.0\\]"),
])
def test_event_timestamps_that_do_not_fit_are_refused(tmp_path, stamps, message):
    task = event_task(tmp_path, stamps)
    with pytest.raises(UserError, match=f"{timestamps_file('fold00')}.*{message}"):
        load_split(task, "fold00")


@pytest.mark.parametrize("in_memory", [True, False])
def test_a_row_with_nan_is_refused_by_its_number_in_either_mode(tmp_path, in_memory):
    task = scene_task(tmp_path)
    x = np.fromfile(task / "train.embeddings.npy", dtype=np.float32).reshape(120, 16)
    x[77, 3] = np.inf
    x.tofile(task / "train.embeddings.npy")
    with pytest.raises(UserError, match="train.embeddings.npy: embedding row 77 contains NaN or Inf"):
        load_split(task, "train", in_memory=in_memory)


def test_a_multiclass_row_with_two_labels_is_refused(tmp_path):
    task = scene_task(tmp_path)
    labels_path = task / "valid.target-labels.pkl"
    labels = pickle.loads(labels_path.read_bytes())
    labels[9] = ["c0", "c2"]
    labels_path.write_bytes(pickle.dumps(labels))
    with pytest.raises(UserError, match="valid.target-labels.pkl: multiclass task but row 9 has 2 labels"):
        load_split(task, "valid")


def test_labels_are_matched_to_the_vocabulary_as_text():
    targets = multi_hot([[60], [61, "62"], []], ["60", "61", "62"], "labels.pkl")
    assert targets.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    with pytest.raises(UserError, match="labels.pkl: label 63 \\(row 0\\) is not in labelvocabulary.csv"):
        multi_hot([[63]], ["60"], "labels.pkl")
