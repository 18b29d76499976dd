"""Generic Luigi stages from a corpus download to a finalized task folder.

Every stage writes its output under a hidden temporary name and renames it when complete
(heareval.atomic), so an existing output is a complete one and a killed run resumes.
"""

import functools
import io
import json
import logging
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Union

import luigi
import numpy as np
import pandas as pd
from tqdm import tqdm

from heareval import audio
from heareval.atomic import atomic_path, write_json
from heareval.errors import UserError
from heareval.luigi_run import Stage
from heareval.taskformat import (
    LABEL_VOCABULARY,
    TASK_METADATA,
    check_task_metadata,
    sorted_labels,
    split_labels_file,
    write_label_vocabulary,
)
from heareval.tasks.archive import ARCHIVE_SUFFIXES, extract_archive, extract_split_zip
from heareval.tasks.audio_dir_stats import audio_dir_stats, stats_of_files
from heareval.tasks.config import (
    UPSTREAM_DOWNLOADS,
    declared_vocabulary,
    download_files,
    download_key,
    resolve_config,
    task_dir_name,
)
from heareval.tasks.download import download, mirrored_url, read_md5sums, upstream_file_name
from heareval.tasks.splits import assign_splits, check_every_label_in_every_split, split_duration_cap, subsample
from heareval.tasks.tfds_export import EXPORT_FACTS

luigi.configuration.get_config().set("core", "autoload_range", "false")
logger = logging.getLogger(__name__)

# ExtractMetadata's rows in the work folder, read by the later stages of the same task.
EXTRACTED_METADATA = "metadata.json"


def parallel_map(function: Callable[[Any], Any], items: List[Any], threads: int, desc: str) -> List[Any]:
    """Map over items on a thread pool (soundfile and soxr release the GIL) with a progress bar."""
    with ThreadPoolExecutor(max(1, threads)) as pool:
        return list(tqdm(pool.map(function, items), total=len(items), desc=desc, unit="file",
                         leave=False, mininterval=1.0))


class DownloadCorpus(Stage):
    """One upstream archive, checksum-checked, in <work_dir>/downloads/."""

    url = luigi.Parameter()
    md5 = luigi.Parameter(default="")
    sha256 = luigi.Parameter(default="")

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.work_dir) / "downloads" / upstream_file_name(self.url)))

    def run(self) -> None:
        download(self.url, Path(self.output().path), self.md5, expected_sha256=self.sha256)


class ExtractArchive(Stage):
    """The archive's contents in <work_dir>/extracted/<archive name>/."""

    url = luigi.Parameter()
    md5 = luigi.Parameter(default="")
    sha256 = luigi.Parameter(default="")

    def requires(self) -> DownloadCorpus:
        return DownloadCorpus(url=self.url, md5=self.md5, sha256=self.sha256, work_dir=self.work_dir)

    def output(self) -> luigi.LocalTarget:
        name = upstream_file_name(self.url)
        for suffix in ARCHIVE_SUFFIXES:
            if name.lower().endswith(suffix):
                name = name[: -len(suffix)]
        return luigi.LocalTarget(str(Path(self.work_dir) / "extracted" / name))

    def run(self) -> None:
        with atomic_path(self.output().path) as temporary:
            extract_archive(Path(self.input().path), temporary)


class ExtractSplitZip(Stage):
    """A split zip archive's contents (`<zipname>.z01`, ..., `<zipname>.zip`, each md5-checked) in
    <work_dir>/extracted/<zipname without .zip>/."""

    urls = luigi.ListParameter()
    md5s = luigi.ListParameter()
    zipname = luigi.Parameter()

    def requires(self) -> List[DownloadCorpus]:
        return [DownloadCorpus(url=url, md5=md5, work_dir=self.work_dir) for url, md5 in zip(self.urls, self.md5s)]

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.work_dir) / "extracted" / self.zipname.removesuffix(".zip")))

    def run(self) -> None:
        with atomic_path(self.output().path) as temporary:
            extract_split_zip([Path(target.path) for target in self.input()], temporary)


