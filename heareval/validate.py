"""`python -m heareval.validate MODULE [--model PATH]`: check a HEAR-API module on synthetic audio."""

import sys

import click

from heareval.embeddings.hear_api import (
    concurrent_calls_agree,
    embedding_device,
    load_hear_model,
    parse_model_options,
    validate_model,
)
from heareval.errors import UserError, report_user_errors


@click.command()
@click.argument("module")
@click.option("--model", "model_path", default="", help="Model weights file passed to load_model.")
@click.option("--model-options", default=None, help="JSON object of keyword arguments for load_model.")
@click.option("--device", default=None, help="cpu or cuda (default: cuda when available).")
@report_user_errors
def main(module: str, model_path: str, model_options: str, device: str) -> None:
    """Check MODULE's HEAR API (functions, attributes, shapes, dtypes, timestamps, finiteness). A module the
    official validator accepts is accepted; where it is loose with the API, a warning says how."""
    device = embedding_device(device)
    hear = load_hear_model(module, model_path, parse_model_options(model_options), device)
    model = hear.model
    click.echo(f"{module}: sample_rate {hear.sample_rate}, scene_embedding_size {model.scene_embedding_size}, "
               f"timestamp_embedding_size {model.timestamp_embedding_size}")
    report = validate_model(hear, device)
    for line in report:
        click.echo(line)
    failures = sum(line.startswith("FAIL") for line in report)
    warnings = sum(line.startswith("warn") for line in report)
    if not failures:
        agree = concurrent_calls_agree(hear, device, ["scene", "event"])
        click.echo("note concurrent calls " + ("agree with sequential ones: on a CPU the embeddings runner embeds two "
                                               "batches at once" if agree else "differ from sequential ones: the "
                                               "embeddings runner embeds one batch at a time"))
    if failures:
        raise UserError(f"{module}: {failures} of {len(report)} checks failed")
    if warnings:
        click.echo(f"{module}: accepted, as the official validator (hearvalidator 2021.0.6) accepts it, with "
                   f"{warnings} warning(s): the module is loose with the HEAR API; the embeddings runner stores "
                   "its output in the standard format")
    else:
        click.echo(f"{module}: all {len(report)} checks passed")


if __name__ == "__main__":
    sys.exit(main())
