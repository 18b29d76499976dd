"""`python -m heareval.evaluation.runner [MODULE ...]`: score stored test predictions, tables and plots."""

import logging
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import click

from heareval.errors import UserError, report_user_errors
from heareval.evaluation.chance import failures_below_chance
from heareval.evaluation.reference import HEAR2021, resolve_reference, result_task_names
from heareval.evaluation.report import check_output_names, publish
from heareval.evaluation.task_evaluation import evaluate_task, has_predictions
from heareval.predictionformat import PROBES, result_key
from heareval.score import score_entry
from heareval.taskformat import is_task_dir, load_task_metadata

logger = logging.getLogger(__name__)


def module_dirs(embeddings_dir: Path, modules: Sequence[str]) -> List[Path]:
    if not embeddings_dir.is_dir():
        raise UserError(f"embeddings folder not found: {embeddings_dir}")
    if modules:
        missing = [m for m in modules if not (embeddings_dir / m).is_dir()]
        if missing:
            raise UserError(f"no embeddings for module(s) {', '.join(missing)} in {embeddings_dir}")
        return [embeddings_dir / m for m in modules]
    found = sorted(p for p in embeddings_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not found:
        raise UserError(f"no modules in {embeddings_dir}")
    return found


def evaluate(modules: Sequence[str] = (), embeddings_dir: str = "embeddings", task: str = "all",
             extra_scores: Sequence[str] = (), strict: bool = False, bootstrap: int = 0,
             confidence: float = 0.95) -> Dict[str, Dict[str, Any]]:
    """{module: {task: {score: value, ...}}} over modules and tasks that have stored predictions (a probe
    other than the MLP as `module/probe`); with `bootstrap` resamples, each score's confidence interval too."""
    for name in extra_scores:
        score_entry(name)  # an unknown name is refused before any scoring
    results: Dict[str, Dict[str, Any]] = {}
    for module_dir in module_dirs(Path(embeddings_dir), modules):
        tasks = sorted(p for p in module_dir.iterdir() if is_task_dir(p))
        if task != "all":
            tasks = [p for p in tasks if task in (p.name, load_task_metadata(p).task_name)]
        for task_dir in tasks:
            probes = [probe for probe in PROBES if has_predictions(task_dir, probe)]
            if not probes:
                message = f"{module_dir.name}/{task_dir.name}: no stored predictions (run the predictions runner)"
                if strict:
                    raise UserError(message)
                click.echo(f"skipped: {message}", err=True)
                continue
            extra = [s for s in extra_scores if applies(s, task_dir)]
            skipped = sorted(set(extra_scores) - set(extra))
            if skipped:
                click.echo(f"note: {', '.join(skipped)} do not apply to {task_dir.name}", err=True)
            for probe in probes:
                scores = evaluate_task(task_dir, extra, bootstrap, confidence, probe)
                results.setdefault(result_key(module_dir.name, probe), {})[task_dir.name] = scores
    if not results:
        raise UserError(f"no stored predictions found in {embeddings_dir}")
    return results


def applies(score_name: str, task_dir: Path) -> bool:
    return score_entry(score_name).applies_to(load_task_metadata(task_dir).embedding_type)


@click.command()
@click.argument("modules", nargs=-1)
@click.option("--embeddings-dir", default="embeddings", show_default=True)
@click.option("--task", default="all", show_default=True)
@click.option("--output", default="evaluation_results.json", show_default=True)
@click.option("--scores", "extra_scores", default="", help="Extra score names, comma-separated (e.g. psds1,psds2).")
@click.option("--table", "table_path", default=None, type=click.Path(path_type=Path),
              help="Write a module x task table of primary scores (.md or .csv).")
@click.option("--plot", "plot_path", default=None, type=click.Path(path_type=Path),
              help="Write a PNG of scores normalized per task.")
@click.option("--reference", "reference_option", default=None, metavar=f"{HEAR2021}|none|FILE",
              help=f"Published scores to compare with: {HEAR2021} (the HEAR leaderboard; the default when every "
              "task is a HEAR task), none, or a JSON file {task: score}. The table adds the best published score "
              "and model, the rank and the normalized score; the plot normalizes by the best published score.")
@click.option("--bootstrap", default=0, show_default=True, type=click.IntRange(min=0),
              help="Resamples of the test items for each score's confidence interval (0: none; 1000 is usual).")
@click.option("--confidence", default=0.95, show_default=True,
              type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Confidence level of the --bootstrap intervals.")
@click.option("--strict", is_flag=True, help="Error when a module or task has no stored predictions.")
@click.option("--require-above-chance", is_flag=True,
              help="Exit non-zero if a primary score is not clearly better than chance.")
@report_user_errors
def main(modules: Sequence[str], embeddings_dir: str, task: str, output: str, extra_scores: str,
         table_path: Optional[Path], plot_path: Optional[Path], reference_option: Optional[str], bootstrap: int,
         confidence: float, strict: bool, require_above_chance: bool) -> None:
    """Score the stored test predictions of MODULES (default: every module in --embeddings-dir)."""
    extra = [s.strip() for s in extra_scores.split(",") if s.strip()]
    check_output_names(table_path, plot_path)
    if reference_option not in (None, HEAR2021, "none"):
        resolve_reference(reference_option, [])  # a bad file is refused before any scoring
    results = evaluate(modules, embeddings_dir, task, extra, strict, bootstrap, confidence)
    reference = resolve_reference(reference_option, result_task_names(results))
    publish(results, Path(output), table_path, plot_path, reference)
    if require_above_chance:
        problems = failures_below_chance(results, Path(embeddings_dir))
        if problems:
            raise UserError("scores at chance level:\n" + "\n".join(problems))
        click.echo("every primary score is clearly better than chance", err=True)


if __name__ == "__main__":
    sys.exit(main())
