"""Module x task tables and normalized score plots, as people publish them."""

import math
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import click
import pandas as pd

from heareval.atomic import atomic_path, write_json
from heareval.errors import UserError
from heareval.evaluation.reference import (
    Reference,
    check_overlap,
    comparison,
    mean_normalized,
    normalized_score,
)
from heareval.score import score_entry

PLOT_SIZE_INCHES = (12.0, 6.0)
PLOT_DPI = 100  # so the PNG is 1200 x 600 pixels
TABLE_FORMATS = (".md", ".csv")
PLOT_FORMATS = (".png", ".pdf", ".svg")
SUMMARY_COLUMN = "mean normalized"
SEEDS_COLUMN = "seeds mean ± std"
SEEDS_STATEMENT = ("Seeds: `seeds mean ± std` is the spread of retraining the predictor on the same embeddings "
                   "(--seeds N); a bootstrap CI is the spread from drawing the test items again for one trained "
                   "predictor. Compare two models on the same task with the seeds mean ± std: both were scored "
                   "on the same test items, so the test-set chance the bootstrap measures is shared, while "
                   "retraining noise is not. Use the bootstrap CI to compare with a score measured on other "
                   "test data.")


def check_output_names(table_path: Optional[Path], plot_path: Optional[Path]) -> None:
    """Refuse a table or plot format up front, not after every task has been scored."""
    if table_path and table_path.suffix not in TABLE_FORMATS:
        raise UserError(f"--table {table_path}: use a {' or '.join(TABLE_FORMATS)} file name")
    if plot_path and plot_path.suffix not in PLOT_FORMATS:
        raise UserError(f"--plot {plot_path}: use a {', '.join(PLOT_FORMATS)} file name")


def compare_with_reference(results: Mapping[str, Mapping[str, Dict[str, Any]]], reference: Reference) -> None:
    """Add to every result entry where its primary score stands among the published ones (`comparison`)."""
    check_overlap(reference, [task for tasks in results.values() for task in tasks])
    for tasks in results.values():
        for task, entry in tasks.items():
            name = entry.get("primary_score")
            entry["comparison"] = comparison(reference, task, entry.get(name, math.nan), score_maximizes(name))


def score_maximizes(name: str) -> bool:
    return score_entry(name).maximize


