"""CREMA-D: which of six emotions an actor's voice expresses in a sentence, in 5 new folds. The original
built it through TensorFlow Datasets, which fetched each recording from the corpus's GitHub (Git LFS)
storage, split the actors 70/10/20 and exported every split; heareval fetches the same files, splits the
actors as TFDS did and names each recording as TFDS's export did (heareval/tasks/tfds_export.py), so
that the folds are the original's."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Tuple

import luigi
import numpy as np
import pandas as pd
from tqdm import tqdm

from heareval.atomic import atomic_path
from heareval.errors import UserError
from heareval.luigi_run import Stage
from heareval.tasks.download import digest_of, download, mirrored_url, read_md5sums, upstream_file_name
from heareval.tasks.pipeline import DownloadCorpus, ExtractMetadata, source_mirror
from heareval.tasks.tfds_export import export_split, read_export

SMALL_ARCHIVES = "https://github.com/kmarufraj/s-task/raw/main"
CHECKSUMS_URL = "https://storage.googleapis.com/tfds-data/manual_checksums/crema_d.txt"
SUMMARY_TABLE_URL = ("https://raw.githubusercontent.com/CheyneyComputerScience/CREMA-D/master/processedResults/"
                     "summaryTable.csv")
AUDIO_URL = "https://media.githubusercontent.com/media/CheyneyComputerScience/CREMA-D/master/AudioWAV/"
LABELS = ["NEU", "HAP", "SAD", "ANG", "FEA", "DIS"]
# The rows TFDS skipped: the table's header and four recordings the repository lacks.
NOT_RECORDINGS = {"FileName", "1040_ITH_SAD_XX", "1006_TIE_NEU_XX", "1013_WSI_DIS_XX", "1017_IWW_FEA_XX"}
TFDS_SPLITS = [("train", 0.7), ("validation", 0.1), ("test", 0.2)]  # of the actors, shuffled
HEAR_SPLIT = {"train": "train", "validation": "valid", "test": "test"}
FOLDER = "crema_d"  # <work_dir>/extracted/crema_d: summaryTable.csv and AudioWAV/
TABLE = "summaryTable.csv"
AUDIO_FOLDER = "AudioWAV"

CONFIG = {
    "task_name": "tfds_crema_d",
    "version": "1.0.0",
    "embedding_type": "scene",
    "prediction_type": "multiclass",
    "split_mode": "new_split_kfold",
    "nfolds": 5,
    "sample_duration": 5,
    "evaluation": ["top1_acc", "mAP", "d_prime", "aucroc"],
    "tfds_task_name": "crema_d",
    "tfds_task_version": "1.0.0",
    "extract_splits": ["train", "test", "valid"],
    "default_mode": "full",
    "modes": {
        "full": {"max_task_duration_by_fold": None},
        "small": {
            "download_urls": [
                {"split": "train", "url": f"{SMALL_ARCHIVES}/crema_d-train-small.zip",
                 "md5": "a42147d0bed93d579250a064c6a46000"},
                {"split": "test", "url": f"{SMALL_ARCHIVES}/crema_d-test-small.zip",
                 "md5": "f7f9d662d43de2ecd6ed2cc75adcf315"},
                {"split": "valid", "url": f"{SMALL_ARCHIVES}/crema_d-valid-small.zip",
                 "md5": "d1bdddb23004d421218533b72e64737c"},
            ],
            "max_task_duration_by_fold": None,
            "sample_duration": 2,
        },
    },
    "category": "speech",
    "label_vocabulary": LABELS,
    # What TFDS crema_d 1.0.0 downloaded first: its list of the corpus's files with their sha256 (the list's
    # own sha256 is TFDS's), and the corpus's table of recordings; then every recording the table names.
    "upstream_download_urls": [
        {"name": "checksums", "url": CHECKSUMS_URL,
         "sha256": "66b5d959dcee997321baf9080c80022a6937279419446db3a9d4827d839b0abb"},
        {"name": "summary_table", "url": SUMMARY_TABLE_URL},
    ],
}


def recording_names(table: Path) -> List[str]:
    """The recordings the table names, as TFDS read it: the second comma-separated field of each line,
    quotes removed, but empty ones and NOT_RECORDINGS; each once."""
    names: Dict[str, None] = {}
    for line in table.read_text(encoding="utf-8", errors="replace").splitlines():
        fields = line.strip().split(",")
        if len(fields) < 2:
            raise UserError(f"tfds_crema_d: {table}: a line without a second field: {line!r}")
        name = fields[1].replace('"', "")
        if name and name not in NOT_RECORDINGS:
            names[name] = None
    return list(names)


def read_checksums(path: Path) -> Dict[str, str]:
    """{url: sha256} of a TFDS checksum list (`url<TAB>size<TAB>sha256[<TAB>file name]` a line)."""
    sums = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        values = line.split("\t") if "\t" in line else line.rsplit(" ", 2)
        if len(values) not in (3, 4):
            raise UserError(f"tfds_crema_d: malformed line {number} of {path}: {line!r}")
        sums[values[0]] = values[2]
    return sums


def actor_splits(speakers: List[str]) -> Dict[str, str]:
    """{actor: TFDS split}: the sorted actors shuffled by numpy's RandomState(0), then cut 70/10/20 at
    int(cumulative share * n), as TFDS's crema_d did."""
    actors = sorted(set(speakers))
    np.random.RandomState(0).shuffle(actors)
    split_of: Dict[str, str] = {}
    share = 0.0
    for index, (split, probability) in enumerate(TFDS_SPLITS):
        start = int(share * len(actors))
        share += probability
        end = len(actors) if index == len(TFDS_SPLITS) - 1 else int(share * len(actors))
        split_of.update({actor: split for actor in actors[start:end]})
    return split_of


