"""The original predictions runner (heareval 2021.1.3) and ours on one event task whose task_metadata.json
carries MAESTRO's official training rules: do both search the same grid values, keep the same
post-processing and stop on the same target?

    python benchmarks/metadata_rules_side_by_side.py EMBEDDING_TASK_DIR [--grid faster] [--grid-points 2]

EMBEDDING_TASK_DIR is an event task in the embeddings format (e.g. heareval.baseline embeddings of the
small dcase2016_task2 task). It is copied twice, MAESTRO's rules are written into each copy's metadata
(hearpreprocess 2021.1.1's maestro config), and each kit trains its copy. The original runs from
PEER_HOME/venv-eval (../shared/peer/install_peer.sh).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import PEER_HOME

MAESTRO_RULES = {
    "use_scoring_for_early_stopping": False,
    "evaluation_params": {"event_postprocessing_grid": {"median_filter_ms": [150], "min_duration": [50]},
                          "task_specific_param_grid": {"max_epochs": [50], "check_val_every_n_epoch": [1]}},
}
OUTPUTS = ("*.predictions.*", "test.predicted-*", "test.best-model-config.json", "grid-points.json",
           "prediction-done.json", "cost.predictions.json", "logs")


def prepared_copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    for pattern in OUTPUTS:
        for path in target.glob(pattern):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    metadata = json.loads((target / "task_metadata.json").read_text())
    metadata.update(MAESTRO_RULES)
    (target / "task_metadata.json").write_text(json.dumps(metadata))
    return target


def run(command, cwd, env=None) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{result.stderr[-3000:]}")
    return time.perf_counter() - started


def summary(task: Path) -> dict:
    report = json.loads((task / "test.predicted-scores.json").read_text())
    fold = report["test"]
    return {"max_epochs": report["hparams"]["max_epochs"],
            "check_val_every_n_epoch": report["hparams"]["check_val_every_n_epoch"],
            "score_mode": report["score_mode"],
            "postprocessing": [list(p) for p in report["postprocessing"]],
            "validation_score (best validation loss)": round(fold["validation_score"], 4),
            "epoch": fold["epoch"],
            "test_event_onset_200ms_fms": round(fold["test_event_onset_200ms_fms"], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("task", type=Path)
    parser.add_argument("--grid", default="faster")
    parser.add_argument("--grid-points", type=int, default=2)
    args = parser.parse_args()
    peer = PEER_HOME / "venv-eval" / "bin" / "python"
    if not peer.is_file():
        sys.exit(f"the original kit is not installed at {peer}: run ../shared/peer/install_peer.sh")
    work = Path(tempfile.mkdtemp(prefix="heareval-rules-"))
    options = ["--grid", args.grid, "--grid-points", str(args.grid_points)]
    ours = prepared_copy(args.task, work / "ours" / "embeddings" / "module" / args.task.name)
    original = prepared_copy(args.task, work / "original" / "embeddings" / "module" / args.task.name)
    seconds = {
        "heareval": run([sys.executable, "-m", "heareval.predictions.runner", str(ours), *options], cwd=work / "ours"),
        "original": run([str(peer), "-m", "heareval.predictions.runner", str(original), *options],
                        cwd=work / "original", env={**os.environ, "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1",
                                                    "PYTHONPATH": ""}),
    }
    rows = {"heareval": summary(ours), "original": summary(original)}
    print(f"{'':42s} {'heareval':>22s} {'original':>22s}")
    for key in rows["heareval"]:
        print(f"{key:42s} {str(rows['heareval'][key]):>22s} {str(rows['original'][key]):>22s}")
    print(f"{'wall s':42s} {seconds['heareval']:22.1f} {seconds['original']:22.1f}")
    same = [key for key in ("max_epochs", "check_val_every_n_epoch", "score_mode", "postprocessing")
            if rows["heareval"][key] == rows["original"][key]]
    print(f"same grid values, post-processing and early-stopping target: {len(same) == 4} ({', '.join(same)})")


if __name__ == "__main__":
    main()
