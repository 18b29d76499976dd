"""Run the ORIGINAL hearpreprocess 2021.1.1 on one task whose archives a local server holds.

Runs in the peer's Python ($PEER_HOME/venv-pre), called by `benchmarks/preprocess.py --stand-ins`:

    <peer python> benchmarks/peer_task.py TASK --base-url http://127.0.0.1:PORT --md5sums DIR/MD5SUMS
                                          [--sample-rates 16000] [--mode default] [--num-workers 2]

As ../shared/peer/run_preprocess_peer.py does for speech_commands, nsynth_pitch and dcase2016_task2, it
builds the task's config as hearpreprocess.runner does, points every download (multipart parts too) at
--base-url under its upstream file name with the md5 from --md5sums, and runs the task's own
extract_metadata_task and FinalizeCorpus. The task modules under secrettasks are imported without their
package's __init__, which imports the TensorFlow Datasets tasks (they need TensorFlow).
"""

import argparse
import copy
import importlib
import json
import os
import sys
import types
from pathlib import Path
from urllib.parse import urlparse


def task_module(task: str):
    import hearpreprocess

    package = Path(hearpreprocess.__file__).parent
    if (package / f"{task}.py").is_file():
        return importlib.import_module(f"hearpreprocess.{task}")
    # the secret tasks' package, without its __init__ (which imports the TensorFlow tasks), so that a task's
    # relative imports (mridangam_tonic's of mridangam_stroke) still resolve
    name = "hearpreprocess.secrettasks.hearsecrettasks"
    if name not in sys.modules:
        stub = types.ModuleType(name)
        stub.__path__ = [str(package / "secrettasks" / "hearsecrettasks")]
        sys.modules[name] = stub
    return importlib.import_module(f"{name}.{task}")


# Where each TFDS builder the original used keeps its download URLs (TFDS 4.4.0).
TFDS_DOWNLOADS = {
    "gtzan": ("tensorflow_datasets.audio.gtzan.gtzan", ["_DOWNLOAD_URL"]),
    "gtzan_music_speech": ("tensorflow_datasets.audio.gtzan_music_speech.gtzan_music_speech", ["_DOWNLOAD_URL"]),
    "spoken_digit": ("tensorflow_datasets.audio.spoken_digit.spoken_digit", ["_DOWNLOAD_URL"]),
    "crema_d": ("tensorflow_datasets.audio.crema_d", ["_CHECKSUMS_URL", "SUMMARY_TABLE_URL", "WAV_DATA_URL"]),
}


def point_tfds_at(dataset: str, base_url: str) -> None:
    """Point the TFDS builder's download URLs at base_url under their file names (a folder URL stays one)."""
    module_name, names = TFDS_DOWNLOADS[dataset]
    module = importlib.import_module(module_name)
    for name in names:
        url = getattr(module, name)
        tail = "" if url.endswith("/") else os.path.basename(urlparse(url).path)
        setattr(module, name, f"{base_url.rstrip('/')}/{tail}")


def repointed(entry: dict, base_url: str, md5s: dict) -> dict:
    entry = copy.deepcopy(entry)
    for part in entry.get("multipart_zip_urls", [entry]):
        name = os.path.basename(urlparse(part["url"]).path)
        part["url"], part["md5"] = f"{base_url.rstrip('/')}/{name}", md5s[name]
    return entry


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("task")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--md5sums", type=Path, required=True)
    parser.add_argument("--sample-rates", default="16000")
    parser.add_argument("--mode", default="default")
    parser.add_argument("--num-workers", type=int, default=2)
    args = parser.parse_args()
    import hearpreprocess.pipeline as pipeline
    from hearpreprocess.util.task_config import validate_generic_task_config

    module = task_module(args.task)
    validate_generic_task_config(module.generic_task_config)
    config = copy.deepcopy(module.generic_task_config)
    mode = config["default_mode"] if args.mode == "default" else args.mode
    config.update(copy.deepcopy(config["modes"][mode]))
    del config["modes"]
    config["tmp_dir"], config["mode"] = "_workdir", mode
    config["splits"] = (pipeline.SPLITS if config["split_mode"] == "trainvaltest"
                        else [f"fold{i:02d}" for i in range(config["nfolds"])])
    md5s = {name.strip(): md5 for md5, name in (line.split(None, 1) for line in args.md5sums.read_text().splitlines()
                                                if line.strip())}
    if "download_urls" in config:
        config["download_urls"] = [repointed(entry, args.base_url, md5s) for entry in config["download_urls"]]
    else:  # built through TensorFlow Datasets
        point_tfds_at(config["tfds_task_name"], args.base_url)
    print(json.dumps({"task": args.task, "mode": mode, "download_urls": config.get("download_urls")}), flush=True)
    final = pipeline.FinalizeCorpus(sample_rates=[int(r) for r in args.sample_rates.split(",")], tasks_dir="tasks",
                                    tar_dir=".", metadata_task=module.extract_metadata_task(config),
                                    task_config=config)
    pipeline.run([final], num_workers=args.num_workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
