"""The embeddings runner on the small tasks, third-party modules and API violations."""

import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from heareval.embeddingformat import matrix_file, read_dimensions
from heareval.embeddings.runner import run_embeddings
from heareval.errors import UserError
from heareval.tasks.config import TASK_NAMES
from tests.conftest import task_dir_of
from tests.embeddings.conftest import write_module

GOOD_MODULE = """
import torch

class Model(torch.nn.Module):
    sample_rate = {rate}
    scene_embedding_size = 8
    timestamp_embedding_size = 8

def load_model(model_file_path="", **options):
    return Model()

def get_timestamp_embeddings(audio, model):
    hop = model.sample_rate // 10
    frames = audio.unfold(1, hop, hop)                       # (n, T, hop)
    features = torch.stack([frames.abs().mean(-1) * (k + 1) for k in range(8)], -1)
    times = (torch.arange(frames.shape[1]) * hop + hop / 2) * 1000.0 / model.sample_rate
    return features.float(), times.float().expand(audio.shape[0], -1)

def get_scene_embeddings(audio, model):
    embeddings, _ = get_timestamp_embeddings(audio, model)
    return embeddings.mean(1)
"""


def test_scene_layout_shapes_and_labels(baseline_embeddings, small_tasks):
    out = task_dir_of(baseline_embeddings, "speech_commands")
    task = task_dir_of(small_tasks, "speech_commands")
    assert (out / ".done.embeddings").is_file()
    for name in ("task_metadata.json", "labelvocabulary.csv", "train.json"):
        assert (out / name).read_bytes() == (task / name).read_bytes()
    for split in ("train", "valid", "test"):
        labels_json = json.loads((task / f"{split}.json").read_text())
        rows, dim = json.loads((out / f"{split}.embedding-dimensions.json").read_text())
        assert (rows, dim) == (len(labels_json), 1024)
        matrix = np.memmap(out / f"{split}.embeddings.npy", dtype=np.float32, mode="r", shape=(rows, dim))
        assert np.isfinite(matrix).all() and matrix.std() > 0
        assert (out / f"{split}.embeddings.npy").stat().st_size == rows * dim * 4, "raw memmap, no header"
        labels = pickle.loads((out / f"{split}.target-labels.pkl").read_bytes())
        names = json.loads((out / f"{split}.filenames.json").read_text())
        assert labels == [labels_json[n] for n in names]


def test_clips_of_their_own_length_get_one_embedding_each(baseline_embeddings, small_tasks):
    """FSD50K keeps each clip's length (sample_duration null): one scene embedding per clip all the same."""
    task_dir = task_dir_of(small_tasks, "fsd50k")
    lengths = {sf.info(path).frames for path in (task_dir / "16000" / "train").iterdir()}
    assert len(lengths) > 10, "clips of many lengths"
    embeddings = task_dir_of(baseline_embeddings, "fsd50k")
    for split in ("train", "valid", "test"):
        rows, dimension = read_dimensions(embeddings, split)
        assert rows == len(json.loads((task_dir / f"{split}.json").read_text()))
        matrix = np.fromfile(embeddings / matrix_file(split), dtype=np.float32)
        assert matrix.size == rows * dimension and np.isfinite(matrix).all()


def test_event_layout_frame_labels_and_timestamps(baseline_embeddings, small_tasks):
    out = task_dir_of(baseline_embeddings, "dcase2016_task2")
    task = task_dir_of(small_tasks, "dcase2016_task2")
    events = json.loads((task / "valid.json").read_text())
    rows, dim = json.loads((out / "valid.embedding-dimensions.json").read_text())
    assert (rows, dim) == (len(events) * 2401, 512)
    stamps = json.loads((out / "valid.filename-timestamps.json").read_text())
    labels = pickle.loads((out / "valid.target-labels.pkl").read_bytes())
    assert len(stamps) == len(labels) == rows
    first_file = Path(stamps[0][0]).name
    assert [t for _, t in stamps[:3]] == [0.0, 50.0, 100.0] and stamps[2400][1] == 120000.0
    for (path, t), frame_labels in zip(stamps[:2401], labels[:2401]):
        expected = sorted({e["label"] for e in events[first_file] if e["start"] <= t <= e["end"]})
        assert sorted(frame_labels) == expected
    assert any(labels), "some frames carry labels"


