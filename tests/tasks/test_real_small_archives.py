"""speech_commands mode small built from the original's downsampled archives of real recordings
(../shared/real/), checked against the task hearpreprocess 2021.1.1 built from the same archives."""

import hashlib
import json
from pathlib import Path

import pytest

from heareval.tasks.config import resolve_config
from heareval.tasks.runner import preprocess

REAL = Path(__file__).resolve().parents[3] / "shared" / "real"

# sha1 of the sorted "file:labels" lines of each split's <split>.json as the original wrote it
# (benchmarks/preprocess.py --real ran both kits; 56, 132 and 96 files)
ORIGINAL_SPLITS = {
    "train": (56, "9c2fded39408f798aa8d446850e2c48e79715db7"),
    "valid": (132, "f1d4dec2f1664a7f476cb6d092e8da974c47dfb9"),
    "test": (96, "7d009059e2214333fc1c0cd52d819b20b87bcaed"),
}


def split_digest(labels: dict) -> str:
    return hashlib.sha1("".join(f"{name}:{','.join(map(str, value))}\n"
                                for name, value in sorted(labels.items())).encode()).hexdigest()


def test_the_small_mode_reads_the_originals_downsampled_archives_and_small_the_stand_in():
    official = resolve_config("speech_commands", "small", False, "w")
    assert [e["url"].rsplit("/", 1)[-1] for e in official["download_urls"]] == [
        "speech_commands_v0.02-small.zip", "speech_commands_test_set_v0.02-small.zip"]
    assert official["download_urls"][0]["md5"] == "455123a88b8410d1f955c77ad331524f"
    stand_in = resolve_config("speech_commands", None, True, "w")
    assert stand_in["mode"] == "small"
    assert stand_in["download_urls"][0]["url"].endswith("speech_commands_v0.02.tar.gz")


@pytest.mark.skipif(not REAL.is_dir(), reason="the real archives are not beside the project (../shared/real/)")
def test_real_recordings_split_as_the_original_split_them(tmp_path):
    preprocess(["speech_commands"], [16000], mode="small", mirror=str(REAL), work_dir=str(tmp_path / "w"),
               tasks_dir=str(tmp_path / "tasks"), num_workers=2)
    task = tmp_path / "tasks" / "speech_commands-v0.0.2-small"
    for split, (count, digest) in ORIGINAL_SPLITS.items():
        labels = json.loads((task / f"{split}.json").read_text())
        assert (len(labels), split_digest(labels)) == (count, digest), split