def module_summaries(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> Dict[str, Dict[str, Any]]:
    """{module: mean normalized score and how many tasks it covers}, for results compared with a reference."""
    return {module: mean_normalized({task: entry["comparison"] for task, entry in tasks.items()
                                     if "comparison" in entry})
            for module, tasks in results.items()}


def primary_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> pd.DataFrame:
    """Rows: modules; columns: `task (score)`; values: each task's primary score, and beside it its
    bootstrap interval where the results have one (`task (score) 95% CI`). Results compared with a
    reference add each score's rank among the published ones and its normalized score, rows with the
    best published score and model, and a column with each module's mean normalized score."""
    rows: Dict[str, Dict[str, Any]] = {}
    best: Dict[str, Dict[str, Any]] = {}
    for module, tasks in results.items():
        for task, entry in tasks.items():
            name = entry.get("primary_score")
            column = f"{task} ({name})"
            row = rows.setdefault(module, {})
            row[column] = entry.get(name, math.nan)
            if f"{name}_ci" in entry:
                low, high = entry[f"{name}_ci"]
                row[f"{column} {entry['bootstrap']['confidence']:.0%} CI"] = f"[{low:.4f}, {high:.4f}]"
            if "seed_summary" in entry:
                row[f"{column} {SEEDS_COLUMN}"] = seeds_cell(entry, name)
            compared = entry.get("comparison")
            if compared:
                if "note" in compared:  # one column saying so, where compared tasks have two
                    row[f"{column} {compared['reference']}"] = compared["note"]
                    continue
                row[f"{column} rank"] = f"{compared['rank']} of {compared['of'] + 1}"
                row[f"{column} normalized"] = compared["normalized"]
                reference_name = compared["reference"]
                best.setdefault(f"best published ({reference_name})", {})[column] = compared["best"]
                best.setdefault(f"best published model ({reference_name})", {})[column] = compared["best_model"]
    if best:
        for module, summary in module_summaries(results).items():
            rows[module][SUMMARY_COLUMN] = (f"{summary['mean_normalized']:.4f} ({summary['tasks']} tasks)"
                                            if summary["tasks"] else "no published reference")
    table = pd.DataFrame.from_dict(rows, orient="index").sort_index(axis=0).sort_index(axis=1)
    if best:
        table = pd.concat([table, pd.DataFrame.from_dict(best, orient="index")]).reindex(columns=table.columns)
    return table


def seeds_cell(entry: Mapping[str, Any], name: str) -> str:
    """Mean ± std of the primary test score over the seeds (over every test fold's seeds for k-fold tasks)."""
    summaries = [summary[f"test_{name}"] for summary in entry["seed_summary"].values() if f"test_{name}" in summary]
    if not summaries:
        return "-"
    mean = sum(s["mean"] for s in summaries) / len(summaries)
    std = sum(s["std"] for s in summaries) / len(summaries)
    return f"{mean:.4f} ± {std:.4f}"


def cost_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> pd.DataFrame:
    """One row per module, task and stage: what it cost (GPU memory and energy where measured)."""
    rows = []
    for module, tasks in results.items():
        for task, entry in tasks.items():
            for stage, cost in entry.get("cost", {}).items():
                rows.append({"module": module, "task": task, "stage": stage,
                             "wall s": round(cost["wall_seconds"], 1), "cpu s": round(cost["cpu_seconds"], 1),
                             "peak MB": round(cost["peak_memory_mb"]),
                             "peak GPU MB": cost.get("peak_gpu_memory_mb"), "kWh": cost.get("energy_kwh")})
    return pd.DataFrame(rows)


def markdown_cell(value: Any, float_format: str) -> str:
    """One table cell: a missing value (None, NaN) as `-`, numbers in the table's format."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return float_format.format(value) if isinstance(value, float) else str(value)


def to_markdown(frame: pd.DataFrame, index_name: str = "module", float_format: str = "{:.4f}") -> str:
    frame = frame.reset_index().rename(columns={"index": index_name}) if index_name else frame
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    lines = [header, rule]
    for row in frame.itertuples(index=False):
        lines.append("| " + " | ".join(markdown_cell(v, float_format) for v in row) + " |")
    return "\n".join(lines) + "\n"


def write_table(results: Mapping[str, Any], path: Path) -> None:
    check_output_names(path, None)
    table = primary_table(results)
    with atomic_path(path, replace=True) as temporary:
        if path.suffix == ".csv":
            table.to_csv(temporary, index_label="module")
        else:
            temporary.write_text(to_markdown(table))


def normalized_scores(results: Mapping[str, Mapping[str, Mapping[str, Any]]],
                      reference: Optional[Reference] = None) -> pd.DataFrame:
    """Primary scores relative to the best module per task, or with a reference to the best published
    score (tasks without one are left out): 1 = as good."""
    rows = []
    for module, tasks in results.items():
        for task, entry in tasks.items():
            name = entry.get("primary_score")
            rows.append({"module": module, "task": task, "score": entry.get(name, math.nan),
                         "maximize": score_maximizes(name), "category": entry.get("category") or "other"})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    if reference is not None:
        frame = frame[[reference.published(task) is not None for task in frame["task"]]].copy()
    normalized = []
    for row in frame.itertuples():
        if reference is not None:
            published = reference.published(row.task)
            base = (max if row.maximize else min)(published.values())
        else:
            others = frame.loc[frame["task"] == row.task, "score"]
            base = others.max() if row.maximize else others.min()
        normalized.append(normalized_score(row.score, base, row.maximize))
    frame["normalized"] = normalized
    return frame


def write_plot(results: Mapping[str, Any], path: Path, reference: Optional[Reference] = None) -> None:
    """Grouped bars of normalized primary scores, tasks grouped by category; with a reference, each
    published model's normalized score as a faint marker."""
    check_output_names(None, path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = normalized_scores(results, reference)
    if frame.empty and reference is not None:
        click.echo(f"note: no task has a score in --reference {reference.name}: the plot compares the modules "
                   "with each other", err=True)
        reference = None
        frame = normalized_scores(results)
    if frame.empty:
        raise UserError("nothing to plot: no module has scored tasks")
    frame = frame.sort_values(["category", "task", "module"])
    tasks: List[str] = list(dict.fromkeys(frame["task"]))
    modules: List[str] = sorted(set(frame["module"]))
    figure, axes = plt.subplots(figsize=PLOT_SIZE_INCHES, dpi=PLOT_DPI)
    width = 0.8 / len(modules)
    for m, module in enumerate(modules):
        values = [frame.loc[(frame["task"] == t) & (frame["module"] == module), "normalized"].mean() for t in tasks]
        axes.bar([i + m * width for i in range(len(tasks))], values, width, label=module)
    if reference is not None:
        for i, task in enumerate(tasks):
            published = reference.published(task)
            maximize = bool(frame.loc[frame["task"] == task, "maximize"].iloc[0])
            base = (max if maximize else min)(published.values())
            values = [normalized_score(v, base, maximize) for v in published.values()]
            axes.scatter([i + 0.4 - width / 2] * len(values), values, s=12, color="gray", alpha=0.35, zorder=3,
                         label=f"published ({reference.name})" if i == 0 else None)
    labels = [f"{frame.loc[frame['task'] == t, 'category'].iloc[0]}\n{t}" for t in tasks]
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(tasks))], labels, fontsize=8)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_ylabel(f"score relative to the best in {reference.name}" if reference else "score relative to best module")
    axes.legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(path, replace=True) as temporary:
        figure.savefig(temporary, dpi=PLOT_DPI, format=path.suffix[1:])
    plt.close(figure)


def publish(results: Mapping[str, Any], output: Path, table_path: Optional[Path] = None,
            plot_path: Optional[Path] = None, reference: Optional[Reference] = None) -> None:
    """Compare with the reference, write the results JSON (and table, plot), and print the score and cost
    tables and each module's one-number summary."""
    if reference is not None:
        compare_with_reference(results, reference)
    write_json(output, results, indent=2)
    click.echo(to_markdown(primary_table(results)))
    if any("seed_summary" in entry for tasks in results.values() for entry in tasks.values()):
        click.echo(SEEDS_STATEMENT + "\n")
    if reference is not None:
        for module, summary in module_summaries(results).items():
            if summary["tasks"]:
                click.echo(f"{module}: mean normalized score {summary['mean_normalized']:.4f} over "
                           f"{summary['tasks']} task(s) with a published score in {reference.name}")
            else:
                click.echo(f"{module}: no task with a published score in {reference.name}")
    costs = cost_table(results)
    if not costs.empty:
        click.echo(to_markdown(costs.set_index("module"), float_format="{:g}"))  # seconds already rounded
    if table_path:
        write_table(results, table_path)
    if plot_path:
        write_plot(results, plot_path, reference)
    click.echo(f"results: {output}", err=True)
