"""NSynth pitch in 10 new folds by instrument: the original's check of k-fold against nsynth_pitch's
train/valid/test split. The same archives and metadata rules; each fold capped as nsynth_pitch's test
split is."""

import copy

from heareval.tasks import nsynth_pitch

CONFIG = copy.deepcopy(nsynth_pitch.CONFIG)
CONFIG["task_name"] = "nsynth_pitch_kfold"
CONFIG["split_mode"] = "new_split_kfold"
CONFIG["nfolds"] = 10
for settings in CONFIG["modes"].values():
    settings["max_task_duration_by_fold"] = settings.pop("max_task_duration_by_split")["test"]

METADATA_TASK = nsynth_pitch.NSynthPitchMetadata
