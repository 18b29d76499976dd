"""The one audio loader and writer: soundfile in-process, ffmpeg only as a last resort."""

import shutil
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
import soundfile as sf
import soxr

from heareval.errors import UserError

PathLike = Union[str, Path]


def read_audio(path: PathLike, out: Optional[np.ndarray] = None) -> Tuple[np.ndarray, int]:
    """Return (samples float32 of shape (n,) or (n, channels), sample_rate).

    With `out` (float32, one row of a batch), a mono file of exactly len(out) samples is decoded straight
    into it and `out` is returned; any other file comes back in a new array, for the caller to convert."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"audio file not found: {path}")
    try:
        audio, sample_rate = _read_with_soundfile(path, out)
    except (sf.LibsndfileError, RuntimeError) as sf_error:
        audio, sample_rate = _read_with_ffmpeg(path, sf_error)
    if audio.size == 0:
        raise UserError(f"empty audio file: {path}")
    return audio, sample_rate


def _read_with_soundfile(path: Path, out: Optional[np.ndarray]) -> Tuple[np.ndarray, int]:
    """16-bit PCM (the task format) is read as integers and scaled by 2**-15 in numpy: the same floats
    libsndfile returns, three times faster than its own conversion. Other encodings: libsndfile's floats."""
    with sf.SoundFile(str(path)) as sound:
        if out is None or sound.channels != 1 or sound.frames != len(out):
            out = np.empty(sound.frames if sound.channels == 1 else (sound.frames, sound.channels), np.float32)
        if sound.subtype == "PCM_16":
            np.multiply(sound.read(dtype="int16", always_2d=False), np.float32(2.0**-15), out=out)
        else:
            sound.read(out=out if out.ndim == 2 else out[:, None])
        return out, sound.samplerate


def _read_with_ffmpeg(path: Path, sf_error: Exception) -> Tuple[np.ndarray, int]:
    """Decode formats libsndfile cannot read; a clear error when nothing can."""
    if shutil.which("ffmpeg") is None or path.stat().st_size == 0:
        raise UserError(f"cannot decode audio file {path}: {sf_error}")
    import ffmpeg

    try:
        probe = ffmpeg.probe(str(path))
        stream = next(s for s in probe["streams"] if s["codec_type"] == "audio")
        sample_rate = int(stream["sample_rate"])
        channels = int(stream["channels"])
        raw, _ = (
            ffmpeg.input(str(path))
            .output("pipe:", format="f32le", acodec="pcm_f32le")
            .run(capture_stdout=True, capture_stderr=True)
        )
    except (ffmpeg.Error, StopIteration, KeyError) as error:
        raise UserError(f"cannot decode audio file {path}: not audio ({error})") from None
    audio = np.frombuffer(raw, dtype=np.float32).reshape(-1, channels)
    return (audio[:, 0] if channels == 1 else audio), sample_rate


def to_mono(audio: np.ndarray) -> np.ndarray:
    return audio.mean(axis=1, dtype=np.float32) if audio.ndim == 2 else audio


def trim_pad(audio: np.ndarray, n_samples: int) -> np.ndarray:
    """Cut or zero-pad the end to exactly n_samples."""
    if len(audio) >= n_samples:
        return audio[:n_samples]
    return np.pad(audio, (0, n_samples - len(audio)))


def resample(audio: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    if from_rate == to_rate:
        return audio
    return soxr.resample(audio, from_rate, to_rate, quality="HQ").astype(np.float32, copy=False)


def write_wav(path: PathLike, audio: np.ndarray, sample_rate: int) -> None:
    """16-bit PCM mono WAV, the task format's audio encoding."""
    sf.write(str(path), np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")


def frame_count(path: PathLike) -> int:
    """Samples per channel, from the header when libsndfile reads the format (a clear error if nothing can)."""
    try:
        with sf.SoundFile(str(path)) as sound:
            return sound.frames
    except (sf.LibsndfileError, RuntimeError):
        return len(read_audio(path)[0])


def duration_seconds(path: PathLike) -> float:
    try:
        return sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError):
        audio, sample_rate = read_audio(path)
        return len(audio) / sample_rate