class FetchRecordings(Stage):
    """Every recording the table names, each checked against the checksum list (or the mirror's MD5SUMS),
    in <work_dir>/extracted/crema_d/ beside the table. Fetched recordings are kept in crema_d.part/ until
    all are in, so a rerun fetches only the rest."""

    checksums = luigi.DictParameter()  # url, md5, sha256 of each download entry, as the run's config has it
    summary_table = luigi.DictParameter()
    mirror = luigi.Parameter(default="")

    def requires(self) -> Dict[str, DownloadCorpus]:
        return {name: DownloadCorpus(url=entry["url"], md5=entry.get("md5", ""), sha256=entry.get("sha256", ""),
                                     work_dir=self.work_dir)
                for name, entry in (("checksums", self.checksums), ("summary_table", self.summary_table))}

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.work_dir) / "extracted" / FOLDER))

    def run(self) -> None:
        sums = read_checksums(Path(self.input()["checksums"].path))
        table = Path(self.input()["summary_table"].path)
        listed = sums.get(SUMMARY_TABLE_URL)
        if listed and not self.summary_table.get("md5") and digest_of(table, "sha256") != listed:
            raise UserError(f"sha256 mismatch for {table}: the checksum list says {listed}")
        mirror_sums = read_md5sums(self.mirror) if self.mirror else {}
        names = recording_names(table)
        partial = Path(self.output().path + ".part")
        audio = partial / AUDIO_FOLDER
        audio.mkdir(parents=True, exist_ok=True)

        def fetch(name: str) -> str:
            """Fetch one recording; what went wrong, or ""."""
            target = audio / f"{name}.wav"
            if target.is_file():
                return ""
            upstream = f"{AUDIO_URL}{name}.wav"
            source = mirrored_url(self.mirror, upstream) if self.mirror else upstream
            md5 = mirror_sums.get(upstream_file_name(upstream), "")
            sha256 = "" if md5 else sums.get(upstream, "")
            if not md5 and not sha256:
                return f"tfds_crema_d: {upstream} is not in the checksum list {CHECKSUMS_URL}"
            try:
                download(source, target, md5, expected_sha256=sha256, progress=False)
            except UserError as error:
                return str(error)
            return ""

        with ThreadPoolExecutor(max(1, min(8, self.threads * 4))) as pool:
            failures = [failure for failure in tqdm(pool.map(fetch, names), total=len(names), leave=False,
                                                    desc="download CREMA-D recordings", unit="file", mininterval=1.0)
                        if failure]
        if failures:
            more = f" ({len(failures) - 1} more failed; a rerun fetches only those)" if len(failures) > 1 else ""
            raise UserError(failures[0] + more)
        (partial / TABLE).write_bytes(table.read_bytes())
        with atomic_path(self.output().path) as temporary:
            partial.rename(temporary)


class CremaDMetadata(ExtractMetadata):
    """The recordings the table names, in TFDS's actor splits, labelled by the emotion in their name and
    named as TFDS exported them; or, in the original's small mode, its export of each split."""

    def requires(self) -> Dict[str, luigi.Task]:
        entries = {entry.get("name"): entry for entry in self.config["download_urls"]}
        if "checksums" not in entries:
            return super().requires()
        mirror = source_mirror(self.task_name, self.small, self.work_dir, self.mirror)
        return {"recordings": FetchRecordings(checksums=entries["checksums"], summary_table=entries["summary_table"],
                                              mirror=mirror, work_dir=self.work_dir, threads=self.threads)}

    def get_metadata(self) -> pd.DataFrame:
        if "recordings" not in self.input():
            return pd.concat([read_export(self.extracted(split), split, self.task_name)
                              for split in ("train", "test", "valid")], ignore_index=True)
        root = self.extracted("recordings")
        names = recording_names(root / TABLE)
        split_of = actor_splits([name.split("_")[0] for name in names])
        rows: List[Tuple[str, str, str, str]] = []
        for tfds_split, _ in TFDS_SPLITS:
            examples = []
            for name in (n for n in names if split_of[n.split("_")[0]] == tfds_split):
                parts = name.split("_")
                if len(parts) < 3 or parts[2] not in LABELS:
                    raise UserError(f"tfds_crema_d: {name}: the third part of the name should be one of "
                                    f"{', '.join(LABELS)}")
                examples.append((name, root / AUDIO_FOLDER / f"{name}.wav",
                                 {"label": LABELS.index(parts[2]), "speaker_id": parts[0]}))
            if not examples:
                raise UserError(f"tfds_crema_d: the table's actors leave TFDS's {tfds_split} split empty")
            exported = export_split("crema_d", tfds_split, examples)
            self.tfds_export = {**self.tfds_export, tfds_split: exported.facts()}
            rows.extend((str(path), HEAR_SPLIT[tfds_split], LABELS[features["label"]], exported.names[name])
                        for name, path, features in examples)
        return pd.DataFrame(rows, columns=["relpath", "split", "label", "unique_filestem"])


METADATA_TASK = CremaDMetadata
