"""`python -m heareval.embeddings.runner MODULE`: cache a HEAR-API model's embeddings for every task."""

import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional

import click

from heareval.embeddingformat import module_dir_name
from heareval.embeddings.hear_api import (
    default_model_threads,
    embedding_device,
    load_hear_model,
    parse_model_options,
    require_valid,
)
from heareval.embeddings.task_embeddings import default_reader_workers, embed_task, source_rate
from heareval.errors import UserError, report_user_errors
from heareval.taskformat import TASK_METADATA, is_task_dir, load_task_metadata

logger = logging.getLogger(__name__)


def find_tasks(tasks_dir: Path, task: str = "all") -> List[Path]:
    """Task folders of tasks_dir (folders holding task_metadata.json), optionally one by name."""
    if not tasks_dir.is_dir():
        raise UserError(f"tasks folder not found: {tasks_dir}")
    tasks = sorted(p for p in tasks_dir.iterdir() if is_task_dir(p))
    if task != "all":
        tasks = [p for p in tasks if task in (p.name, load_task_metadata(p).task_name)]
        if not tasks:
            raise UserError(f"no task {task!r} in {tasks_dir}")
    if not tasks:
        raise UserError(f"no tasks in {tasks_dir} (a task is a folder holding {TASK_METADATA})")
    return tasks


def run_embeddings(module: str, model_path: str = "", model_options: Optional[Dict[str, Any]] = None,
                   tasks_dir: str = "tasks", task: str = "all", embeddings_dir: str = "embeddings",
                   device: Optional[str] = None, batch_size: Optional[int] = None, num_workers: Optional[int] = None,
                   strict_sample_rate: bool = False, model_threads: Optional[int] = None) -> List[Path]:
    """Embed every selected task; return the task embedding folders. Checks everything before the long run."""
    device = embedding_device(device)
    if model_path and not Path(model_path).is_file():
        raise UserError(f"model file not found: {model_path}")
    tasks = find_tasks(Path(tasks_dir), task)
    hear = load_hear_model(module, model_path, model_options, device)
    for task_dir in tasks:
        source_rate(task_dir, hear.sample_rate, strict_sample_rate)
    types = sorted({load_task_metadata(t).embedding_type for t in tasks})
    require_valid(hear, device, types)
    if model_threads is not None and model_threads < 1:
        raise UserError(f"--model-threads must be at least 1, got {model_threads}")
    model_threads = model_threads or default_model_threads(hear, device, types)
    out_root = Path(embeddings_dir) / module_dir_name(module, model_options)
    workers = num_workers if num_workers is not None else default_reader_workers()
    announced: set = set()
    outputs = []
    for task_dir in tasks:
        out_dir = out_root / task_dir.name
        done = embed_task(hear, task_dir, out_dir, device, batch_size, workers, strict_sample_rate, announced,
                          model_threads)
        click.echo(f"{'embedded' if done else 'skipped (done)'}: {out_dir}", err=True)
        outputs.append(out_dir)
    return outputs


@click.command()
@click.argument("module")
@click.option("--model", "model_path", default="", help="Weights file passed to the module's load_model.")
@click.option("--model-options", default=None, help="JSON object of keyword arguments for load_model.")
@click.option("--tasks-dir", default="tasks", show_default=True)
@click.option("--task", default="all", show_default=True, help="A task name or folder name, or all.")
@click.option("--embeddings-dir", default="embeddings", show_default=True)
@click.option("--device", default=None, help="cpu, cuda or cuda:N (default: cuda when available).")
@click.option("--batch-size", type=click.IntRange(min=1), default=None,
              help="Sounds per batch (default: by clip duration).")
@click.option("--num-workers", type=click.IntRange(min=0), default=None,
              help="Audio-reading DataLoader processes (default: 0 with up to 2 CPUs, else min(4, CPUs - 2)).")
@click.option("--strict-sample-rate", is_flag=True, help="Error instead of resampling when a task lacks the rate.")
@click.option("--model-threads", type=click.IntRange(min=1), default=None,
              help="Batches embedded at once, one per thread (default: 2 on a CPU when the module's "
                   "concurrent calls agree with its sequential ones, else 1).")
@report_user_errors
def main(module: str, model_path: str, model_options: Optional[str], tasks_dir: str, task: str,
         embeddings_dir: str, device: Optional[str], batch_size: Optional[int], num_workers: Optional[int],
         strict_sample_rate: bool, model_threads: Optional[int]) -> None:
    """Compute MODULE's embeddings (any importable HEAR-API module) for the tasks in --tasks-dir."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    run_embeddings(module, model_path, parse_model_options(model_options), tasks_dir, task, embeddings_dir,
                   device, batch_size, num_workers, strict_sample_rate, model_threads)


if __name__ == "__main__":
    sys.exit(main())
