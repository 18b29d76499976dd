"""`python -m heareval.predictions.runner MODULE|TASK_DIR...`: train, select and score every task."""

import sys
from pathlib import Path
from typing import List, Optional, Sequence

import click
from tqdm import tqdm

from heareval.collector import collector_paused
from heareval.embeddingformat import check_complete
from heareval.errors import UserError, report_user_errors
from heareval.predictionformat import DONE_MARKER, MLP, PROBES, probe_dir
from heareval.predictions.devices import parse_gpus, worker_devices
from heareval.predictions.grid import GRIDS
from heareval.predictions.workers import configure_logging, predict_in_workers
from heareval.taskformat import is_task_dir, load_task_metadata


def embedding_task_dirs(targets: Sequence[str], embeddings_dir: str, task: str = "all") -> List[Path]:
    """Task folders from module names (embeddings/<module>/*) or explicit task folders."""
    found: List[Path] = []
    for target in targets:
        path = Path(target)
        if is_task_dir(path):
            found.append(path)
            continue
        module_dir = path if path.is_dir() else Path(embeddings_dir) / target
        if not module_dir.is_dir():
            raise UserError(f"{target!r} is neither an embedding task folder nor a module in {embeddings_dir}")
        tasks = sorted(p for p in module_dir.iterdir() if is_task_dir(p))
        if not tasks:
            raise UserError(f"no embedding task folders in {module_dir}")
        found.extend(tasks)
    if task != "all":
        found = [p for p in found if task in (p.name, load_task_metadata(p).task_name)]
        if not found:
            raise UserError(f"no task {task!r} among {', '.join(map(str, targets))}")
    return found


def run_predictions(targets: Sequence[str], embeddings_dir: str = "embeddings", task: str = "all",
                    gpus: Optional[List[int]] = None, grid: str = "default", grid_points: int = 8, seed: int = 42,
                    deterministic: bool = True, in_memory: bool = True, seeds: int = 1,
                    search_every_fold: bool = False, model_label: str = "", jobs: int = 1,
                    stop_on_nan_score: bool = False, probe: str = MLP) -> List[Path]:
    """Train every task of `targets`: one at a time, or `jobs` at a time on each device (several GPUs: each).
    The linear and knn probes fit on the CPU in seconds, one task at a time."""
    if probe not in PROBES:
        raise UserError(f"unknown probe {probe!r}; probes: {', '.join(PROBES)}")
    task_dirs = embedding_task_dirs(targets, embeddings_dir, task)
    for task_dir in task_dirs:
        check_complete(task_dir)
    devices = worker_devices(gpus, jobs)
    options = dict(grid=grid, grid_points=grid_points, seed=seed, deterministic=deterministic, in_memory=in_memory,
                   seeds=seeds, search_every_fold=search_every_fold, model_label=model_label,
                   stop_on_nan_score=stop_on_nan_score)
    todo = []
    for task_dir in task_dirs:
        if (probe_dir(task_dir, probe) / DONE_MARKER).is_file():
            click.echo(f"skipped (done): {probe_dir(task_dir, probe)}", err=True)
        else:
            todo.append(task_dir)
    if not todo:
        return task_dirs
    if probe != MLP:
        with collector_paused():
            from heareval.predictions.probes import probe_predictions
        finished = ((task_dir, probe_predictions(task_dir, probe, seed)) for task_dir in todo)
    elif len(devices) > 1 and len(todo) > 1:
        devices = devices[:len(todo)]
        finished = tqdm(predict_in_workers(todo, devices, options), total=len(todo), unit="task",
                        desc=f"tasks, {len(devices)} at once")
    else:
        with collector_paused():  # Lightning takes seconds to import: not for --help, a bad argument or nothing to do
            from heareval.predictions.train import task_predictions
        finished = ((task_dir, task_predictions(task_dir, gpus=devices[0], **options)) for task_dir in todo)
    for task_dir, report in finished:
        if report is None:  # finished meanwhile by another run
            continue
        folds = [k for k in report if isinstance(report[k], dict) and "test_score" in report[k]]
        scores = ", ".join(f"{k}: {report[k]['test_score']:.4f}" for k in folds)
        tqdm.write(f"{probe_dir(task_dir, probe)}: test score {scores}", file=sys.stderr)
    return task_dirs


@click.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--embeddings-dir", default="embeddings", show_default=True)
@click.option("--task", default="all", show_default=True, help="A task name or folder name, or all.")
@click.option("--gpus", default=None, help="An int (how many GPUs; 0 = CPU) or a JSON list of ids "
              "(default: one GPU if there is one, else CPU).")
@click.option("--probe", type=click.Choice(PROBES), default=MLP, show_default=True,
              help="mlp: the original's MLP grid search; linear: logistic regression, its L2 strength chosen on "
              "validation; knn: cosine 10-nearest neighbours (scene tasks). Other probes write to probes/<probe>/.")
@click.option("--grid", type=click.Choice(sorted(GRIDS)), default="default", show_default=True)
@click.option("--grid-points", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--seed", type=int, default=42, show_default=True)
@click.option("--seeds", type=click.IntRange(min=1), default=1, show_default=True,
              help="Repeat the final training with this many seeds and report mean and std.")
@click.option("--deterministic/--no-deterministic", default=True, show_default=True)
@click.option("--in-memory/--memmap", default=True, show_default=True,
              help="Hold embeddings on the device (fast) or read batches from the memmap (huge tasks).")
@click.option("--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Tasks trained at once on each device (each GPU of --gpus, or the CPU), one process each.")
@click.option("--search-every-fold", is_flag=True, help="k-fold tasks: grid search on every fold, not only the first.")
@click.option("--stop-on-nan-score", is_flag=True,
              help="Stop a grid point at the first validation score that is NaN (event tasks: no predicted event), "
              "as the original kit did; by default it counts as the worst score and patience decides.")
@click.option("--model", "model_path", default="", help="Accepted as the original kit writes it; only labels the run.")
@report_user_errors
def main(targets: Sequence[str], embeddings_dir: str, task: str, gpus: Optional[str], probe: str, grid: str,
         grid_points: int, seed: int, seeds: int, deterministic: bool, in_memory: bool, jobs: int,
         search_every_fold: bool, stop_on_nan_score: bool, model_path: str) -> None:
    """Train shallow predictors on the embeddings of TARGETS (module names or embedding task folders)."""
    configure_logging()
    run_predictions(targets, embeddings_dir, task, parse_gpus(gpus), grid, grid_points, seed, deterministic,
                    in_memory, seeds, search_every_fold, model_path, jobs, stop_on_nan_score, probe)


if __name__ == "__main__":
    sys.exit(main())
