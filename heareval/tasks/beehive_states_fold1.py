"""Beehive states, fold 1: fold 0 with the hives swapped (hive 3 trained on, hive 1 the test set)."""

import copy

from heareval.tasks import beehive_states_fold0

CONFIG = copy.deepcopy(beehive_states_fold0.CONFIG)
CONFIG["task_name"] = "beehive_states_fold1"


class BeehiveFold1Metadata(beehive_states_fold0.BeehiveMetadata):
    train_hive, test_hive = "hive3", "hive1"


METADATA_TASK = BeehiveFold1Metadata