def test_tiny_third_party_module_and_rerun_skips(module_dir, small_tasks, tmp_path):
    name = write_module(module_dir, "tiny_hear", GOOD_MODULE.format(rate=16000))
    outputs = run_embeddings(name, tasks_dir=str(small_tasks), embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    assert len(outputs) == len(TASK_NAMES), "one output per small task"
    event = next(o for o in outputs if o.name.startswith("dcase"))
    rows, dim = json.loads((event / "test.embedding-dimensions.json").read_text())
    assert dim == 8 and rows % 1200 == 0
    marker = event / ".done.embeddings"
    before = marker.stat().st_mtime_ns
    run_embeddings(name, tasks_dir=str(small_tasks), embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    assert marker.stat().st_mtime_ns == before, "a finished task is skipped"


def test_two_batches_at_once_give_the_same_files_as_one(module_dir, small_tasks, tmp_path):
    name = write_module(module_dir, "pair_hear", GOOD_MODULE.format(rate=16000))
    one, two = ([o for o in run_embeddings(name, tasks_dir=str(small_tasks), embeddings_dir=str(tmp_path / folder),
                                           num_workers=0, batch_size=3, model_threads=threads)]
                for folder, threads in (("one", 1), ("two", 2)))
    for a, b in zip(one, two):
        for path in sorted(a.glob("*.npy")) + sorted(a.glob("*.pkl")) + sorted(a.glob("*.filenames.json")):
            assert path.read_bytes() == (b / path.name).read_bytes(), path
    with pytest.raises(UserError, match="--model-threads must be at least 1"):
        run_embeddings(name, tasks_dir=str(small_tasks), embeddings_dir=str(tmp_path / "zero"), model_threads=0)


def test_interrupted_run_is_redone_and_leaves_nothing_half_written(module_dir, small_tasks, tmp_path):
    failing = GOOD_MODULE.format(rate=16000).replace(
        "def get_scene_embeddings(audio, model):",
        "CALLS = [0]\ndef get_scene_embeddings(audio, model):\n"
        "    CALLS[0] += 1\n    if CALLS[0] > 8:\n        raise KeyboardInterrupt\n")
    name = write_module(module_dir, "flaky_hear", failing)
    out_root = tmp_path / "emb" / name
    with pytest.raises(KeyboardInterrupt):
        run_embeddings(name, tasks_dir=str(small_tasks), task="speech_commands",
                       embeddings_dir=str(tmp_path / "emb"), num_workers=0, batch_size=8)
    assert not any(p for p in out_root.iterdir() if not p.name.startswith(".")), "no visible half-written task"
    write_module(module_dir, name, GOOD_MODULE.format(rate=16000))
    outputs = run_embeddings(name, tasks_dir=str(small_tasks), task="speech_commands",
                             embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    assert (outputs[0] / ".done.embeddings").is_file()
    assert [p.name for p in out_root.iterdir()] == [outputs[0].name]


@pytest.mark.parametrize("task, change, message", [
    ("speech_commands", "embeddings[:1].mean(1)", "returned embeddings of shape \\(1, 8\\) for 8 sounds"),
    ("speech_commands", "embeddings.mean(1)[:, :5]", "returned embeddings of shape \\(8, 5\\) for 8 sounds"),
    ("dcase2016_task2", "(embeddings, times.flip(1))", "returned timestamps that are not finite and increasing"),
    ("dcase2016_task2", "(embeddings[:, :-1], times)",
     "returned embeddings of shape \\(4, 1199, 8\\) with timestamps \\(4, 1200\\)"),
])
def test_output_that_changes_after_the_check_is_refused(module_dir, small_tasks, tmp_path, task, change, message):
    """The module passes the check before the run (batches of 1 to 4 sounds), then returns something else
    for the run's batches of 8 (scene) or 4 (event) sounds."""
    source = GOOD_MODULE.format(rate=16000)
    if task == "speech_commands":
        source = source.replace("    return embeddings.mean(1)\n",
                                f"    return embeddings.mean(1) if len(audio) < 5 else {change}\n")
    else:
        source = source.replace("    return features.float(), times.float().expand(audio.shape[0], -1)\n",
                                "    embeddings, times = features.float(), times.float().expand(audio.shape[0], -1)\n"
                                f"    return (embeddings, times) if len(audio) < 4 else {change}\n")
    name = write_module(module_dir, "changing_hear", source)
    with pytest.raises(UserError, match=f"changing_hear {message}"):
        run_embeddings(name, tasks_dir=str(small_tasks), task=task, embeddings_dir=str(tmp_path / "emb"),
                       num_workers=0, batch_size=8 if task == "speech_commands" else 4, model_threads=1)
    assert not list((tmp_path / "emb" / name).iterdir()), "nothing half-written"


PEEK_MODULE = """
import torch

class Model(torch.nn.Module):
    sample_rate = {rate}
    scene_embedding_size = 6
    timestamp_embedding_size = 6

def load_model(model_file_path="", **options):
    return Model()

def get_scene_embeddings(audio, model):  # the first, middle and last samples the runner passed
    middle = audio.shape[1] // 2
    return torch.cat([audio[:, :2], audio[:, middle:middle + 2], audio[:, -2:]], 1)

def get_timestamp_embeddings(audio, model):
    return get_scene_embeddings(audio, model)[:, None], torch.zeros(audio.shape[0], 1)
"""


@pytest.mark.parametrize("num_workers", [0, 2])
def test_the_model_gets_each_files_exact_samples(module_dir, small_tasks, tmp_path, num_workers):
    name = write_module(module_dir, f"peek_hear_{num_workers}", PEEK_MODULE.format(rate=16000))
    out = run_embeddings(name, tasks_dir=str(small_tasks), task="speech_commands",
                         embeddings_dir=str(tmp_path / "emb"), num_workers=num_workers, batch_size=5)[0]
    task = task_dir_of(small_tasks, "speech_commands")
    names = json.loads((out / "test.filenames.json").read_text())
    got = np.fromfile(out / "test.embeddings.npy", dtype=np.float32).reshape(len(names), 6)
    for name_, row in zip(names, got):
        samples, _ = sf.read(str(task / "16000" / "test" / name_), dtype="float32")
        middle = len(samples) // 2
        np.testing.assert_array_equal(row, np.concatenate([samples[:2], samples[middle:middle + 2], samples[-2:]]))


def test_resampled_audio_is_soxr_of_the_higher_rate(module_dir, small_tasks, tmp_path):
    name = write_module(module_dir, "peek_hear_22k", PEEK_MODULE.format(rate=22050))
    out = run_embeddings(name, tasks_dir=str(small_tasks), task="nsynth_pitch",
                         embeddings_dir=str(tmp_path / "emb"), num_workers=0)[0]
    task = task_dir_of(small_tasks, "nsynth_pitch")
    names = json.loads((out / "valid.filenames.json").read_text())
    got = np.fromfile(out / "valid.embeddings.npy", dtype=np.float32).reshape(len(names), 6)
    samples, _ = sf.read(str(task / "48000" / "valid" / names[0]), dtype="float32")
    expected = soxr.resample(samples, 48000, 22050, quality="HQ").astype(np.float32)
    middle = len(expected) // 2
    np.testing.assert_array_equal(got[0], np.concatenate([expected[:2], expected[middle:middle + 2], expected[-2:]]))


def test_resamples_on_the_fly_from_the_closest_higher_rate(module_dir, small_tasks, tmp_path, caplog):
    name = write_module(module_dir, "hear_22k", GOOD_MODULE.format(rate=22050))
    outputs = run_embeddings(name, tasks_dir=str(small_tasks), task="nsynth_pitch",
                             embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    cost = json.loads((outputs[0] / "cost.embeddings.json").read_text())
    assert cost["source_sample_rate"] == 48000
    assert sum("resampling on the fly from 48000 Hz" in r.message for r in caplog.records) == 1
    with pytest.raises(UserError, match="no 22050 Hz audio .*strict.* it has 16000, 48000"):
        run_embeddings(name, tasks_dir=str(small_tasks), task="speech_commands",
                       embeddings_dir=str(tmp_path / "emb2"), strict_sample_rate=True)


VIOLATIONS = {
    "missing_function": ("del get_scene_embeddings", "missing function.*get_scene_embeddings"),
    "missing_attribute": ("del Model.timestamp_embedding_size", "lacks attribute.*timestamp_embedding_size"),
    "wrong_shape": ("_orig = get_scene_embeddings\ndef get_scene_embeddings(audio, model):\n"
                    "    return _orig(audio, model)[:, :4]", r"shape \(4, 4\), expected \(4, 8\)"),
    "wrong_dtype": ("_orig = get_scene_embeddings\ndef get_scene_embeddings(audio, model):\n"
                    "    return _orig(audio, model).double()", "dtype torch.float64"),
    "timestamps_not_increasing": (
        "_orig = get_timestamp_embeddings\ndef get_timestamp_embeddings(audio, model):\n"
        "    e, t = _orig(audio, model)\n    return e, t.flip(1)", "timestamps do not increase"),
    "nan": ("_orig = get_scene_embeddings\ndef get_scene_embeddings(audio, model):\n"
            "    e = _orig(audio, model)\n    e[0, 0] = float('nan')\n    return e", "NaN or Inf"),
    "no_usable_rate": ("Model.sample_rate = 96000", "no 96000 Hz audio"),
    "import_error": ("import no_such_dependency_xyz", "cannot import HEAR module.*no_such_dependency_xyz"),
}


@pytest.mark.parametrize("violation", sorted(VIOLATIONS))
def test_api_violations_fail_before_any_task(module_dir, small_tasks, tmp_path, violation):
    patch, message = VIOLATIONS[violation]
    name = write_module(module_dir, f"bad_{violation}", GOOD_MODULE.format(rate=16000) + "\n" + patch + "\n")
    with pytest.raises(UserError, match=message):
        run_embeddings(name, tasks_dir=str(small_tasks), embeddings_dir=str(tmp_path / "emb"), num_workers=0)
    assert not (tmp_path / "emb").exists() or not any((tmp_path / "emb").rglob("*.npy"))


def test_cli_reports_errors_in_one_line(small_tasks, tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.embeddings.runner", "no.such.module", "--tasks-dir",
                             str(small_tasks)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: cannot import HEAR module 'no.such.module'" in result.stderr
    result = subprocess.run([sys.executable, "-m", "heareval.embeddings.runner", "heareval.baseline",
                             "--tasks-dir", str(tmp_path / "nope")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 1 and "tasks folder not found" in result.stderr


@pytest.mark.parametrize("task, flaw, message", [
    ("speech_commands", lambda labels: {**labels, next(iter(labels)): ["zebra"]}, "label 'zebra' is not in"),
    ("dcase2016_task2", lambda events: {name: [{"label": e["label"], "start": e["start"]} for e in file_events]
                                        for name, file_events in events.items()}, "an event needs a label, start"),
])
def test_a_flawed_split_file_fails_before_any_embedding(small_tasks, tmp_path, task, flaw, message):
    tasks = tmp_path / "tasks"
    copied = tasks / task_dir_of(small_tasks, task).name
    shutil.copytree(task_dir_of(small_tasks, task), copied)
    labels = json.loads((copied / "valid.json").read_text())
    (copied / "valid.json").write_text(json.dumps(flaw(labels)))
    with pytest.raises(UserError, match=f"valid.json: .*{message}"):
        run_embeddings("heareval.baseline", tasks_dir=str(tasks), embeddings_dir=str(tmp_path / "e"), num_workers=0)
    assert not any((tmp_path / "e").rglob("*.embeddings.npy")), "nothing embedded, not even the train split"


def test_hidden_and_unrelated_folders_are_ignored(small_tasks, tmp_path):
    tasks = tmp_path / "tasks"
    shutil.copytree(task_dir_of(small_tasks, "speech_commands"), tasks / "speech_commands-v0.0.2-small")
    (tasks / ".half-written").mkdir()
    (tasks / ".half-written" / "task_metadata.json").write_text("{}")
    (tasks / "notes").mkdir()
    outputs = run_embeddings("heareval.baseline", tasks_dir=str(tasks), embeddings_dir=str(tmp_path / "e"),
                             num_workers=0)
    assert [o.name for o in outputs] == ["speech_commands-v0.0.2-small"]


@pytest.mark.parametrize("module", ["hearbaseline", "hearbaseline.naive"])
def test_hearbaseline_from_pypi_works_as_the_original_readme_says(small_tasks, tmp_path, module):
    result = subprocess.run([sys.executable, "-m", "heareval.embeddings.runner", module, "--tasks-dir",
                             str(small_tasks), "--task", "speech_commands"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    out = tmp_path / "embeddings" / module / "speech_commands-v0.0.2-small"
    rows, dim = json.loads((out / "test.embedding-dimensions.json").read_text())
    assert rows == len(json.loads((out / "test.json").read_text())) and dim > 0


def test_validate_cli_reports(tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.validate", "heareval.baseline"], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode == 0
    assert "heareval.baseline: all 8 checks passed" in result.stdout  # 4 tries as the official's, 4 more
    assert result.stdout.count("ok   ") == 8
    assert "note concurrent calls agree with sequential ones" in result.stdout