def extract_stage(entry: Dict[str, Any], work_dir: str, threads: int) -> luigi.Task:
    """The stage that extracts one download entry: an archive, or a split zip archive's parts."""
    if "multipart_zip_urls" in entry:
        parts = entry["multipart_zip_urls"]
        return ExtractSplitZip(urls=[part["url"] for part in parts], md5s=[part["md5"] for part in parts],
                               zipname=entry["zipname"], work_dir=work_dir, threads=threads)
    return ExtractArchive(url=entry["url"], md5=entry.get("md5", ""), sha256=entry.get("sha256", ""),
                          work_dir=work_dir, threads=threads)


@functools.lru_cache(maxsize=None)
def mirror_md5sums(mirror: str) -> Dict[str, str]:
    return read_md5sums(mirror) if mirror else {}


def small_corpus_dir(work_dir: str, task_name: str) -> Path:
    return Path(work_dir) / "small-corpora" / task_name


class TaskStage(Stage):
    """A stage of one task in one mode; its config comes from the task registry."""

    task_name = luigi.Parameter()
    mode = luigi.Parameter(default="")
    small = luigi.BoolParameter(default=False)
    mirror = luigi.Parameter(default="")

    @property
    def config(self) -> Dict[str, Any]:
        return run_config(self.task_name, self.mode, self.small, self.work_dir, self.mirror)

    @property
    def stage_dir(self) -> Path:
        return Path(self.work_dir) / task_dir_name(self.config)

    def common(self) -> Dict[str, Any]:
        return dict(task_name=self.task_name, mode=self.mode, small=self.small, work_dir=self.work_dir,
                    mirror=self.mirror, threads=self.threads)


def source_mirror(task_name: str, small: bool, work_dir: str, mirror: str) -> str:
    """Where a run's files come from: the generated stand-in of --small, --mirror, or upstream ("")."""
    return str(small_corpus_dir(work_dir, task_name).resolve()) if small else mirror


@functools.lru_cache(maxsize=None)
def _run_config(task_name: str, mode: str, small: bool, work_dir: str, mirror: str) -> str:
    mirror = source_mirror(task_name, small, work_dir, mirror)
    url_of: Dict[str, str] = {}
    overrides: Dict[str, str] = {}
    if mirror:
        overrides = mirror_md5sums(mirror)
        from heareval.tasks.config import task_module

        generic = task_module(task_name).CONFIG
        for settings in [generic, *generic["modes"].values()]:
            for entry in download_files(settings.get("download_urls") or settings.get(UPSTREAM_DOWNLOADS, [])):
                url_of[upstream_file_name(entry["url"])] = mirrored_url(mirror, entry["url"])
    config = resolve_config(task_name, mode or None, small, work_dir, overrides, url_of)
    return json.dumps(config)


def run_config(task_name: str, mode: str, small: bool, work_dir: str, mirror: str) -> Dict[str, Any]:
    """The resolved config of a run (a fresh copy, cached per process)."""
    return json.loads(_run_config(task_name, mode, small, work_dir, mirror))


