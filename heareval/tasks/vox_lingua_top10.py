"""VoxLingua107 top 10: which of the ten languages most frequent in VoxLingua107's dev set is spoken,
dealt into 5 new folds."""

from typing import List

import pandas as pd

from heareval.tasks.pipeline import ExtractMetadata

NUMBER_OF_LANGUAGES = 10

CONFIG = {
    "task_name": "vox_lingua_top10",
    "version": "hear2021",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 18.64,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "download_urls": [
        {"split": "train", "url": "http://bark.phon.ioc.ee/voxlingua107/dev.zip",
         "md5": "07fbd4732c97f28c10ec8dcfed4f600e"},
    ],
    "category": "speech",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {"download_urls": [{"split": "train",
                                     "url": "https://github.com/kmarufraj/s-task/raw/main/vox_lingua-train-small.zip",
                                     "md5": "b94370873fbbdc34241a6e4f7eb1952b"}],
                  "max_task_duration_by_fold": None, "sample_duration": 2},
    },
}


def most_frequent(labels: pd.Series, k: int) -> List[str]:
    """The k labels with the most files. Ties are broken by label name: the original kept pandas'
    value_counts order, which leaves tied labels in an order that depends on the file listing."""
    counts = labels.value_counts()
    ordered = sorted(counts.index, key=lambda label: (-counts[label], label))
    return ordered[:k]


class VoxLinguaMetadata(ExtractMetadata):
    """Every .wav under the archive, labelled with its folder (the language code), keeping only the files
    of the ten most frequent languages. All go to the pool dealt into folds."""

    def get_metadata(self) -> pd.DataFrame:
        files = self.wav_files(self.extracted("train"))
        metadata = pd.DataFrame({"relpath": [str(path) for path in files], "split": "train",
                                 "label": [path.parent.name for path in files]})
        kept = most_frequent(metadata["label"], NUMBER_OF_LANGUAGES)
        return metadata[metadata["label"].isin(kept)].reset_index(drop=True)


METADATA_TASK = VoxLinguaMetadata
