"""Mridangam Tonic: 6-way classification of the mridangam's tonic from the same strokes and folds rule."""

import copy

from heareval.tasks import mridangam_stroke
from heareval.tasks.mridangam_stroke import TONICS, MridangamMetadata

CONFIG = {**copy.deepcopy(mridangam_stroke.CONFIG), "task_name": "mridangam_tonic"}


class MridangamTonicMetadata(MridangamMetadata):
    label_part = 1
    labels = TONICS


METADATA_TASK = MridangamTonicMetadata
