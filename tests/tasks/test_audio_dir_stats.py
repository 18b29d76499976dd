import json
import subprocess
import sys

import numpy as np
import soundfile as sf


def test_audio_dir_stats_cli(tmp_path):
    folder = tmp_path / "audio"
    (folder / "sub").mkdir(parents=True)
    for i, (seconds, rate) in enumerate([(1.0, 16000), (2.0, 16000), (3.0, 44100), (4.0, 48000)]):
        sf.write(str(folder / ("sub" if i % 2 else "") / f"{i}.wav"), np.zeros(int(seconds * rate)), rate)
    (folder / "notes.txt").write_text("not audio")
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.audio_dir_stats", str(folder),
                             str(tmp_path / "stats.json")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    stats = json.loads((tmp_path / "stats.json").read_text())
    durations = [1.0, 2.0, 3.0, 4.0]
    # hearpreprocess 2021.1.1's get_audio_dir_stats keys and rounding
    assert stats == {
        "count": 4,
        "duration": {"mean": 2.5, "var": 1.25, "min": 1.0, "max": 4.0,
                     **{f"{p}th": round(float(np.percentile(durations, p)), 2) for p in (10, 25, 50, 75, 90, 95)}},
        "samplerates": {"16000": 2, "44100": 1, "48000": 1},
        "count_mono": 4,
        "summary": {"successfully_extracted": {".wav": 4}, "failed_to_extract": {}},
    }
    assert stats["duration"]["10th"] == 1.3


def test_equal_durations_have_no_percentiles_and_unreadable_files_are_counted(tmp_path):
    from heareval.tasks.audio_dir_stats import audio_dir_stats

    for i in range(3):
        sf.write(str(tmp_path / f"{i}.wav"), np.zeros((16000, 2)), 16000)
    (tmp_path / "broken.wav").write_bytes(b"RIFF garbage")
    stats = audio_dir_stats(tmp_path)
    assert stats["duration"] == {"mean": 1.0, "var": 0.0}
    assert stats["count"] == 4 and stats["count_mono"] == 0
    assert stats["summary"] == {"successfully_extracted": {".wav": 3}, "failed_to_extract": {".wav": 1}}


def test_audio_dir_stats_bad_input(tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.audio_dir_stats", str(tmp_path / "nope"),
                             str(tmp_path / "s.json")], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.strip() == f"error: not a folder: {tmp_path / 'nope'}"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.wav").write_bytes(b"RIFF garbage")
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.audio_dir_stats", str(tmp_path / "bad"),
                             str(tmp_path / "s.json")], capture_output=True, text=True)
    assert result.returncode == 1 and "x.wav" in result.stderr and "Traceback" not in result.stderr
