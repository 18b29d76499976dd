"""Split zip archives read in process: Info-ZIP's own (plain and zip64), the stand-ins' writer, bad parts."""

import zipfile
from pathlib import Path

import numpy as np
import pytest

from heareval.errors import UserError
from heareval.tasks.archive import extract_split_zip
from heareval.tasks.small import write_split_zip
from heareval.tasks.split_zip import open_split_zip

DATA = Path(__file__).parent / "data" / "split_zip"
CLIPS = {f"clips/{i}.bin": np.random.default_rng(i).bytes(35000) for i in range(3)}


@pytest.mark.parametrize("stem", ["plain", "zip64"])
def test_info_zips_split_archives_read_as_written(stem, tmp_path):
    parts = [DATA / f"{stem}.z01", DATA / f"{stem}.zip"]
    with open_split_zip(parts) as archive:
        assert {info.volume for info in archive.infolist()} == {0, 1}, "members start in both parts"
        assert {name: archive.read(name) for name in CLIPS} == CLIPS
    extract_split_zip(parts, tmp_path / "out")
    assert {name: (tmp_path / "out" / name).read_bytes() for name in CLIPS} == CLIPS


def test_the_stand_ins_split_archives_round_trip(tmp_path):
    members = {f"FSD50K.dev_audio/{i}.wav": np.random.default_rng(10 + i).bytes(5000 + 700 * i) for i in range(7)}
    parts = write_split_zip(tmp_path, "a", iter(members.items()), data_parts=5)
    assert [p.name for p in parts] == ["a.z01", "a.z02", "a.z03", "a.z04", "a.z05", "a.zip"]
    assert len({p.stat().st_size for p in parts[:4]}) == 1, "data parts of equal size"
    with open_split_zip(parts) as archive:
        assert {info.filename: archive.read(info) for info in archive.infolist()} == members
        assert sorted({info.volume for info in archive.infolist()}) == [0, 1, 2, 3, 4]
    joined = tmp_path / "joined.zip"
    joined.write_bytes(b"".join(p.read_bytes() for p in parts)[4:])  # a plain zip would not start with the marker
    with pytest.raises(zipfile.BadZipFile):  # offsets are relative to each part, so not a plain zip
        with zipfile.ZipFile(joined) as plain:
            [plain.read(name) for name in members]


def test_a_truncated_last_part_is_one_clear_error(tmp_path):
    (tmp_path / "c.z01").write_bytes((DATA / "plain.z01").read_bytes())
    (tmp_path / "c.zip").write_bytes((DATA / "plain.zip").read_bytes()[:-30])
    with pytest.raises(UserError, match=r"corrupt archive .*c.zip"):
        extract_split_zip([tmp_path / "c.z01", tmp_path / "c.zip"], tmp_path / "out")


def test_a_missing_part_is_one_clear_error(tmp_path):
    with pytest.raises(UserError, match=r"corrupt archive .*plain.zip"):
        extract_split_zip([DATA / "plain.zip"], tmp_path / "out")
