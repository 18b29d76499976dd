"""HEAR-API modules that each reproduce one way a module can be loose with the API, with the verdict of
the official validator (hearvalidator 2021.0.6, `hear-validator MODULE`) on each.

The official verdicts were recorded by running the official validator on these very modules
(benchmarks/validator_side_by_side.py prints both kits' verdicts side by side). heareval accepts every
module the official validator accepts, except those in DELIBERATE_REFUSALS, which would give wrong
embeddings or labels.
"""

BASE = """
import numpy as np
import torch

class Model(torch.nn.Module):
    sample_rate = SAMPLE_RATE
    scene_embedding_size = 8
    timestamp_embedding_size = 8

def load_model(model_file_path="", **options):
    return Model()

def frame_features(audio, model):
    hop = int(model.sample_rate) // 20
    frames = audio.unfold(1, hop, hop)
    features = torch.stack([frames.abs().mean(-1) * (k + 1) for k in range(8)], -1)
    times = (torch.arange(frames.shape[1]) * hop + hop / 2) * 1000.0 / int(model.sample_rate)
    return features.float(), times.float().expand(audio.shape[0], -1)

def get_timestamp_embeddings(audio, model):
    embeddings, times = frame_features(audio, model)
    return TIMESTAMP_OUTPUT

def get_scene_embeddings(audio, model):
    return SCENE_OUTPUT
"""


def module_source(sample_rate: str = "16000", timestamp_output: str = "embeddings, times",
                  scene_output: str = "frame_features(audio, model)[0].mean(1)", extra: str = "") -> str:
    return (BASE.replace("SAMPLE_RATE", sample_rate).replace("TIMESTAMP_OUTPUT", timestamp_output)
            .replace("SCENE_OUTPUT", scene_output) + extra)


SHORT_AUDIO_FAILS = """
_frame_features = frame_features

def frame_features(audio, model):
    if audio.shape[1] < int(model.sample_rate):
        raise ValueError("needs at least one second of audio")
    return _frame_features(audio, model)
"""

# name: (source, the official validator's verdict)
LOOSE_MODULES = {
    "well_formed": (module_source(), "accepts"),
    "int64_timestamps": (module_source(timestamp_output="embeddings, times.round().long()"), "accepts"),
    "float64_timestamps": (module_source(timestamp_output="embeddings, times.double()"), "accepts"),
    "list_output": (module_source(timestamp_output="[embeddings, times]"), "accepts"),
    "float_sample_rate": (module_source(sample_rate="16000.0"), "accepts"),
    "numpy_sample_rate": (module_source(sample_rate="np.int64(16000)"), "accepts"),
    "fails_on_short_audio": (module_source(extra=SHORT_AUDIO_FAILS), "accepts"),
    "timestamps_in_seconds": (module_source(timestamp_output="embeddings, times / 1000.0"), "accepts"),
    "irregular_timestamps": (module_source(
        timestamp_output="embeddings, times + (torch.arange(times.shape[1]) % 2) * 10.0"), "refuses"),
    "sample_rate_8000": (module_source(sample_rate="8000"), "refuses"),
    "constant_timestamps": (module_source(timestamp_output="embeddings, torch.full_like(times, 500.0)"),
                            "accepts"),
    "timestamps_past_the_end": (module_source(timestamp_output="embeddings, times + 1000.0"), "refuses"),
    "float64_embeddings": (module_source(timestamp_output="embeddings.double(), times"), "refuses"),
    "float64_scene_embeddings": (module_source(scene_output="frame_features(audio, model)[0].mean(1).double()"),
                                 "refuses"),
    "one_row_short": (module_source(timestamp_output="embeddings[:-1], times[:-1]"), "refuses"),
    "wrong_scene_width": (module_source(scene_output="frame_features(audio, model)[0].mean(1)[:, :7]"),
                          "refuses"),
}

# Accepted by the official validator, refused by heareval, and why.
DELIBERATE_REFUSALS = {
    "constant_timestamps": "timestamps that do not increase give every frame the same time: wrong frame labels",
}

# Refused by the official validator, accepted by heareval, and why.
MORE_LENIENT = {
    "irregular_timestamps": "the frames keep their own times and labels, so a variable hop is stored as it is",
    "sample_rate_8000": "the tasks are resampled to the model's rate",
}
