"""Run Luigi tasks on the local or a central scheduler, reporting stage failures as one line each."""

import logging
import os
from typing import List, Optional

import luigi

from heareval.errors import UserError
from heareval.tasks.pipeline import clear_errors, collected_errors


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
