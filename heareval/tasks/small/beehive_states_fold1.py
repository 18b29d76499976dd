"""Small stand-in for beehive_states_fold1: the same four archives as fold 0's."""

from heareval.tasks.small.beehive_states_fold0 import build

__all__ = ["build"]
