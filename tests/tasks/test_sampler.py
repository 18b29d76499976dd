import json
import shutil
import subprocess
import sys
import tarfile

import pytest

from heareval.errors import UserError
from heareval.tasks.download import md5_of
from heareval.tasks.runner import preprocess
from heareval.tasks.sampler import sample_task


def downloaded_stand_in(small_workspace, tmp_path, task_name: str):
    """A work folder whose downloads/ holds the task's stand-in archives, as after downloading them."""
    work = tmp_path / "_workdir"
    (work / "downloads").mkdir(parents=True)
    for archive in (small_workspace / "_workdir" / "small-corpora" / task_name).iterdir():
        if archive.name != "MD5SUMS":
            shutil.copyfile(archive, work / "downloads" / archive.name)
    return work


def test_sampler_makes_a_consistent_small_corpus_deterministically(small_workspace, tmp_path):
    work = downloaded_stand_in(small_workspace, tmp_path, "nsynth_pitch")
    first = sample_task("nsynth_pitch", work, tmp_path / "a", fraction=0.3)
    second = sample_task("nsynth_pitch", work, tmp_path / "b", fraction=0.3)
    assert (first / "MD5SUMS").read_text() == (second / "MD5SUMS").read_text(), "deterministic"
    with tarfile.open(first / "nsynth-train.jsonwav.tar.gz") as tar:
        names = tar.getnames()
        examples = json.loads(tar.extractfile("nsynth-train/examples.json").read())
    audio = [n for n in names if n.endswith(".wav")]
    assert 0 < len(audio) < 0.5 * 180
    assert sorted(f"nsynth-train/audio/{k}.wav" for k in examples) == sorted(audio), "metadata matches the audio"
    for line in (first / "MD5SUMS").read_text().splitlines():
        md5, name = line.split()
        assert md5_of(first / name) == md5
    # a 30% sample keeps some pitches out of some splits, which hearpreprocess refuses outside mode small
    with pytest.raises(UserError, match=r"nsynth_pitch: split \w+ has no example of label '\d+' \(the corpus"):
        preprocess(["nsynth_pitch"], [16000], mirror=str(first), work_dir=str(tmp_path / "w"),
                   tasks_dir=str(tmp_path / "tasks"), num_workers=1)


def test_sampler_needs_the_downloaded_corpus(tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.sampler", "dcase2016_task2", "--work-dir",
                             str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1 and "download the full corpus first" in result.stderr
    assert "Traceback" not in result.stderr


def test_sampler_keeps_rar_archives_rar(small_workspace, tmp_path):
    from heareval.tasks.sampler import read_members

    work = downloaded_stand_in(small_workspace, tmp_path, "beehive_states_fold0")
    sample = sample_task("beehive_states_fold0", work, tmp_path / "a", fraction=0.5)
    for line in (sample / "MD5SUMS").read_text().splitlines():
        md5, name = line.split()
        assert name.endswith(".rar") and md5_of(sample / name) == md5
        kept = read_members(sample / name)
        whole = dict(read_members(work / "downloads" / name))
        assert 0 < len(kept) < len(whole) and all(whole[member] == data for member, data in kept)


def test_a_task_without_archives_is_refused_in_one_line(tmp_path):
    with pytest.raises(UserError, match="tfds_crema_d: the sampler reads archives"):
        sample_task("tfds_crema_d", tmp_path / "w", tmp_path / "out", 0.1)
