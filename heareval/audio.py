"""The one audio loader and writer: soundfile in-process, ffmpeg only as a last resort."""

import os
import shutil
import wave
from pathlib import Path
from typing import BinaryIO, Optional, Tuple, Union

import numpy as np
import soundfile as sf
import soxr

from heareval.errors import UserError

PathLike = Union[str, Path]


def read_audio(path: PathLike, out: Optional[np.ndarray] = None,
               max_seconds: Optional[float] = None) -> Tuple[np.ndarray, int]:
    """Return (samples float32 of shape (n,) or (n, channels), sample_rate).

    With `out` (float32, one row of a batch), a mono file of exactly len(out) samples is decoded straight
    into it and `out` is returned; any other file comes back in a new array, for the caller to convert.
    With `max_seconds`, only the first round(max_seconds * rate) frames are decoded, so that a clip cut
    from a long recording (MAESTRO's hours, Beehive's ten minutes) costs memory for the clip alone."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"audio file not found: {path}")
    try:
        audio, sample_rate = _read_in_process(path, out, max_seconds)
    except (sf.LibsndfileError, RuntimeError) as sf_error:
        audio, sample_rate = _read_with_ffmpeg(path, sf_error, max_seconds)
    except OSError as error:
        raise UserError(f"cannot read audio file {path}: {error.strerror or error}") from None
    if audio.size == 0:
        raise UserError(f"empty audio file: {path}")
    return audio, sample_rate


def _read_in_process(path: Path, out: Optional[np.ndarray], max_seconds: Optional[float] = None
                     ) -> Tuple[np.ndarray, int]:
    """A plain 16-bit PCM WAV (the task format) is parsed by the standard library, anything else by
    libsndfile. 16-bit PCM is read as integers and scaled by 2**-15 in numpy: the same floats libsndfile
    returns, three times faster than its own conversion. Other encodings: libsndfile's floats."""
    with open(path, "rb") as file:
        header = _complete_pcm16_wav(file)
        if header is not None:
            frames, channels, sample_rate = header
            frames = _frames_to_read(frames, sample_rate, max_seconds)
            ints = np.empty(frames if channels == 1 else (frames, channels), dtype="<i2")
            if file.readinto(ints) == ints.nbytes:
                return _scaled_into(ints, out), sample_rate
    with sf.SoundFile(str(path)) as sound:
        frames = _frames_to_read(sound.frames, sound.samplerate, max_seconds)
        if sound.subtype == "PCM_16":
            return _scaled_into(sound.read(frames, dtype="int16", always_2d=False), out), sound.samplerate
        out = _output_for(out, frames, sound.channels)
        sound.read(out=out if out.ndim == 2 else out[:, None])
        return out, sound.samplerate


def _frames_to_read(frames: int, sample_rate: int, max_seconds: Optional[float]) -> int:
    return frames if max_seconds is None else min(frames, int(round(max_seconds * sample_rate)))


def _complete_pcm16_wav(file: BinaryIO) -> Optional[Tuple[int, int, int]]:
    """(frames, channels, rate) of a plain 16-bit PCM WAV whose samples are all there, `file` left at its
    first sample; None for anything else (other encodings, streamed or truncated files), for libsndfile.
    The standard library's parser costs a third of libsndfile's per file."""
    try:
        wav = wave.open(file, "rb")
    except (wave.Error, EOFError):
        return None
    frames, channels = wav.getnframes(), wav.getnchannels()
    if wav.getsampwidth() != 2 or wav.getcomptype() != "NONE" or frames == 0:
        return None
    if file.tell() + frames * channels * 2 > os.fstat(file.fileno()).st_size:
        return None
    return frames, channels, wav.getframerate()


def _output_for(out: Optional[np.ndarray], frames: int, channels: int) -> np.ndarray:
    """`out` when it fits a mono file exactly, else a new float32 array of the file's shape."""
    if out is not None and channels == 1 and frames == len(out):
        return out
    return np.empty(frames if channels == 1 else (frames, channels), np.float32)


def _scaled_into(ints: np.ndarray, out: Optional[np.ndarray]) -> np.ndarray:
    out = _output_for(out, ints.shape[0], 1 if ints.ndim == 1 else ints.shape[1])
    return np.multiply(ints, np.float32(2.0**-15), out=out)


def _read_with_ffmpeg(path: Path, sf_error: Exception, max_seconds: Optional[float] = None) -> Tuple[np.ndarray, int]:
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
            ffmpeg.input(str(path), **({"t": max_seconds + 0.1} if max_seconds is not None else {}))
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
    """Samples per channel, from the header when a parser reads the format (a clear error if nothing can)."""
    try:
        with open(path, "rb") as file:
            header = _complete_pcm16_wav(file)
        if header is not None:
            return header[0]
        with sf.SoundFile(str(path)) as sound:
            return sound.frames
    except (sf.LibsndfileError, RuntimeError, OSError):
        return len(read_audio(path)[0])


def duration_seconds(path: PathLike) -> float:
    try:
        return sf.info(str(path)).duration
    except (sf.LibsndfileError, RuntimeError):
        audio, sample_rate = read_audio(path)
        return len(audio) / sample_rate
