"""Run Luigi tasks on the local or a central scheduler, reporting stage failures as one line each: the
base of every stage records its failure in the work folder, where the run collects them."""

import logging
import os
import traceback
from pathlib import Path
from typing import List, Optional

import luigi

from heareval.atomic import remove_path
from heareval.errors import UserError

ERRORS_DIR = ".errors"


class Stage(luigi.Task):
    """Base of every stage: records failures where the runner can report them as one line."""

    work_dir = luigi.Parameter(default="_workdir")
    threads = luigi.IntParameter(default=os.cpu_count() or 1, significant=False)

    def on_failure(self, exception: BaseException) -> str:
        kind = "user" if isinstance(exception, UserError) else "bug"
        text = str(exception) if kind == "user" else traceback.format_exc()
        errors = Path(self.work_dir) / ERRORS_DIR
        errors.mkdir(parents=True, exist_ok=True)
        (errors / f"{self.task_id}.txt").write_text(f"{kind}\n{text}")
        return text


def clear_errors(work_dir: str) -> None:
    remove_path(Path(work_dir) / ERRORS_DIR)


def collected_errors(work_dir: str) -> List[tuple]:
    """(kind, text) of every stage that failed in this run."""
    errors_dir = Path(work_dir) / ERRORS_DIR
    found = []
    for path in sorted(errors_dir.glob("*.txt")) if errors_dir.is_dir() else []:
        kind, _, text = path.read_text().partition("\n")
        found.append((kind, text.strip()))
    return found


def run_luigi(tasks: List[luigi.Task], work_dir: str, workers: int, scheduler_host: Optional[str] = None,
              scheduler_port: int = 8082, verbose: bool = False) -> None:
    """Build `tasks`; raise UserError with the stages' own messages if any stage failed."""
    os.makedirs(work_dir, exist_ok=True)
    clear_errors(work_dir)
    params = dict(workers=max(1, workers), log_level="INFO" if verbose else "CRITICAL", detailed_summary=True)
    if scheduler_host:
        params.update(scheduler_host=scheduler_host, scheduler_port=scheduler_port)
        # stay to pick up work that other machines' workers unblock, instead of leaving early
        luigi.configuration.get_config().set("worker", "keep_alive", "true")
    else:
        params.update(local_scheduler=True)
    if not verbose:
        logging.getLogger("luigi-interface").setLevel(logging.CRITICAL)
    result = luigi.build(tasks, **params)
    errors = collected_errors(work_dir)
    bugs = [text for kind, text in errors if kind == "bug"]
    if bugs:
        raise RuntimeError("a pipeline stage failed:\n" + "\n\n".join(bugs))
    if errors:
        raise UserError("\n".join(dict.fromkeys(text for _, text in errors)))
    if not all(task.complete() for task in tasks):
        if scheduler_host and not result.scheduling_succeeded:
            raise UserError(f"cannot use the Luigi scheduler at {scheduler_host}:{scheduler_port}")
        raise UserError(f"the pipeline did not finish: {result.summary_text.strip().splitlines()[-1]}")
