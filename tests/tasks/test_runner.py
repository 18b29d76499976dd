"""The tasks runner end to end on the small corpora: the documented format, a killed run, bad input."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from heareval.tasks.config import TASK_NAMES
from heareval.tasks.download import md5_of
from heareval.tasks.small import write_tar_gz, write_zip
from tests.conftest import SMALL_RATES, task_dir_of

REPO = Path(__file__).resolve().parents[2]
DOCUMENTED_KEYS = set(re.findall(r"^\| `([a-z_]+)`", (REPO / "docs/task-format.md").read_text(), re.M))


def run_cli(*args, cwd=None, timeout=600):
    return subprocess.run([sys.executable, "-m", "heareval.tasks.runner", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.mark.parametrize("task_name", ["speech_commands", "nsynth_pitch", "dcase2016_task2"])
def test_small_tasks_follow_the_documented_format(small_tasks, task_name):
    task_dir = task_dir_of(small_tasks, task_name)
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    assert task_dir.name == f"{metadata['task_name']}-{metadata['version']}-{metadata['mode']}"
    assert metadata["mode"] == "small" and metadata["splits"] == ["train", "valid", "test"]
    assert set(metadata) <= DOCUMENTED_KEYS, f"undocumented keys {set(metadata) - DOCUMENTED_KEYS}"
    assert list(metadata)[:6] == ["task_name", "version", "embedding_type", "prediction_type", "split_mode",
                                  "sample_duration"]
    assert (task_dir / "task_metadata.json").read_text().startswith('{\n "task_name"'), "1-space indent"
    lines = (task_dir / "labelvocabulary.csv").read_text().splitlines()
    assert lines[0] == "idx,label"
    vocabulary = [line.split(",", 1)[1] for line in lines[1:]]
    assert [int(line.split(",")[0]) for line in lines[1:]] == list(range(len(vocabulary)))
    assert sorted(p.name for p in task_dir.iterdir()) == sorted(
        ["task_metadata.json", "labelvocabulary.csv", "train.json", "valid.json", "test.json"]
        + [str(r) for r in SMALL_RATES])
    seen_labels = set()
    for split in metadata["splits"]:
        labels = json.loads((task_dir / f"{split}.json").read_text())
        assert list(labels) == sorted(labels) and labels, split
        for rate in SMALL_RATES:
            assert sorted(p.name for p in (task_dir / str(rate) / split).iterdir()) == list(labels)
        for name, value in list(labels.items())[:5]:
            if metadata["embedding_type"] == "event":
                for event in value:
                    assert set(event) == {"label", "start", "end"}
                    assert 0 <= event["start"] <= event["end"] <= metadata["sample_duration"] * 1000
                    seen_labels.add(str(event["label"]))
            else:
                assert isinstance(value, list) and len(value) == 1
                seen_labels.update(map(str, value))
            for rate in SMALL_RATES:
                info = sf.info(str(task_dir / str(rate) / split / name))
                assert (info.samplerate, info.channels, info.subtype, info.format) == (rate, 1, "PCM_16", "WAV")
                assert info.frames == int(round(metadata["sample_duration"] * rate))
    assert seen_labels <= set(vocabulary)
    if task_name == "nsynth_pitch":
        assert vocabulary == [str(p) for p in range(21, 109)]
        train = json.loads((task_dir / "train.json").read_text())
        assert all(isinstance(v[0], int) for v in train.values())


def test_audio_is_not_silence(small_tasks):
    for task_name in ("speech_commands", "nsynth_pitch", "dcase2016_task2"):
        task_dir = task_dir_of(small_tasks, task_name)
        path = sorted((task_dir / "16000" / "train").iterdir())[0]
        audio, _ = sf.read(str(path))
        assert np.sqrt(np.mean(audio ** 2)) > 0.01


def test_audio_stats_json_as_the_original_wrote_them(small_workspace):
    work = task_dir_of(small_workspace / "_workdir", "speech_commands")
    stats = json.loads((work / "stats" / "16000-train-audio-stats.json").read_text())
    assert stats["samplerates"] == {"16000": stats["count"]} and stats["count_mono"] == stats["count"]
    assert stats["duration"] == {"mean": 1.0, "var": 0.0}, "equal lengths: no percentiles, as the original"
    counts = json.loads((work / "stats" / "train-labelcount.json").read_text())  # heareval's: label counts
    assert "_silence_" in counts and sum(counts.values()) == stats["count"]
    assert json.loads((work / "01-ExtractMetadata" / "extracted-audio-stats.json").read_text())["count"] > 0


def test_killed_run_resumes_without_redoing_finished_stages(small_workspace, tmp_path):
    work = tmp_path / "_workdir"
    shutil.copytree(small_workspace / "_workdir" / "small-corpora", work / "small-corpora")
    args = ["dcase2016_task2", "--small", "--sample-rate", "16000,22050", "--work-dir", str(work),
            "--tasks-dir", str(tmp_path / "tasks"), "--num-workers", "1"]
    process = subprocess.Popen([sys.executable, "-m", "heareval.tasks.runner", *args], cwd=tmp_path,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    marker = work / "dcase2016_task2-hear2021-small" / "03-MonoTrimPadSplit"
    deadline = time.time() + 300
    while not (marker.is_dir() and any(p.name in ("train", "valid", "test") for p in marker.iterdir())):
        assert process.poll() is None, "the run finished before it could be killed"
        assert time.time() < deadline
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    tasks_dir = tmp_path / "tasks"
    assert not tasks_dir.exists() or not any(p.name.startswith("dcase") for p in tasks_dir.iterdir())
    download = work / "downloads" / "dcase2016_task2_train_dev.zip"
    before = download.stat().st_mtime_ns
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert download.stat().st_mtime_ns == before, "a finished download was redone"
    final = tasks_dir / "dcase2016_task2-hear2021-small"
    for rate in ("16000", "22050"):
        for split in ("train", "valid", "test"):
            assert sorted(p.name for p in (final / rate / split).iterdir()) == sorted(
                json.loads((final / f"{split}.json").read_text()))
    assert not any(p.name.startswith(".") for p in tasks_dir.iterdir())


def test_unknown_task_is_one_line(tmp_path):
    result = run_cli("no_such_task", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"error: unknown task 'no_such_task'; known tasks: {', '.join(TASK_NAMES)}"]


def test_unwritable_tasks_dir(tmp_path):
    (tmp_path / "a_file").write_text("")
    result = run_cli("nsynth_pitch", "--small", "--tasks-dir", str(tmp_path / "a_file" / "tasks"), cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "cannot create" in result.stderr and "a_file" in result.stderr


def rewrite(source: Path, target: Path, change) -> None:
    """Copy an archive, letting change(name, data) replace (bytes) or drop (None) members."""
    if source.name.endswith(".zip"):
        with zipfile.ZipFile(source) as zf:
            members = [(i.filename, zf.read(i)) for i in zf.infolist()]
        writer = write_zip
    else:
        with tarfile.open(source) as tar:
            members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers() if m.isfile()]
        writer = write_tar_gz
    changed = [(n, change(n, d)) for n, d in members]
    writer(target, ((n, d) for n, d in changed if d is not None))


def broken_mirror(small_workspace, tmp_path, task_name, archive_name, change) -> Path:
    mirror = tmp_path / "mirror"
    shutil.copytree(small_workspace / "_workdir" / "small-corpora" / task_name, mirror)
    rewrite(mirror / archive_name, mirror / (archive_name + ".new"), change)
    (mirror / (archive_name + ".new")).replace(mirror / archive_name)
    names = [line.split()[1] for line in (mirror / "MD5SUMS").read_text().splitlines()]
    (mirror / "MD5SUMS").write_text("".join(f"{md5_of(mirror / n)}  {n}\n" for n in names))
    return mirror


@pytest.mark.parametrize("case", ["corrupt_audio", "empty_audio", "missing_audio", "label_outside_vocabulary"])
def test_bad_corpus_gives_one_clear_error_and_no_task(small_workspace, tmp_path, case):
    if case in ("corrupt_audio", "empty_audio", "missing_audio"):
        task_name, archive, target = "nsynth_pitch", "nsynth-test.jsonwav.tar.gz", None

        def change(name, data):
            nonlocal target
            if name.endswith(".wav") and target is None:
                target = name.rsplit("/", 1)[-1]
                return {"corrupt_audio": b"this is not audio at all" * 10, "empty_audio": b"",
                        "missing_audio": None}[case]
            return data
    else:
        task_name, archive, target = "dcase2016_task2", "dcase2016_task2_test_public.zip", "unicorn"

        def change(name, data):
            if name.endswith(".txt") and "annotation" in name:
                return data.replace(b"\tcough", b"\tunicorn")
            return data
    mirror = broken_mirror(small_workspace, tmp_path, task_name, archive, change)
    result = run_cli(task_name, "--mirror", str(mirror), "--sample-rate", "16000", "--work-dir",
                     str(tmp_path / "w"), "--tasks-dir", str(tmp_path / "tasks"), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and target in errors[0], result.stderr
    assert "MD5SUMS overrides" in result.stderr
    assert list((tmp_path / "tasks").iterdir()) == []


def test_mode_must_be_known(tmp_path):
    result = run_cli("nsynth_pitch", "--mode", "7h", "--tasks-dir", str(tmp_path / "t"), cwd=tmp_path)
    assert result.returncode == 1 and "unknown mode '7h' for nsynth_pitch; its modes: 5h, 50h, small" in result.stderr


def test_small_takes_no_other_mode(tmp_path):
    result = run_cli("all", "--small", "--mode", "full", "--tasks-dir", str(tmp_path / "t"), cwd=tmp_path)
    assert result.returncode == 1
    assert "--small builds mode small; it cannot be combined with --mode full" in result.stderr
    assert not (tmp_path / "t").exists() and not (tmp_path / "_workdir").exists()
