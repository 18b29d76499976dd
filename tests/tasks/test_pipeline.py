"""The tasks stage's shared steps: metadata checks, rows on disk, split labels, the finished folder."""

import os

import numpy as np
import pandas as pd
import pytest

from heareval.errors import UserError
from heareval.tasks.pipeline import (
    ExtractArchive,
    ExtractMetadata,
    ExtractSplitZip,
    extract_stage,
    link_tree,
    read_records,
    split_labels,
    times_as_the_original_read_them,
    write_records,
)


class Listed(ExtractMetadata):
    """The base extraction under Speech Commands' config (its name and declared vocabulary)."""

    def get_metadata(self) -> pd.DataFrame:
        raise AssertionError("not used")


def listed(tmp_path):
    return Listed(task_name="speech_commands", work_dir=str(tmp_path / "work"))


def wav_rows(tmp_path, names, labels):
    for name in names:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"RIFF")
    return pd.DataFrame({"relpath": [str(tmp_path / name) for name in names], "label": labels,
                         "split": ["train"] * len(names)})


def test_metadata_gets_file_stems_and_split_keys(tmp_path):
    rows = listed(tmp_path).validate(wav_rows(tmp_path, ["yes/a_nohash_0.wav", "no/b_nohash_1.wav"], ["yes", "no"]))
    assert rows["unique_filestem"].tolist() == ["a_nohash_0", "b_nohash_1"]
    assert rows["split_key"].tolist() == ["a_nohash_0", "b_nohash_1"], "by default each file is its own key"
    given = wav_rows(tmp_path, ["c.wav"], ["yes"]).assign(unique_filestem=["yes_c"], split_key=["speaker"])
    assert listed(tmp_path).validate(given)[["unique_filestem", "split_key"]].values.tolist() == [["yes_c", "speaker"]]


@pytest.mark.parametrize("case, message", [
    ("no rows", "speech_commands: the corpus holds no audio files"),
    ("missing file", "speech_commands: audio file named in metadata but missing: .*gone.wav"),
    ("same stem", "speech_commands: several files share the name 'a'"),
    ("unknown label", "speech_commands: label 'zebra' of .*z.wav is not in the task's vocabulary"),
])
def test_metadata_that_cannot_make_a_task_is_refused_by_name(tmp_path, case, message):
    rows = wav_rows(tmp_path, ["yes/a.wav", "no/b.wav"], ["yes", "no"])
    if case == "no rows":
        rows = rows.iloc[:0]
    elif case == "missing file":
        rows.loc[1, "relpath"] = str(tmp_path / "gone.wav")
    elif case == "same stem":
        rows = pd.concat([rows, wav_rows(tmp_path, ["no/a.wav"], ["no"])], ignore_index=True)
    else:
        rows = pd.concat([rows, wav_rows(tmp_path, ["z.wav"], ["zebra"])], ignore_index=True)
    with pytest.raises(UserError, match=message):
        listed(tmp_path).validate(rows)


def test_rows_on_disk_keep_every_number_exactly(tmp_path):
    rows = pd.DataFrame({"relpath": ["a.wav", "b.wav"], "start": [8.14 * 1000, 4.06 * 1000], "label": [3, None]})
    write_records(rows, tmp_path / "rows.json")
    back = read_records(tmp_path / "rows.json")
    assert back["start"].tolist() == [8140.000000000001, 4059.9999999999995], "pandas' to_json keeps 10 digits"
    assert list(back.columns) == ["relpath", "start", "label"] and back["label"][0] == 3


def test_scene_split_labels_list_each_files_labels_once_in_file_order():
    rows = pd.DataFrame({"unique_filestem": ["b", "a", "a", "a"], "label": [np.int64(60), "x", "y", "x"]})
    labels = split_labels(rows, {"embedding_type": "scene"})
    assert list(labels) == ["a.wav", "b.wav"] and labels == {"a.wav": ["x", "y"], "b.wav": [60]}
    assert type(labels["b.wav"][0]) is int, "numpy numbers are written as JSON numbers"


def test_event_split_labels_are_sorted_and_cut_at_the_clip_length():
    rows = pd.DataFrame({"unique_filestem": ["f", "f", "f", "g"], "label": ["b", "a", "c", None],
                         "start": [500.0, 100.0, 2100.0, None], "end": [2500.0, 300.0, 2200.0, None]})
    labels = split_labels(rows, {"embedding_type": "event", "sample_duration": 2.0})
    assert labels == {"f.wav": [{"label": "a", "start": 100.0, "end": 300.0},
                                {"label": "b", "start": 500.0, "end": 2000.0}],
                      "g.wav": []}, "an event past the clip's end is left out; one over it is cut"
    whole = split_labels(rows, {"embedding_type": "event", "sample_duration": None})
    assert whole["f.wav"][1]["end"] == 2500.0 and len(whole["f.wav"]) == 3, "variable length: nothing cut"


def test_a_download_entry_is_extracted_as_an_archive_or_as_split_zip_parts(tmp_path):
    archive = extract_stage({"split": "train", "url": "https://host/speech_commands_v0.02.tar.gz", "md5": "m"},
                            str(tmp_path), 1)
    assert isinstance(archive, ExtractArchive)
    assert archive.output().path == str(tmp_path / "extracted" / "speech_commands_v0.02")
    parts = [{"url": f"https://host/FSD50K.dev_audio.z0{i}", "md5": f"m{i}"} for i in (1, 2)]
    split_zip = extract_stage({"split": "dev", "zipname": "FSD50K.dev_audio.zip", "multipart_zip_urls": parts},
                              str(tmp_path), 1)
    assert isinstance(split_zip, ExtractSplitZip) and list(split_zip.md5s) == ["m1", "m2"]
    assert split_zip.output().path == str(tmp_path / "extracted" / "FSD50K.dev_audio")


def test_finished_audio_is_linked_not_copied(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.wav").write_bytes(b"RIFF....")
    link_tree(tmp_path / "a", tmp_path / "b" / "16000")
    assert (tmp_path / "b" / "16000" / "x.wav").read_bytes() == b"RIFF...."
    assert os.stat(tmp_path / "a" / "x.wav").st_ino == os.stat(tmp_path / "b" / "16000" / "x.wav").st_ino


def test_event_times_are_read_back_as_the_original_read_its_metadata_csv():
    metadata = pd.DataFrame({"start": [4.06 * 1000, 8.14 * 1000, float("nan")], "end": [32.26 * 1000, 1.0, None]})
    assert metadata["start"][0] == 4059.9999999999995
    result = times_as_the_original_read_them(metadata)
    assert pd.isna(result["start"][2]) and pd.isna(result["end"][2])
    if int(pd.__version__.split(".")[0]) < 3:  # the parser the original read its CSV with
        assert result["start"].tolist()[:2] == [4060.0, 8140.000000000001] and result["end"][0] == 32260.0
    else:  # pandas 3 reads every float back exactly: the original's last-bit rounding is not reproduced
        assert result["start"].tolist()[:2] == [4059.9999999999995, 8140.000000000001]
