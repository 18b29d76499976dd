"""Small stand-in for nsynth_pitch_kfold: nsynth_pitch's (the same archives, as upstream)."""

from heareval.tasks.small.nsynth_pitch import build

__all__ = ["build"]
