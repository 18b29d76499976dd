"""Small stand-in for mridangam_tonic: the same archive as mridangam_stroke's."""

from heareval.tasks.small.mridangam_stroke import build

__all__ = ["build"]
