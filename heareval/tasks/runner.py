"""`python -m heareval.tasks.runner TASK|all`: download and preprocess tasks into --tasks-dir."""

import os
import sys
from pathlib import Path
from typing import List, Optional, Sequence

import click
from tqdm import tqdm

from heareval.atomic import check_writable
from heareval.errors import UserError, report_user_errors
from heareval.luigi_run import run_luigi
from heareval.tasks.config import DEFAULT_SAMPLE_RATES, parse_rates, selected_tasks
from heareval.tasks.download import read_md5sums
from heareval.tasks.pipeline import finalize_task, run_config, small_corpus_dir
from heareval.tasks.small import build_small_corpus


def preprocess(tasks: Sequence[str], sample_rates: Sequence[int] = DEFAULT_SAMPLE_RATES, small: bool = False,
               mode: Optional[str] = None, work_dir: str = "_workdir", tasks_dir: str = "tasks",
               mirror: str = "", num_workers: Optional[int] = None, scheduler_host: Optional[str] = None,
               scheduler_port: int = 8082, verbose: bool = False) -> List[Path]:
    """Build the finalized task folders; return their paths."""
    num_workers = num_workers or os.cpu_count() or 1
    for rate in sample_rates:
        if rate < 1000 or rate > 384000:
            raise UserError(f"implausible sample rate: {rate}")
    if small and mirror:
        raise UserError("--small uses the built-in stand-in corpora; it cannot be combined with --mirror")
    if small and mode and mode != "small":
        raise UserError(f"--small builds mode small; it cannot be combined with --mode {mode}")
    check_writable(Path(tasks_dir))
    check_writable(Path(work_dir))
    if small:
        for name in tqdm(tasks, desc="small corpora", unit="task", leave=False):
            build_small_corpus(name, small_corpus_dir(work_dir, name))
    if mirror:
        overrides = read_md5sums(mirror)
        if overrides:
            click.echo(f"mirror {mirror}: MD5SUMS overrides the expected md5 of {len(overrides)} file(s): "
                       f"{', '.join(sorted(overrides))}", err=True)
    mode_param = mode or ""
    finals = [finalize_task(name, sample_rates, tasks_dir, mode=mode_param, small=small, work_dir=work_dir,
                            mirror=mirror, threads=num_workers) for name in tasks]
    for final in finals:
        run_config(final.task_name, mode_param, small, work_dir, mirror)  # bad modes fail here, before the DAG
    run_luigi(finals, work_dir, num_workers, scheduler_host, scheduler_port, verbose)
    return [Path(final.output().path) for final in finals]


@click.command()
@click.argument("task")
@click.option("--num-workers", type=click.IntRange(min=1), default=None, help="Parallel workers (default: all CPUs).")
@click.option("--sample-rate", "sample_rates", multiple=True,
              help="Sample rate(s) in Hz, repeatable or comma-separated (default 16000,22050,44100,48000).")
@click.option("--small", is_flag=True, help="Use the built-in small synthetic stand-in corpora.")
@click.option("--mode", default=None, help="Task mode, e.g. 5h or full (default: the task's default mode).")
@click.option("--work-dir", default="_workdir", show_default=True, help="Intermediate files.")
@click.option("--tasks-dir", default="tasks", show_default=True, help="Where finalized tasks go.")
@click.option("--mirror", default="", help="Base URL or folder holding the archives under their upstream names.")
@click.option("--scheduler-host", default=None, help="Use a luigid central scheduler at this host.")
@click.option("--scheduler-port", default=8082, show_default=True, type=int)
@click.option("--verbose", is_flag=True, help="Show Luigi's own log.")
@report_user_errors
def main(task: str, num_workers: Optional[int], sample_rates: Sequence[str], small: bool, mode: Optional[str],
         work_dir: str, tasks_dir: str, mirror: str, scheduler_host: Optional[str], scheduler_port: int,
         verbose: bool) -> None:
    """Preprocess TASK (a task name or `all`) into the HEAR task format."""
    finished = preprocess(selected_tasks(task), parse_rates(sample_rates), small, mode, work_dir, tasks_dir,
                          mirror, num_workers, scheduler_host, scheduler_port, verbose)
    for path in finished:
        click.echo(str(path))


if __name__ == "__main__":
    sys.exit(main())
