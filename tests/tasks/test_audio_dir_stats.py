import json
import subprocess
import sys

import numpy as np
import pytest
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
    assert stats["audio_count"] == 4
    assert stats["audio_samplerate_count"] == {"16000": 2, "44100": 1, "48000": 1}
    assert stats["audio_mean_dur(sec)"] == pytest.approx(2.5)
    assert stats["audio_median_dur(sec)"] == pytest.approx(2.5)
    assert stats["audio_10th_percentile_dur(sec)"] == pytest.approx(np.percentile([1, 2, 3, 4], 10))
    assert stats["audio_90th_percentile_dur(sec)"] == pytest.approx(np.percentile([1, 2, 3, 4], 90))


def test_audio_dir_stats_bad_input(tmp_path):
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.audio_dir_stats", str(tmp_path / "nope"),
                             str(tmp_path / "s.json")], capture_output=True, text=True)
    assert result.returncode == 1 and result.stderr.strip() == f"error: not a folder: {tmp_path / 'nope'}"
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.wav").write_bytes(b"RIFF garbage")
    result = subprocess.run([sys.executable, "-m", "heareval.tasks.audio_dir_stats", str(tmp_path / "bad"),
                             str(tmp_path / "s.json")], capture_output=True, text=True)
    assert result.returncode == 1 and "x.wav" in result.stderr and "Traceback" not in result.stderr
