"""Module x task tables and normalized score plots, as people publish them."""

import math
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

import click
import pandas as pd

from heareval.atomic import atomic_path, write_json
from heareval.errors import UserError
from heareval.score import available_scores
from heareval.taskformat import is_finite_number, read_json

PLOT_SIZE_INCHES = (12.0, 6.0)
PLOT_DPI = 100  # so the PNG is 1200 x 600 pixels
TABLE_FORMATS = (".md", ".csv")
PLOT_FORMATS = (".png", ".pdf", ".svg")


def check_output_names(table_path: Optional[Path], plot_path: Optional[Path]) -> None:
    """Refuse a table or plot format up front, not after every task has been scored."""
    if table_path and table_path.suffix not in TABLE_FORMATS:
        raise UserError(f"--table {table_path}: use a {' or '.join(TABLE_FORMATS)} file name")
    if plot_path and plot_path.suffix not in PLOT_FORMATS:
        raise UserError(f"--plot {plot_path}: use a {', '.join(PLOT_FORMATS)} file name")


def read_reference(path: Path) -> Dict[str, float]:
    """`--reference`: `{task: published primary score}`."""
    reference = read_json(path)
    if not isinstance(reference, dict) or not all(is_finite_number(v) for v in reference.values()):
        raise UserError(f"--reference {path}: expected a JSON object {{task: score}} with numeric scores")
    return reference


def primary_table(results: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> pd.DataFrame:
    """Rows: modules; columns: `task (score)`; values: each task's primary score, and beside it its
    bootstrap interval where the results have one (`task (score) 95% CI`)."""
    rows: Dict[str, Dict[str, Any]] = {}
    for module, tasks in results.items():
        for task, entry in tasks.items():
            name = entry.get("primary_score")
            row = rows.setdefault(module, {})
            row[f"{task} ({name})"] = entry.get(name, math.nan)
            if f"{name}_ci" in entry:
                low, high = entry[f"{name}_ci"]
                row[f"{task} ({name}) {entry['bootstrap']['confidence']:.0%} CI"] = f"[{low:.4f}, {high:.4f}]"
    return pd.DataFrame.from_dict(rows, orient="index").sort_index(axis=0).sort_index(axis=1)


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
                      reference: Optional[Mapping[str, float]] = None) -> pd.DataFrame:
    """Primary scores relative to the best module per task (or to reference scores): 1 = as good."""
    rows = []
    for module, tasks in results.items():
        for task, entry in tasks.items():
            name = entry.get("primary_score")
            rows.append({"module": module, "task": task, "score": entry.get(name, math.nan),
                         "maximize": available_scores[name](label_to_idx={}).maximize,
                         "category": entry.get("category") or "other"})
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    normalized = []
    for row in frame.itertuples():
        if reference is not None:
            base = reference.get(row.task, reference.get(row.task.split("-")[0]))
            if base is None:
                raise UserError(f"--reference has no score for task {row.task}")
        else:
            others = frame.loc[frame["task"] == row.task, "score"]
            base = others.max() if row.maximize else others.min()
        if row.maximize:
            normalized.append(row.score / base if base else math.nan)
        else:
            normalized.append(base / row.score if row.score else math.nan)
    frame["normalized"] = normalized
    return frame


def write_plot(results: Mapping[str, Any], path: Path, reference: Optional[Mapping[str, float]] = None) -> None:
    """Grouped bars of normalized primary scores, tasks grouped by category."""
    check_output_names(None, path)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = normalized_scores(results, reference)
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
    labels = [f"{frame.loc[frame['task'] == t, 'category'].iloc[0]}\n{t}" for t in tasks]
    axes.set_xticks([i + 0.4 - width / 2 for i in range(len(tasks))], labels, fontsize=8)
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_ylabel("score relative to " + ("reference" if reference else "best module"))
    axes.legend(fontsize=8)
    figure.tight_layout()
    with atomic_path(path, replace=True) as temporary:
        figure.savefig(temporary, dpi=PLOT_DPI, format=path.suffix[1:])
    plt.close(figure)


def publish(results: Mapping[str, Any], output: Path, table_path: Optional[Path] = None,
            plot_path: Optional[Path] = None, reference: Optional[Mapping[str, float]] = None) -> None:
    """Write the results JSON (and table, plot), and print the score and cost tables."""
    write_json(output, results, indent=2)
    click.echo(to_markdown(primary_table(results)))
    costs = cost_table(results)
    if not costs.empty:
        click.echo(to_markdown(costs.set_index("module"), float_format="{:g}"))  # seconds already rounded
    if table_path:
        write_table(results, table_path)
    if plot_path:
        write_plot(results, plot_path, reference)
    click.echo(f"results: {output}", err=True)