class ExtractMetadata(TaskStage):
    """Base of each task's metadata extraction: one row per file (scene) or per event (event task).

    Subclasses implement `get_metadata()` returning columns relpath, split, label (and start, end in
    ms for event tasks), optionally unique_filestem and split_key; this base validates the rows,
    assigns splits and writes `metadata.json` with the stats of the extracted audio. A task named as
    TFDS's export named it sets `tfds_export` ({TFDS split: ExportedSplit.facts()}), written beside.
    """

    tfds_export: Dict[str, Dict[str, int]] = {}

    def requires(self) -> Dict[str, luigi.Task]:
        return {download_key(entry): extract_stage(entry, self.work_dir, self.threads)
                for entry in self.config["download_urls"]}

    def extracted(self, split: str) -> Path:
        return Path(self.input()[split].path)

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "01-ExtractMetadata"))

    def get_metadata(self) -> pd.DataFrame:
        raise NotImplementedError

    def wav_files(self, root: Path, recursive: bool = True) -> List[Path]:
        """The .wav files under root (at any depth, or only in root itself), sorted; root must exist."""
        if not root.is_dir():
            raise UserError(f"{self.task_name}: missing {root}")
        return sorted(root.rglob("*.wav") if recursive else root.glob("*.wav"))

    @staticmethod
    def unique_filestem(relpath: str) -> str:
        return Path(relpath).stem

    @staticmethod
    def split_key(unique_filestem: str) -> str:
        return unique_filestem

    def run(self) -> None:
        metadata = self.get_metadata()
        metadata = self.validate(metadata)
        if "start" in metadata:
            metadata = times_as_the_original_read_them(metadata)
        check_every_label_in_every_split(metadata, self.config, "the corpus's splits")
        metadata = assign_splits(metadata, self.config)
        check_every_label_in_every_split(metadata, self.config, "after splitting")
        with atomic_path(self.output().path) as temporary:
            temporary.mkdir()
            write_records(metadata, temporary / EXTRACTED_METADATA)
            roots = sorted({str(Path(p).parent) for p in metadata["relpath"]})
            stats = stats_of_files(sorted(set(metadata["relpath"])), self.threads)
            stats["directories"] = roots[:20]
            write_json(temporary / "extracted-audio-stats.json", stats, indent=2)
            if self.tfds_export:
                write_json(temporary / EXPORT_FACTS, self.tfds_export, indent=2)

    def validate(self, metadata: pd.DataFrame) -> pd.DataFrame:
        config = self.config
        if len(metadata) == 0:
            raise UserError(f"{config['task_name']}: the corpus holds no audio files")
        metadata = metadata.copy()
        if "unique_filestem" not in metadata:
            metadata["unique_filestem"] = metadata["relpath"].map(self.unique_filestem)
        if "split_key" not in metadata:
            metadata["split_key"] = metadata["unique_filestem"].map(self.split_key)
        present = metadata["relpath"].map(lambda relpath: Path(relpath).is_file())
        if not present.all():
            if config["mode"] != "small":
                missing = metadata.loc[~present, "relpath"].iloc[0]
                raise UserError(f"{config['task_name']}: audio file named in metadata but missing: {missing}")
            # as the original: a small corpus holds a sample of the files its metadata names
            logger.info("%s: %d rows name files not in the small corpus; left out", config["task_name"],
                        int((~present).sum()))
            metadata = metadata[present].reset_index(drop=True)
            if len(metadata) == 0:
                raise UserError(f"{config['task_name']}: the corpus holds none of the audio files its metadata names")
        files = metadata.drop_duplicates("relpath")
        clashes = files["unique_filestem"].duplicated(keep=False)
        if clashes.any():
            clash = files.loc[clashes, "unique_filestem"].iloc[0]
            raise UserError(f"{config['task_name']}: several files share the name {clash!r}")
        vocabulary = declared_vocabulary(self.task_name)
        if vocabulary is not None:
            outside = ~metadata["label"].isin(vocabulary)
            if outside.any():
                row = metadata[outside].iloc[0]
                raise UserError(f"{config['task_name']}: label {row['label']!r} of {row['relpath']} is not "
                                f"in the task's vocabulary {vocabulary}")
        return metadata


def times_as_the_original_read_them(metadata: pd.DataFrame) -> pd.DataFrame:
    """Event times (ms) as hearpreprocess used them: it wrote its metadata to CSV and read it back with
    pandas' default float parser, which can move a time's last bit (4.06 s x 1000 = 4059.9999999999995 ms
    is read back as 4060.0); the same round trip here makes the task's events equal to the original's. Under
    pandas 3, whose parser reads every float back exactly, times stay within one ulp of the original's."""
    parsed = pd.read_csv(io.StringIO(metadata[["start", "end"]].to_csv(index=False)))
    return metadata.assign(start=parsed["start"].to_numpy(), end=parsed["end"].to_numpy())


class SubsampleSplit(TaskStage):
    """A deterministic cap on the split's total audio duration, per the task mode."""

    split = luigi.Parameter()

    def requires(self) -> ExtractMetadata:
        return metadata_task(**self.common())

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "02-SubsampleSplit" / f"{self.split}.json"))

    def run(self) -> None:
        metadata = read_records(Path(self.input().path) / EXTRACTED_METADATA)
        rows = metadata[metadata["split"] == self.split]
        config = self.config
        kept = subsample(rows[["unique_filestem", "relpath"]], self.split, split_duration_cap(config, self.split),
                         config["sample_duration"], config["task_name"])
        rows = rows[rows["relpath"].isin(set(kept["relpath"]))]
        write_records(rows, Path(self.output().path))


