"""`heareval tasks|embeddings|predictions|evaluation|run|validate ...`: every runner under one command.

The `python -m heareval.<stage>.runner` commands stay; this only names them. A stage's module is imported
when it is called, so `heareval --help` does not pay for Lightning's import.
"""

import importlib
from typing import List, Optional

import click

COMMANDS = {
    "tasks": ("heareval.tasks.runner", "Preprocess datasets into the task format."),
    "embeddings": ("heareval.embeddings.runner", "Embed every task with a HEAR-API module."),
    "predictions": ("heareval.predictions.runner", "Train the downstream predictors and store test predictions."),
    "evaluation": ("heareval.evaluation.runner", "Score stored predictions: results JSON, tables, plots."),
    "run": ("heareval.runner", "The whole benchmark (tasks, embeddings, predictions, evaluation) as one DAG."),
    "validate": ("heareval.validate", "Check a HEAR-API module on synthetic audio."),
}


class StageGroup(click.Group):
    """The runners' own click commands, imported on use."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> Optional[click.Command]:
        if name not in COMMANDS:
            return None
        command = importlib.import_module(COMMANDS[name][0]).main
        command.short_help = COMMANDS[name][1]
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, help_text) for name, (_, help_text) in COMMANDS.items()])


@click.group(cls=StageGroup)
def main() -> None:
    """Evaluate audio representations the way the HEAR 2021 benchmark did."""


if __name__ == "__main__":
    main()
