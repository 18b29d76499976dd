"""The audio loader returns exactly libsndfile's floats, whichever path it reads them by."""

import numpy as np
import pytest
import soundfile as sf

from heareval import audio
from heareval.errors import UserError


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
@pytest.mark.parametrize("channels", [1, 2])
def test_read_audio_equals_libsndfile_floats(tmp_path, subtype, channels):
    rng = np.random.default_rng(0)
    samples = rng.uniform(-1, 1, size=(4000, channels))
    samples[:3] = [[-1.0] * channels, [1.0] * channels, [0.0] * channels]  # full scale both ways
    path = tmp_path / f"{subtype}-{channels}.wav"
    sf.write(str(path), samples, 16000, subtype=subtype)
    expected, _ = sf.read(str(path), dtype="float32", always_2d=False)

    got, rate = audio.read_audio(path)

    assert rate == 16000
    assert got.dtype == np.float32
    assert got.shape == expected.shape == ((4000,) if channels == 1 else (4000, 2))
    np.testing.assert_array_equal(got, expected)


def test_read_audio_flac(tmp_path):
    path = tmp_path / "a.flac"
    sf.write(str(path), np.linspace(-0.5, 0.5, 1000), 22050, subtype="PCM_16")
    expected, _ = sf.read(str(path), dtype="float32")
    got, rate = audio.read_audio(path)
    assert rate == 22050
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("container, subtype, extension", [
    ("OGG", "VORBIS", "ogg"), ("OGG", "OPUS", "opus"), ("MP3", "MPEG_LAYER_III", "mp3"),
])
def test_lossy_formats_decode_in_process(tmp_path, monkeypatch, container, subtype, extension):
    """Vorbis, Opus and MP3 (FSD50K's, Vocal Imitation's and other corpora's sources) are read by libsndfile
    (1.1 or later), with no ffmpeg to fall back on."""
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    rate = 48000 if subtype == "OPUS" else 44100
    t = np.arange(rate) / rate
    signal = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / f"a.{extension}"
    sf.write(path, signal, rate, format=container, subtype=subtype)
    got, got_rate = audio.read_audio(path)
    assert got_rate == rate and got.dtype == np.float32
    expected, _ = sf.read(path, dtype="float32")
    np.testing.assert_array_equal(got, expected)
    middle = slice(rate // 4, rate // 2)  # away from the codecs' start-up delay
    spectrum = np.abs(np.fft.rfft(got[middle]))
    assert np.argmax(spectrum) * rate / len(got[middle]) == pytest.approx(440, abs=8), "the tone survives decoding"


@pytest.mark.parametrize("subtype, extension", [("PCM_16", "wav"), ("PCM_24", "wav"), ("PCM_16", "flac")])
def test_only_the_first_seconds_are_read_when_asked(tmp_path, subtype, extension):
    """A clip cut from a long recording is read alone: the same samples as a whole read, a fraction of its
    memory."""
    import tracemalloc

    rate, seconds = 48000, 60
    path = tmp_path / f"long.{extension}"
    signal = np.random.default_rng(0).uniform(-0.5, 0.5, (rate * seconds, 2))
    sf.write(path, signal, rate, subtype=subtype)
    whole, _ = audio.read_audio(path)
    tracemalloc.start()
    first, read_rate = audio.read_audio(path, max_seconds=1.5)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert read_rate == rate and first.shape == (72000, 2)
    np.testing.assert_array_equal(first, whole[:72000])
    assert peak < whole.nbytes / 20, f"{peak} bytes traced for 1.5 s of a 60 s file ({whole.nbytes} bytes whole)"
    short, _ = audio.read_audio(path, max_seconds=120.0)
    assert short.shape == whole.shape, "a file shorter than max_seconds is read whole"


def test_read_audio_not_audio(tmp_path, monkeypatch):
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    path = tmp_path / "notes.wav"
    path.write_text("not a wav")
    with pytest.raises(UserError, match="notes.wav"):
        audio.read_audio(path)


def test_frame_count_from_the_header_and_a_clear_error_for_non_audio(tmp_path, monkeypatch):
    path = tmp_path / "a.wav"
    sf.write(str(path), np.zeros((1234, 2)), 16000, subtype="PCM_16")
    assert audio.frame_count(path) == 1234
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF....WAVEjunk")
    with pytest.raises(UserError, match="broken.wav"):
        audio.frame_count(broken)


@pytest.mark.parametrize("damage", ["truncated", "streamed", "extra chunk"])
def test_unusual_wav_files_read_as_libsndfile_reads_them(tmp_path, damage):
    """A header that promises more samples than the file has (cut short, or written as a stream of unknown
    length) or a metadata chunk before the samples: the length and the floats are libsndfile's."""
    path = tmp_path / "a.wav"
    sf.write(str(path), np.random.default_rng(1).uniform(-1, 1, 4000), 16000, subtype="PCM_16")
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[:-1000]
    elif damage == "streamed":
        data[40:44] = (0xFFFFFFFF).to_bytes(4, "little")  # the data chunk's size field
    else:
        samples = sf.read(str(path))[0]
        with sf.SoundFile(str(path), "w", 16000, 1, "PCM_16") as sound:
            sound.title = "a title long enough to need its own chunk"
            sound.write(samples)
        data = bytearray(path.read_bytes())
        assert 0 < data.find(b"LIST") < data.find(b"data")
    path.write_bytes(bytes(data))
    expected, _ = sf.read(str(path), dtype="float32")

    got, _ = audio.read_audio(path)

    assert audio.frame_count(path) == len(got) == len(expected)
    np.testing.assert_array_equal(got, expected)


def test_an_unreadable_file_gets_a_clear_error(tmp_path, monkeypatch):
    path = tmp_path / "locked.wav"
    sf.write(str(path), np.zeros(100), 16000, subtype="PCM_16")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(audio, "open", refuse, raising=False)  # root reads any file: fake the refusal
    with pytest.raises(UserError, match="locked.wav: Permission denied"):
        audio.read_audio(path)
    with pytest.raises(UserError, match="locked.wav: Permission denied"):
        audio.frame_count(path)
