"""FSD50K: which of 200 sound event classes a Freesound clip holds (several at once), clips of their own
length (0.3 to 30 s, neither trimmed nor padded), in the corpus's own train, validation and test sets."""

from pathlib import Path

import pandas as pd

from heareval.errors import UserError
from heareval.tasks.pipeline import ExtractMetadata

ZENODO = "https://zenodo.org/record/4060432/files"
S_TASK = "https://github.com/kmarufraj/s-task/raw/main"
# Twelve dev clips longer than 30 s (wrong Freesound metadata) that the original leaves out (Fonseca, p.c.).
TOO_LONG = {83299, 83298, 121426, 121351, 121472, 121471, 124796, 397150, 124797, 124800, 124834, 124858}
# Per key of the download entries: the audio folder, the ground-truth table, the clips' Freesound metadata.
SOURCES = {
    "train": ("FSD50K.dev_audio", "dev.csv", "dev_clips_info_FSD50K.json"),
    "test": ("FSD50K.eval_audio", "eval.csv", "eval_clips_info_FSD50K.json"),
}

CONFIG = {
    "task_name": "fsd50k",
    "version": "v1.0",
    "embedding_type": "scene",
    "prediction_type": "multilabel",
    "split_mode": "trainvaltest",
    "sample_duration": None,
    "evaluation": ["mAP", "d_prime", "aucroc", "top1_acc"],
    "download_urls": [
        {"split": "train",
         "multipart_zip_urls": [
             {"url": f"{ZENODO}/FSD50K.dev_audio.{suffix}?download=1", "md5": md5} for suffix, md5 in [
                 ("z01", "faa7cf4cc076fc34a44a479a5ed862a3"), ("z02", "8f9b66153e68571164fb1315d00bc7bc"),
                 ("z03", "1196ef47d267a993d30fa98af54b7159"), ("z04", "d088ac4e11ba53daf9f7574c11cccac9"),
                 ("z05", "81356521aa159accd3c35de22da28c7f"), ("zip", "c480d119b8f7a7e32fdb58f3ea4d6c5a")]],
         "zipname": "FSD50K.dev_audio.zip"},
        {"split": "test",
         "multipart_zip_urls": [
             {"url": f"{ZENODO}/FSD50K.eval_audio.{suffix}?download=1", "md5": md5} for suffix, md5 in [
                 ("z01", "3090670eaeecc013ca1ff84fe4442aeb"), ("zip", "6fa47636c3a3ad5c7dfeba99f2637982")]],
         "zipname": "FSD50K.eval_audio.zip"},
        {"name": "ground_truth", "url": f"{ZENODO}/FSD50K.ground_truth.zip?download=1",
         "md5": "ca27382c195e37d2269c4c866dd73485"},
        {"name": "source_metadata", "url": f"{ZENODO}/FSD50K.metadata.zip?download=1",
         "md5": "b9ea0c829a411c1d42adb9da539ed237"},
    ],
    "category": "environmental",
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_split": {"test": None, "train": None, "valid": None}},
        "small": {
            "download_urls": [
                {"split": "train", "url": f"{S_TASK}/fsd50k-train-small.zip",
                 "md5": "75fc0ae63467ada263ead31afff0978a"},
                {"split": "test", "url": f"{S_TASK}/fsd50k-test-small.zip",
                 "md5": "1b3c32e6183b6f991b32ad2ee793a2c5"},
                {"split": "ground_truth", "url": f"{S_TASK}/fsd50k-ground_truth-small.zip",
                 "md5": "e730b34c0d71a4607338c8fea1b3c3d2"},
                {"split": "source_metadata", "url": f"{S_TASK}/fsd50k-source_metadata-small.zip",
                 "md5": "df52ffa58ffd99b3d2ac151b36c7e71c"},
            ],
            "max_task_duration_by_split": {"test": None, "train": None, "valid": None},
            "sample_duration": None,
        },
    },
}


class FSD50KMetadata(ExtractMetadata):
    """One row per clip and label: the ground-truth tables' comma-separated labels, the dev table's
    train/val split (valid here) and eval as test; the clip's Freesound uploader (from the clips' metadata)
    is its split key, as the original; the twelve too-long dev clips left out."""

    def get_metadata(self) -> pd.DataFrame:
        return pd.concat([self.source_metadata(key) for key in SOURCES], ignore_index=True)

    def source_metadata(self, key: str) -> pd.DataFrame:
        audio_folder, table_name, info_name = SOURCES[key]
        audio_dir = self.extracted(key) / audio_folder
        table_path = self.extracted("ground_truth") / "FSD50K.ground_truth" / table_name
        info_path = self.extracted("source_metadata") / "FSD50K.metadata" / info_name
        for path in (audio_dir, table_path, info_path):
            if not path.exists():
                raise UserError(f"fsd50k: missing {path}")
        table = pd.read_csv(table_path)
        for column in ("fname", "labels"):
            if column not in table:
                raise UserError(f"fsd50k: {table_path} has no column {column!r}")
        repeated = table["fname"].duplicated()
        if repeated.any():
            raise UserError(f"fsd50k: {table_path} lists clip {table['fname'][repeated].iloc[0]} more than once")
        uploader = uploaders(info_path)
        unknown = set(table["fname"]) - set(uploader)
        if unknown:
            raise UserError(f"fsd50k: clip {sorted(unknown)[0]} of {table_path} is not in {info_path}")
        if key == "train":
            absent = TOO_LONG - set(table["fname"])
            if absent:  # the original asserts that it removes all twelve
                raise UserError(f"fsd50k: {table_path} lacks clip {min(absent)}, one of the twelve too-long dev clips "
                                "that FSD50K v1.0 holds and the original leaves out: not FSD50K v1.0's dev set?")
            table = table[~table["fname"].isin(TOO_LONG)]
            splits = table["split"].replace({"val": "valid"}) if "split" in table else "train"
        else:
            splits = "test"
        rows = table.assign(relpath=[str(audio_dir / f"{fname}.wav") for fname in table["fname"]], split=splits,
                            split_key=table["fname"].map(uploader), label=table["labels"].str.split(","))
        return rows[["relpath", "split", "split_key", "label"]].explode("label").reset_index(drop=True)


def uploaders(info_path: Path) -> dict:
    """{clip id: its uploader} from the clips' Freesound metadata ({"<id>": {"uploader": ..., ...}})."""
    try:
        info = pd.read_json(info_path).T
    except ValueError as error:
        raise UserError(f"fsd50k: {info_path} is not the clips' metadata JSON: {error}") from None
    if "uploader" not in info:
        raise UserError(f"fsd50k: {info_path} gives no uploader")
    try:
        return {int(fname): uploader for fname, uploader in info["uploader"].items()}
    except ValueError:
        raise UserError(f"fsd50k: {info_path} has a clip id that is not a number") from None


METADATA_TASK = FSD50KMetadata