def write_records(frame: pd.DataFrame, path: Path) -> None:
    """A stage's rows as JSON with every number exact: pandas' to_json keeps 10 digits, which turned the
    original's event times such as 8.14 s x 1000 = 8140.000000000001 ms into 8140.0."""
    write_json(path, {"columns": [str(c) for c in frame.columns], "records": frame.to_dict(orient="records")},
               indent=1)


def read_records(path: Union[str, Path]) -> pd.DataFrame:
    with open(path) as f:
        data = json.load(f)
    return pd.DataFrame(data["records"], columns=data["columns"])


class MonoTrimPadSplit(TaskStage):
    """Mono 16-bit WAVs at the source rate, trimmed or padded to the task's sample_duration."""

    split = luigi.Parameter()

    def requires(self) -> SubsampleSplit:
        return SubsampleSplit(split=self.split, **self.common())

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "03-MonoTrimPadSplit" / self.split))

    def run(self) -> None:
        files = read_records(self.input().path).drop_duplicates("relpath")
        duration = self.config["sample_duration"]
        with atomic_path(self.output().path) as temporary:
            temporary.mkdir()

            def convert(row: Any) -> None:
                samples, rate = audio.read_audio(row.relpath, max_seconds=duration)
                samples = audio.to_mono(samples)
                if duration is not None:
                    samples = audio.trim_pad(samples, int(round(duration * rate)))
                audio.write_wav(temporary / f"{row.unique_filestem}.wav", samples, rate)

            parallel_map(convert, list(files.itertuples()), self.threads, f"mono/trim {self.task_name} {self.split}")


class ResampleSplit(TaskStage):
    """The split's audio at one sample rate (soxr), with its audio stats."""

    split = luigi.Parameter()
    sample_rate = luigi.IntParameter()

    def requires(self) -> MonoTrimPadSplit:
        return MonoTrimPadSplit(split=self.split, **self.common())

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "05-ResampleSplit" / str(self.sample_rate) / self.split))

    def run(self) -> None:
        sources = sorted(Path(self.input().path).glob("*.wav"))
        duration = self.config["sample_duration"]
        rate = self.sample_rate
        with atomic_path(self.output().path) as temporary:
            temporary.mkdir()

            def convert(source: Path) -> None:
                samples, source_rate = audio.read_audio(source)
                samples = audio.resample(samples, source_rate, rate)
                if duration is not None:
                    samples = audio.trim_pad(samples, int(round(duration * rate)))
                audio.write_wav(temporary / source.name, samples, rate)

            parallel_map(convert, sources, self.threads, f"resample {self.task_name} {self.split} {rate}")
            stats = audio_dir_stats(temporary, self.threads)
            write_json(self.stage_dir / "stats" / f"{rate}-{self.split}-audio-stats.json", stats, indent=2)


class SplitMetadata(TaskStage):
    """The split's label JSON (`<split>.json`) and its label counts."""

    split = luigi.Parameter()

    def requires(self) -> SubsampleSplit:
        return SubsampleSplit(split=self.split, **self.common())

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "04-SplitMetadata" / f"{self.split}.json"))

    def run(self) -> None:
        rows = read_records(self.input().path)
        labels = split_labels(rows, self.config)
        counts = rows["label"].astype(str).value_counts().sort_index().to_dict() if len(rows) else {}
        write_json(self.stage_dir / "stats" / f"{self.split}-labelcount.json", counts, indent=2)
        write_json(self.output().path, labels)


