"""Task registry and the resolution of a task's config for one run (mode, small, mirror)."""

import copy
import importlib
from types import ModuleType
from typing import Any, Dict, List, Optional, Sequence

from heareval.errors import UserError
from heareval.taskformat import TRAIN_VALID_TEST, split_mode_of
from heareval.tasks.download import upstream_file_name

# Adding a task: write heareval/tasks/<name>.py (CONFIG + an ExtractMetadata subclass named
# in METADATA_TASK) and, for --small, heareval/tasks/small/<name>.py; then add its name here.
TASK_NAMES: List[str] = ["speech_commands", "nsynth_pitch", "dcase2016_task2", "esc50",
                         "mridangam_stroke", "mridangam_tonic", "libricount", "vocal_imitation",
                         "beijing_opera", "vox_lingua_top10", "gunshot_triangulation", "fsd50k",
                         "maestro", "beehive_states_fold0", "beehive_states_fold1", "spoken_digit",
                         "nsynth_pitch_kfold", "coughvid", "tfds_gtzan", "tfds_gtzan_music_speech",
                         "tfds_crema_d"]

DEFAULT_SAMPLE_RATES = (16000, 22050, 32000, 44100, 48000)  # hearpreprocess's
# A task the original built through TensorFlow Datasets names no archive in its config; heareval downloads
# the upstream archive TFDS downloaded, listed under this key.
UPSTREAM_DOWNLOADS = "upstream_download_urls"
# Keys of a task's config that describe how to build it, not the finished task.
BUILD_ONLY_KEYS = ("modes", "label_vocabulary", "small_corpus", UPSTREAM_DOWNLOADS)


def download_files(entries: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """Every file the entries download, each a dict with its url and md5: a multipart zip entry's parts
    (`multipart_zip_urls`, as FSD50K's), or the entry itself."""
    return [part for entry in entries for part in entry.get("multipart_zip_urls", [entry])]


def download_key(entry: Dict[str, Any]) -> str:
    """What an entry is called in a task's metadata rules, as the original named its extraction: its split,
    `<split>_<name>` where several archives make one split (Beehive's days), or its name (FSD50K's ground
    truth)."""
    if "split" in entry and "name" in entry:
        return f"{entry['split']}_{entry['name']}"
    return entry["split"] if "split" in entry else entry["name"]


def upstream_downloads(config: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The archives of a task's full corpus: its download_urls, or the upstream archives of a task the
    original built through TensorFlow Datasets."""
    return config.get("download_urls") or config[UPSTREAM_DOWNLOADS]


def task_module(task_name: str) -> ModuleType:
    if task_name not in TASK_NAMES:
        raise UserError(f"unknown task {task_name!r}; known tasks: {', '.join(TASK_NAMES)}")
    return importlib.import_module(f"heareval.tasks.{task_name}")


def resolve_config(task_name: str, mode: Optional[str], small: bool, work_dir: str,
                   md5_overrides: Optional[Dict[str, str]] = None,
                   url_of: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """The task's config for one run, with keys in the order of the original task_metadata.json."""
    generic = task_module(task_name).CONFIG
    modes = generic["modes"]
    if small:
        mode = "small"
    elif mode is None:
        mode = generic["default_mode"]
    elif mode not in modes:
        raise UserError(f"unknown mode {mode!r} for {task_name}; its modes: {', '.join(modes)}")
    config: Dict[str, Any] = {k: copy.deepcopy(v) for k, v in generic.items() if k not in BUILD_ONLY_KEYS}
    mode_settings = modes.get(mode, {"max_task_duration_by_split": {s: None for s in TRAIN_VALID_TEST}})
    # The synthetic stand-in (--small) has the full archives' names; a small mode's own archives are the
    # original's downsampled ones (--mode small).
    config.update({k: copy.deepcopy(v) for k, v in mode_settings.items() if not (small and k == "download_urls")})
    if "download_urls" not in config:
        config["download_urls"] = copy.deepcopy(generic[UPSTREAM_DOWNLOADS])
    for entry in download_files(config["download_urls"]):
        file_name = upstream_file_name(entry["url"])  # zenodo's URLs end in ?download=1
        if url_of and file_name in url_of:
            entry["url"] = url_of[file_name]
        if md5_overrides and file_name in md5_overrides:
            entry["md5"] = md5_overrides[file_name]
            entry.pop("sha256", None)  # the mirror's file, not the upstream archive that checksum is of
    config["tmp_dir"] = work_dir
    config["mode"] = mode
    if split_mode_of(config) == "trainvaltest":
        config["splits"] = list(TRAIN_VALID_TEST)
    else:
        config["splits"] = [f"fold{i:02d}" for i in range(config["nfolds"])]
    return config


def task_dir_name(config: Dict[str, Any]) -> str:
    return f"{config['task_name']}-{config['version']}-{config['mode']}"


def declared_vocabulary(task_name: str) -> Optional[List[Any]]:
    return task_module(task_name).CONFIG.get("label_vocabulary")


def selected_tasks(task: str) -> List[str]:
    if task == "all":
        return list(TASK_NAMES)
    task_module(task)  # raises a UserError naming the known tasks
    return [task]


def parse_rates(values: Sequence[str]) -> List[int]:
    rates: List[int] = []
    for value in values:
        for part in str(value).replace(",", " ").split():
            if not part.isdigit():
                raise UserError(f"invalid sample rate {part!r}: expected an integer in Hz")
            rates.append(int(part))
    return sorted(set(rates)) or list(DEFAULT_SAMPLE_RATES)
