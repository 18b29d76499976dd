"""The built-in HEAR-API baseline: a log-mel spectrogram and a fixed, seeded random projection.

Needs no weights file; `load_model(path)` loads a state dict saved from it. Batched, vectorized
(torch STFT) and on whatever device the audio is on.
"""

import math
from typing import Tuple

import torch

SAMPLE_RATE = 16000
N_FFT = 1024
HOP = 800  # 50 ms
N_MELS = 128
TIMESTAMP_EMBEDDING_SIZE = 512
SEED = 20211


def mel_filterbank(n_mels: int, n_fft: int, sample_rate: int) -> torch.Tensor:
    """Triangular filters on the HTK mel scale, shape (n_fft // 2 + 1, n_mels)."""

    def hz_to_mel(hz: torch.Tensor) -> torch.Tensor:
        return 2595.0 * torch.log10(1.0 + hz / 700.0)

    def mel_to_hz(mel: torch.Tensor) -> torch.Tensor:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)

    frequencies = torch.linspace(0, sample_rate / 2, n_fft // 2 + 1, dtype=torch.float64)
    edges = mel_to_hz(torch.linspace(0, float(hz_to_mel(torch.tensor(sample_rate / 2.0))), n_mels + 2,
                                     dtype=torch.float64))
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (frequencies[:, None] - lower) / (centre - lower)
    falling = (upper - frequencies[:, None]) / (upper - centre)
    return torch.clamp(torch.minimum(rising, falling), min=0.0).float()


class LogMelRandomProjection(torch.nn.Module):
    sample_rate = SAMPLE_RATE
    timestamp_embedding_size = TIMESTAMP_EMBEDDING_SIZE
    scene_embedding_size = 2 * TIMESTAMP_EMBEDDING_SIZE  # mean and standard deviation over time

    def __init__(self) -> None:
        super().__init__()
        generator = torch.Generator().manual_seed(SEED)
        projection = torch.randn(N_MELS, TIMESTAMP_EMBEDDING_SIZE, generator=generator) / math.sqrt(N_MELS)
        self.register_buffer("projection", projection)
        self.register_buffer("mel", mel_filterbank(N_MELS, N_FFT, SAMPLE_RATE))
        self.register_buffer("window", torch.hann_window(N_FFT))

    def forward(self, audio: torch.Tensor) -> torch.Tensor:
        """(n_sounds, n_samples) -> (n_sounds, n_frames, D), frame i centred on sample i * HOP."""
        spectrum = torch.stft(audio.float(), N_FFT, HOP, window=self.window, center=True, pad_mode="constant",
                              return_complex=True)
        power = spectrum.real ** 2 + spectrum.imag ** 2  # (n, freq, frames)
        log_mel = torch.log(power.transpose(1, 2) @ self.mel + 1e-6)
        return log_mel @ self.projection


def load_model(model_file_path: str = "") -> LogMelRandomProjection:
    model = LogMelRandomProjection()
    if model_file_path:
        state = torch.load(model_file_path, map_location="cpu", weights_only=True)
        model.load_state_dict(state)
    return model.eval()


def get_timestamp_embeddings(audio: torch.Tensor, model: LogMelRandomProjection) -> Tuple[torch.Tensor, torch.Tensor]:
    """Embeddings (n_sounds, n_frames, D) and their centre times in ms (n_sounds, n_frames)."""
    if audio.ndim != 2:
        raise ValueError(f"audio must have shape (n_sounds, n_samples), got {tuple(audio.shape)}")
    with torch.no_grad():
        embeddings = model(audio.to(model.projection.device))
    n_frames = embeddings.shape[1]
    centres = torch.arange(n_frames, device=embeddings.device, dtype=torch.float64) * HOP
    timestamps = (centres * 1000.0 / SAMPLE_RATE).float().expand(audio.shape[0], n_frames)
    return embeddings, timestamps


def get_scene_embeddings(audio: torch.Tensor, model: LogMelRandomProjection) -> torch.Tensor:
    embeddings, _ = get_timestamp_embeddings(audio, model)
    mean = embeddings.mean(dim=1)
    std = (embeddings - mean[:, None]).square().mean(dim=1).sqrt()  # 20x faster than .std(dim=1) on a CPU
    return torch.cat([mean, std], dim=1)