def split_labels(rows: pd.DataFrame, config: Dict[str, Any]) -> Dict[str, Any]:
    """{file.wav: [labels]} for scene tasks, {file.wav: [{label, start, end}]} (ms) for event tasks."""
    labels: Dict[str, Any] = {}
    if config["embedding_type"] == "event":
        duration_ms = None if config["sample_duration"] is None else 1000.0 * config["sample_duration"]
        rows = rows.sort_values(["unique_filestem", "start", "end", "label"], kind="stable")
        for row in rows.itertuples():
            events = labels.setdefault(f"{row.unique_filestem}.wav", [])
            if pd.isna(row.label):
                continue  # a file with no events
            start, end = float(row.start), float(row.end)
            if duration_ms is not None:
                if start >= duration_ms:
                    continue
                end = min(end, duration_ms)
            events.append({"label": native(row.label), "start": start, "end": end})
    else:
        for row in rows.itertuples():
            file_labels = labels.setdefault(f"{row.unique_filestem}.wav", [])
            if native(row.label) not in file_labels:
                file_labels.append(native(row.label))
    return dict(sorted(labels.items()))


def native(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


class LabelVocabulary(TaskStage):
    """labelvocabulary.csv over all splits (or the task's declared vocabulary)."""

    def requires(self) -> Dict[str, SplitMetadata]:
        return {split: SplitMetadata(split=split, **self.common()) for split in self.config["splits"]}

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.stage_dir / "04-SplitMetadata" / LABEL_VOCABULARY))

    def run(self) -> None:
        found: List[Any] = []
        rows = []
        for split, target in self.input().items():
            with open(target.path) as f:
                labels = [v["label"] if isinstance(v, dict) else v for value in json.load(f).values() for v in value]
            found.extend(labels)
            rows += [(split, label) for label in labels]
        check_every_label_in_every_split(pd.DataFrame(rows, columns=["split", "label"]), self.config,
                                         "after the duration caps")
        vocabulary = declared_vocabulary(self.task_name) or sorted_labels(found)
        write_label_vocabulary(self.output().path, vocabulary)


class FinalizeCorpus(TaskStage):
    """The finished task folder in tasks_dir, assembled aside and renamed into place."""

    sample_rates = luigi.ListParameter()
    tasks_dir = luigi.Parameter(default="tasks")

    def requires(self) -> Dict[str, Any]:
        splits = self.config["splits"]
        return {
            "vocabulary": LabelVocabulary(**self.common()),
            "labels": {split: SplitMetadata(split=split, **self.common()) for split in splits},
            "audio": {(rate, split): ResampleSplit(split=split, sample_rate=rate, **self.common())
                      for rate in self.sample_rates for split in splits},
        }

    def output(self) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(Path(self.tasks_dir) / task_dir_name(self.config)))

    def complete(self) -> bool:
        final = Path(self.output().path)
        return (final / TASK_METADATA).is_file() and all((final / str(r)).is_dir() for r in self.sample_rates)

    def run(self) -> None:
        final = Path(self.output().path)
        inputs = self.input()
        with atomic_path(final, replace=True) as temporary:
            temporary.mkdir()
            check_task_metadata(self.config, temporary / TASK_METADATA)  # what every later stage will read
            write_json(temporary / TASK_METADATA, self.config)
            shutil.copyfile(inputs["vocabulary"].path, temporary / LABEL_VOCABULARY)
            for split, target in inputs["labels"].items():
                shutil.copyfile(target.path, temporary / split_labels_file(split))
            for (rate, split), target in inputs["audio"].items():
                link_tree(Path(target.path), temporary / str(rate) / split)
            if final.is_dir():  # keep rates an earlier run finalized
                for rate_dir in final.iterdir():
                    if rate_dir.name.isdigit() and not (temporary / rate_dir.name).exists():
                        for split_dir in rate_dir.iterdir():
                            link_tree(split_dir, temporary / rate_dir.name / split_dir.name)


def link_tree(source: Path, target: Path) -> None:
    """Hard-link (or copy across filesystems) every file of source into target: regular files."""
    target.mkdir(parents=True, exist_ok=True)
    for path in source.iterdir():
        try:
            os.link(path, target / path.name)
        except OSError:
            shutil.copyfile(path, target / path.name)


def metadata_task(**params: Any) -> ExtractMetadata:
    from heareval.tasks.config import task_module

    return task_module(params["task_name"]).METADATA_TASK(**params)


def finalize_task(task_name: str, sample_rates: Iterable[int], tasks_dir: str, **params: Any) -> FinalizeCorpus:
    return FinalizeCorpus(task_name=task_name, sample_rates=list(sample_rates), tasks_dir=tasks_dir, **params)
